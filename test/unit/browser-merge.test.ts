/** A browser worker's pages merged into the one report every load worker gives. */
import { describe, expect, it } from 'vitest';
import { mergeConnectReports, mergeWindowReports } from '../../clients/browser/merge-reports.ts';
import type { PageReconnect } from '../../clients/load/worker-protocol.ts';
import type { PageWindowReport } from '../../clients/browser/page-protocol.ts';
import { decodeHistogram, summarize } from '../../metrics/histogram.ts';
import { buildConnectReport as connectPage, buildTally as tally, buildWindowReport, encodedHistogram as encoded } from '../support/results.ts';

const count = (histogram: string): number => decodeHistogram(histogram).totalCount;

function reconnect(client: string, overrides: Partial<PageReconnect> = {}): PageReconnect {
  return { client, reason: 'closed', lostAtUs: 1_000, attempts: 1, reopenMs: 1000, firstMessageMs: 5, missed: 0, recovered: 0, duplicates: 0, settled: true, ...overrides };
}

function windowPage(overrides: Partial<PageWindowReport> = {}): PageWindowReport {
  return { ...buildWindowReport(), reconnects: [], resume: encoded(), notResumed: 0, ...overrides };
}

describe('mergeConnectReports', () => {
  const merged = mergeConnectReports([
    connectPage({ opened: 20, failed: 1, failures: ['timeout', 'refused'], connect: encoded([20, 3_000]) }),
    connectPage({ opened: 5, failed: 4, failures: ['refused', 'reset'], connect: encoded([5, 9_000]), handshakeBytes: 1234 }),
  ]);

  it('sums opened and failed and merges the connect histograms (by adding counts)', () => {
    expect(merged.opened).toBe(25);
    expect(merged.failed).toBe(5);
    expect(summarize(decodeHistogram(merged.connect))).toEqual(summarize(decodeHistogram(encoded([20, 3_000], [5, 9_000]))));
    expect(count(merged.connect)).toBe(25);
  });

  it('keeps distinct failures, in the order first seen', () => {
    expect(merged.failures).toEqual(['timeout', 'refused', 'reset']);
  });

  it('caps failures at five distinct messages', () => {
    const many = mergeConnectReports([connectPage({ failures: ['a', 'b', 'c'] }), connectPage({ failures: ['c', 'd', 'e', 'f', 'g'] })]);
    expect(many.failures).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('has no handshake bytes: a page cannot see its sockets', () => {
    expect(merged.handshakeBytes).toBe(0);
  });

  it('no pages: zeros and an empty (decodable) histogram', () => {
    const none = mergeConnectReports([]);
    expect(none).toMatchObject({ opened: 0, failed: 0, failures: [], handshakeBytes: 0 });
    expect(count(none.connect)).toBe(0);
  });
});

describe('mergeWindowReports', () => {
  const A = windowPage({
    deliveries: 300,
    latency: encoded([300, 2_000]),
    rtt: encoded([10, 4_000]),
    tallies: [['ticks', tally(1, 10, 25, 250)]],
    bytesRead: 999,
    bytesWritten: 888,
    arrivalsBetweenMarks: 290,
    loopDelayP99MaxMs: 12,
    sendsDue: 40,
    sendsUnanswered: 1,
    sendLagP99Ms: 7,
    decodeErrors: 1,
    serverErrors: 2,
    sendFailures: 3,
    disconnects: 4,
    problems: ['p1', 'p2'],
    reconnects: [reconnect('bf0'), reconnect('bf1', { reopenMs: null })],
    resume: encoded([2, 1_500_000]),
    notResumed: 1,
  });
  const B = windowPage({
    deliveries: 100,
    latency: encoded([100, 20_000]),
    rtt: encoded([30, 6_000]),
    tallies: [
      ['ticks', tally(2, 11, 25, 240)],
      ['room0', tally(1, 3, 10, 30)],
    ],
    arrivalsBetweenMarks: 95,
    loopDelayP99MaxMs: 30.5,
    sendsDue: 60,
    sendsUnanswered: 2,
    sendLagP99Ms: 3,
    decodeErrors: 10,
    serverErrors: 20,
    sendFailures: 30,
    disconnects: 40,
    problems: ['p2', 'p3'],
    reconnects: [reconnect('bf25', { missed: 3 })],
    resume: encoded([1, 800_000]),
    notResumed: 2,
  });
  const merged = mergeWindowReports([A, B]);

  it('sums deliveries, arrivals, sends and errors', () => {
    expect(merged.window).toMatchObject({
      deliveries: 400,
      arrivalsBetweenMarks: 385,
      sendsDue: 100,
      sendsUnanswered: 3,
      decodeErrors: 11,
      serverErrors: 22,
      sendFailures: 33,
      disconnects: 44,
    });
  });

  it('takes the worst page for loop delay and send lag', () => {
    expect(merged.window.loopDelayP99MaxMs).toBe(30.5);
    expect(merged.window.sendLagP99Ms).toBe(7);
  });

  it('merges latency and round-trip histograms by adding, not averaging', () => {
    const latency = summarize(decodeHistogram(merged.window.latency))!;
    expect(latency.count).toBe(400);
    expect(latency).toEqual(summarize(decodeHistogram(encoded([300, 2_000], [100, 20_000]))));
    // 300 at 2 ms, 100 at 20 ms: the p90 is the slow page's, not an average of the two.
    expect(latency.p90).toBeCloseTo(20, 1);
    expect(latency.p50).toBe(2);
    expect(count(merged.window.rtt)).toBe(40);
  });

  it('concatenates tallies (the coordinator merges them, as across workers)', () => {
    expect(merged.window.tallies).toEqual([
      ['ticks', tally(1, 10, 25, 250)],
      ['ticks', tally(2, 11, 25, 240)],
      ['room0', tally(1, 3, 10, 30)],
    ]);
  });

  it('reports no socket bytes, whatever a page says', () => {
    expect(merged.window.bytesRead).toBe(0);
    expect(merged.window.bytesWritten).toBe(0);
  });

  it('has no cpuUs or browser field: the worker adds those', () => {
    expect(merged.window).not.toHaveProperty('cpuUs');
    expect(merged.window).not.toHaveProperty('browser');
    expect(merged).not.toHaveProperty('window.reconnects');
  });

  it('problems are distinct, in order', () => {
    expect(merged.window.problems).toEqual(['p1', 'p2', 'p3']);
  });

  it('the worker’s own problems come first, then the pages’, at most ten in all', () => {
    const pages = [windowPage({ problems: ['a', 'b', 'c', 'd', 'e'] }), windowPage({ problems: ['e', 'f', 'g', 'h', 'i', 'j', 'k'] })];
    const { problems } = mergeWindowReports(pages, ['worker: page crashed', 'a']).window;
    expect(problems).toEqual(['worker: page crashed', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
    expect(problems).toHaveLength(10);
  });

  it('concatenates every page’s reconnect events, in page order', () => {
    expect(merged.reconnects.map((r) => r.client)).toEqual(['bf0', 'bf1', 'bf25']);
    expect(merged.reconnects[1]!.reopenMs).toBeNull();
    expect(merged.reconnects[2]!.missed).toBe(3);
  });

  it('merges the resume histograms and sums notResumed', () => {
    const resume = summarize(decodeHistogram(merged.resume))!;
    expect(resume.count).toBe(3);
    expect(resume).toEqual(summarize(decodeHistogram(encoded([2, 1_500_000], [1, 800_000]))));
    expect(merged.notResumed).toBe(3);
  });

  it('one page comes through unchanged (apart from bytes)', () => {
    const one = mergeWindowReports([B]);
    expect(one.window.deliveries).toBe(100);
    expect(one.window.loopDelayP99MaxMs).toBe(30.5);
    expect(summarize(decodeHistogram(one.window.latency))).toEqual(summarize(decodeHistogram(B.latency)));
    expect(one.window.tallies).toEqual(B.tallies);
    expect(one.notResumed).toBe(2);
  });

  it('no pages: zeros (not -Infinity) and empty histograms', () => {
    const none = mergeWindowReports([], ['no page opened']);
    expect(none.window).toMatchObject({ deliveries: 0, loopDelayP99MaxMs: 0, sendLagP99Ms: 0, tallies: [], problems: ['no page opened'] });
    expect(count(none.window.latency)).toBe(0);
    expect(count(none.resume)).toBe(0);
    expect(none.reconnects).toEqual([]);
    expect(none.notResumed).toBe(0);
  });

  it('leaves the page reports as they were', () => {
    expect(A.problems).toEqual(['p1', 'p2']);
    expect(A.tallies).toEqual([['ticks', tally(1, 10, 25, 250)]]);
    expect(A.bytesRead).toBe(999);
  });
});

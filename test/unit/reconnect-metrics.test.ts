/** What a drop of every connection cost browser clients: reconnectMetrics over the browser workers' window reports. */
import { describe, expect, it } from 'vitest';
import { reconnectMetrics, type DropFacts } from '../../bench/reconnect.ts';
import type { BrowserWindowReport, PageReconnect, WindowReport } from '../../clients/load/worker-protocol.ts';
import { decodeHistogram, summarize } from '../../metrics/histogram.ts';
import { buildBrowserWindowReport, buildWindowReport, encodedHistogram } from '../support/results.ts';

function event(client: string, overrides: Partial<PageReconnect> = {}): PageReconnect {
  return { client, reason: 'closed', lostAtUs: 1_000_000, attempts: 0, reopenMs: null, firstMessageMs: null, missed: 0, recovered: 0, duplicates: 0, settled: false, ...overrides };
}

const browserReport = (browser: Partial<BrowserWindowReport> = {}): WindowReport => buildWindowReport({ browser: buildBrowserWindowReport(browser) });

const DROP: DropFacts = { dropAtMs: 1500, droppedConnections: 42, clients: 40 };

describe('reconnectMetrics', () => {
  const reports = [
    browserReport({
      reconnects: [
        event('bf0', { attempts: 1, reopenMs: 1000, firstMessageMs: 20, missed: 2, recovered: 5, duplicates: 1, settled: true }),
        // bf1 dropped twice: reopened once, then lost again and not back yet.
        event('bf1', { attempts: 1, reopenMs: 1200, missed: 1 }),
        event('bf1', { attempts: 3, reopenMs: null, missed: 4 }),
      ],
      resume: encodedHistogram([2, 1_100_000]),
      notResumed: 1,
    }),
    browserReport({
      reconnects: [
        // bf2 failed once, then came back: its last event counts it as reopened.
        event('bf2', { attempts: 2, reopenMs: null }),
        event('bf2', { attempts: 1, reopenMs: 3000, recovered: 7, duplicates: 2 }),
        event('bf3', { reopenMs: 500 }),
      ],
      resume: encodedHistogram([3, 600_000]),
      notResumed: 2,
    }),
  ];
  const metrics = reconnectMetrics(reports, DROP);

  it('passes the drop facts through', () => {
    expect(metrics).toMatchObject({ dropAtMs: 1500, droppedConnections: 42, clients: 40 });
  });

  it('sawDisconnect counts distinct clients, not events', () => {
    expect(metrics.sawDisconnect).toBe(4);
  });

  it('reopened counts the clients whose last event reopened', () => {
    // bf0 yes, bf1 no (its last event did not reopen), bf2 yes (its last did), bf3 yes.
    expect(metrics.reopened).toBe(3);
  });

  it('reopen summarises every event that reopened (ms, recorded in µs)', () => {
    expect(metrics.reopen).toEqual(summarize(decodeHistogram(encodedHistogram([1, 1_000_000], [1, 1_200_000], [1, 3_000_000], [1, 500_000]))));
    expect(metrics.reopen!.count).toBe(4);
    expect(metrics.reopen!.p50).toBeCloseTo(1000, -1);
    expect(metrics.reopen!.max).toBeCloseTo(3000, -1);
    expect(metrics.reopen!.mean).toBeCloseTo(1425, -1);
  });

  it('resume merges the browsers’ histograms; notResumed is summed', () => {
    expect(metrics.resume).toEqual(summarize(decodeHistogram(encodedHistogram([2, 1_100_000], [3, 600_000]))));
    expect(metrics.resume!.count).toBe(5);
    expect(metrics.notResumed).toBe(3);
  });

  it('attempts, missed, recovered and duplicates are summed over every event', () => {
    expect(metrics.attempts).toBe(1 + 1 + 3 + 2 + 1 + 0);
    expect(metrics.missed).toBe(2 + 1 + 4);
    expect(metrics.recovered).toBe(5 + 7);
    expect(metrics.duplicates).toBe(1 + 2);
  });

  it('a reopen of 0 ms still counts (clamped to 1 µs, not dropped)', () => {
    const m = reconnectMetrics([browserReport({ reconnects: [event('bf0', { reopenMs: 0 })] })], DROP);
    expect(m.reopened).toBe(1);
    expect(m.reopen!.count).toBe(1);
    expect(m.reopen!.max).toBeLessThan(0.01);
  });

  it('nothing seen: zeros and null summaries, drop facts kept', () => {
    expect(reconnectMetrics([browserReport({ notResumed: 10 })], DROP)).toEqual({
      ...DROP,
      sawDisconnect: 0,
      reopened: 0,
      reopen: null,
      resume: null,
      notResumed: 10,
      attempts: 0,
      missed: 0,
      recovered: 0,
      duplicates: 0,
    });
  });

  it('ignores Node reports (no browser field)', () => {
    const node = { ...browserReport(), browser: undefined };
    delete node.browser;
    const withNode = reconnectMetrics([node, ...reports], DROP);
    expect(withNode).toEqual(metrics);
    expect(reconnectMetrics([node], DROP)).toMatchObject({ sawDisconnect: 0, reopen: null, resume: null, notResumed: 0 });
  });
});

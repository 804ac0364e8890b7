/** The run record builder (bench/run-record.ts): a window's observations + the session's seconds + config -> runs[] (pure). */
import { describe, expect, it } from 'vitest';
import { aggregateWindow } from '../../bench/aggregate.ts';
import { NOISY_OTHER_CORES } from '../../metrics/noisy-machine.ts';
import { buildRunRecord, INTERRUPTED_LOSS, timelineOf, type RunRecordInput, type ServerSample, type TickSum } from '../../bench/run-record.ts';
import type { MeasureSpec, WindowObservation } from '../../bench/window-runner.ts';
import { encodeHistogram } from '../../metrics/histogram.ts';
import { validateResults } from '../../metrics/results-io.ts';
import { PROFILE_DEFAULTS, type BenchConfig } from '../../scenarios/bench-config.ts';
import type { ServerStatsSnapshot } from '../../servers/stats.ts';
import { buildBrowserWindowReport, buildConnectReport, buildResults, buildTally, buildWindowReport, histogramOf, T0_US } from '../support/results.ts';

/** The session started 3 s before the window: warm-up from second 2, window in seconds 3 and 4, drain in second 5. */
const ORIGIN_US = T0_US - 3_000_000;
const RUN_START_US = T0_US - 1_000_000;
const END_US = T0_US + 2_000_000;
const FINISHED_US = T0_US + 3_400_000;

const encoded = (micros: number[]): string => encodeHistogram(histogramOf(micros));

function stats(o: { second: number; cpuUs: number; rss: number; feedRate?: number; loopP99?: number; delivered?: number }): ServerStatsSnapshot {
  const loopP99 = o.loopP99 ?? 12;
  return {
    transport: 'ws',
    now: ORIGIN_US + o.second * 1_000_000,
    uptimeMs: 60_000,
    connections: { open: 200, total: 200 },
    messages: { published: 0, chatIn: 0, delivered: o.delivered ?? 0 },
    bytes: { written: 0, read: 0 },
    disconnects: { slowConsumer: 0, heartbeat: 0, dropped: 0 },
    replayTruncations: 0,
    errors: {},
    cpu: { userUs: o.cpuUs * 0.75, systemUs: o.cpuUs * 0.25 },
    memory: { rssBytes: o.rss, heapUsedBytes: o.rss / 2 },
    eventLoopDelayMs: { p50: 10, p90: 11, p99: loopP99, max: loopP99 + 3, mean: 10, count: 100 },
    sockets: 200,
    feed: { topics: ['ticks'], rate: o.feedRate ?? 50, payloadBytes: 100 },
    rooms: 0,
  };
}

// The server used 0.4 of a core every second; its RSS sat at 120 MB in the window, far off outside it.
const SAMPLES: ServerSample[] = [1, 2, 3, 4, 5, 6].map((second) => ({
  second,
  stats: stats({ second, cpuUs: second * 400_000, rss: second === 3 || second === 4 ? 120_000_000 : 900_000_000, loopP99: 10 + second }),
}));
const SERVER_START = stats({ second: 3, cpuUs: 1_200_000, rss: 120_000_000, delivered: 5_000 });
const SERVER_END = stats({ second: 5, cpuUs: 2_000_000, rss: 120_000_000, delivered: 25_000 });

// Two workers of 100 subscribers each, 50 messages/s for 2 s: 10,000 deliveries each; worker B missed 10.
const WORKER_A = buildWindowReport({
  deliveries: 10_000,
  latency: encoded(Array.from({ length: 100 }, (_, i) => 1_000 + i * 10)),
  tallies: [['ticks', buildTally(1, 100, 100, 10_000)]],
  bytesRead: 1_300_000,
  arrivalsBetweenMarks: 10_000,
  cpuUs: 300_000,
});
const WORKER_B = buildWindowReport({
  deliveries: 9_990,
  latency: encoded(Array.from({ length: 100 }, (_, i) => 2_000 + i * 10)),
  tallies: [['ticks', buildTally(1, 100, 100, 9_990)]],
  bytesRead: 1_290_000,
  arrivalsBetweenMarks: 9_990,
  cpuUs: 340_000,
  problems: ['worker 2 saw a slow read'],
});
const CONNECT = [buildConnectReport({ opened: 100, connect: encoded([800, 900]) }), buildConnectReport({ opened: 100, connect: encoded([850]) })];

function tick(deliveries: number, latencyMicros: number[][], cpuUs: number): TickSum {
  return { deliveries, latency: latencyMicros.map(encoded), connections: 200, cpuUs };
}
const TICKS = new Map<number, TickSum>([
  [2, tick(9_000, [[900], [1_100]], 250_000)],
  [3, tick(10_000, [[1_000, 1_200], [5_000]], 320_000)],
  [4, tick(9_990, [], 320_000)],
]);

function observation(overrides: Partial<WindowObservation> = {}): WindowObservation {
  return {
    runStartUs: RUN_START_US,
    startUs: T0_US,
    endUs: END_US,
    finishedUs: FINISHED_US,
    interrupted: false,
    serverStart: SERVER_START,
    serverEnd: SERVER_END,
    // Server 0.8 core-s, workers 0.64, coordinator 0.06 over 2 s: 1.5 core-s; the machine was busy 1.7.
    machineBusyUs: 1_700_000,
    coordinatorCpuUs: 60_000,
    drainMs: 412,
    reports: [WORKER_A, WORKER_B],
    ...overrides,
  };
}

const FEED_SPEC: MeasureSpec = { id: 'ws/feed/json/node', kind: 'fixed', rate: 50, warmupMs: 1000, durationMs: 2000, step: null };

function input(overrides: Partial<RunRecordInput> = {}): RunRecordInput {
  return {
    key: { transport: 'ws', scenario: 'feed', encoding: 'json', client: 'node' },
    spec: FEED_SPEC,
    config: PROFILE_DEFAULTS.quick,
    connections: 200,
    connect: CONNECT,
    window: observation(),
    baselineRssBytes: 100_000_000,
    idleRssBytes: 110_000_000,
    originUs: ORIGIN_US,
    ticks: TICKS,
    serverSamples: SAMPLES,
    againstTarget: false,
    rateControllable: true,
    ...overrides,
  };
}

const chatConfig = (): BenchConfig => ({
  ...PROFILE_DEFAULTS.quick,
  chat: { rooms: 20, membersPerRoom: 10, sendRatePerMember: 2, payloadBytes: 80 },
  browser: { ...PROFILE_DEFAULTS.quick.browser, chatRooms: 3, chatMembersPerRoom: 6 },
});

describe('buildRunRecord: a feed run with Node clients', () => {
  const { record, otherCpuCores, clientCpuCores, machineBusyCores } = buildRunRecord(input());

  it('names the run as the session and spec do, complete and not client-bound', () => {
    expect(record).toMatchObject({ id: 'ws/feed/json/node', transport: 'ws', scenario: 'feed', client: 'node', encoding: 'json', kind: 'fixed', step: null, complete: true, clientBound: false, clientBoundReasons: [] });
  });

  it('describes the load as the feed does: publish rate x every subscriber', () => {
    expect(record.load).toEqual({
      connections: 200,
      publishRatePerSec: 50,
      sendRatePerMember: null,
      rooms: null,
      membersPerRoom: null,
      payloadBytes: PROFILE_DEFAULTS.quick.feed.payloadBytes,
      offeredDeliveriesPerSec: 10_000,
      warmupMs: 1000,
      durationMs: 2000,
    });
    expect(record.window).toEqual({ startUs: T0_US, endUs: END_US, drainMs: 412 });
  });

  it('takes its metrics from aggregateWindow, with the server samples of the window’s seconds only', () => {
    const inWindow = SAMPLES.filter((s) => s.second === 3 || s.second === 4).map((s) => s.stats);
    const expected = aggregateWindow({
      durationMs: 2000,
      payloadBytes: 100,
      connect: CONNECT,
      reports: [WORKER_A, WORKER_B],
      server: { start: SERVER_START, end: SERVER_END, samples: inWindow, baselineRssBytes: 100_000_000, idleRssBytes: 110_000_000 },
    });
    expect(record.metrics).toEqual(expected.metrics);
    expect(record.histograms).toEqual(expected.histograms);
    // The 900 MB samples outside the window do not count; 20 MB over the baseline over 200 connections.
    expect(record.metrics.server!.rssBytes).toBe(120_000_000);
    expect(record.metrics.server!.rssBytesPerConnection).toBe(100_000);
    expect(record.metrics.server!.eventLoopDelayMs!.p99).toBe(14);
    expect(record.metrics.integrity).toMatchObject({ expected: 20_000, received: 19_990, lost: 10, duplicated: 0, reordered: 0, expectedFrom: 'inferred' });
  });

  it('counts the cores other processes used: machine busy time minus the server, workers and coordinator', () => {
    expect(otherCpuCores).toBeCloseTo(0.1, 10);
    expect(record.notes).toEqual(['worker 2 saw a slow read']);
  });

  it('gives the load client\'s CPU (every worker) and the whole machine\'s over the window, in cores', () => {
    expect(clientCpuCores).toBeCloseTo(0.32, 10);
    expect(machineBusyCores).toBeCloseTo(0.85, 10);
  });

  it('has no reconnect figures without a drop', () => {
    expect(record).not.toHaveProperty('reconnect');
  });

  it('is a run the results schema accepts', () => {
    expect(() => validateResults(buildResults({ runs: [record] }), 'built run')).not.toThrow();
  });

  it('is pure: the same input gives the same record, and the input is left as it was', () => {
    const given = input();
    const before = structuredClone({ ...given, ticks: [...given.ticks] });
    expect(buildRunRecord(given)).toEqual({ record, otherCpuCores, clientCpuCores, machineBusyCores });
    expect({ ...given, ticks: [...given.ticks] }).toEqual(before);
  });
});

describe('buildRunRecord: notes', () => {
  it(`says the figures may be noisy when other processes used more than ${NOISY_OTHER_CORES} cores`, () => {
    const { record, otherCpuCores } = buildRunRecord(input({ window: observation({ machineBusyUs: 2_500_000 }) }));
    expect(otherCpuCores).toBeCloseTo(0.5, 10);
    expect(record.notes[0]).toBe('other processes kept 0.50 cores busy during the window: figures may be noisy');
  });

  it('says a target server’s CPU includes whatever else it serves, instead of the noise note', () => {
    const { record } = buildRunRecord(input({ againstTarget: true, window: observation({ machineBusyUs: 2_500_000 }) }));
    expect(record.notes[0]).toBe('measured against a target server (--target); its CPU figures include whatever else it serves');
    expect(record.notes.some((note) => note.includes('noisy'))).toBe(false);
  });

  it('lists each worker problem once, at most 10 notes in all', () => {
    const many = Array.from({ length: 12 }, (_, i) => `problem ${i}`);
    // Workers that used no CPU: the machine's busy time is the server's and the coordinator's, and a little more.
    const reports = [buildWindowReport({ problems: many }), buildWindowReport({ problems: ['problem 0'] })];
    const { record } = buildRunRecord(input({ window: observation({ reports, machineBusyUs: 1_000_000 }) }));
    expect(record.notes).toEqual(many.slice(0, 10));
  });

  it('an interrupted window is incomplete, says so, and covers the part that ran', () => {
    const { record } = buildRunRecord(input({ window: observation({ interrupted: true, endUs: T0_US + 1_250_000, drainMs: 0 }) }));
    expect(record.complete).toBe(false);
    expect(record.notes.at(-1)).toBe(`interrupted before the window ended: figures cover the part that ran; its loss is partial (${INTERRUPTED_LOSS})`);
    expect(record.load.durationMs).toBe(1250);
    expect(record.metrics.throughput.deliveriesPerSec).toBe(Math.round(19_990 / 1.25));
  });

  it('says when the drain ran out of time before arrivals settled, so a loss reads as late arrivals, not dropped ones', () => {
    const { record } = buildRunRecord(input({ window: observation({ drainMs: 2000, drainSettled: false }) }));
    expect(record.notes).toContain(`in-window arrivals had not settled when the drain reached its limit (${input().config.drainMaxMs} ms): any still on their way count as lost`);
    expect(buildRunRecord(input({ window: observation({ drainSettled: true }) })).record.notes.join('\n')).not.toContain('had not settled');
  });

  it('without /stats at both marks there are no server metrics, and the server’s CPU is not subtracted', () => {
    const { record, otherCpuCores } = buildRunRecord(input({ window: observation({ serverEnd: null }) }));
    expect(record.metrics.server).toBeNull();
    expect(otherCpuCores).toBeCloseTo(0.5, 10);
  });
});

describe('buildRunRecord: what the scenario decides', () => {
  it('chat with Node clients: send rate per member, rooms x members from chat, every member of the room a recipient', () => {
    const spec: MeasureSpec = { ...FEED_SPEC, id: 'sse/chat/json/node', rate: 2 };
    const { record } = buildRunRecord(input({ key: { transport: 'sse', scenario: 'chat', encoding: 'json', client: 'node' }, spec, config: chatConfig(), connections: 200 }));
    expect(record.load).toMatchObject({ connections: 200, publishRatePerSec: null, sendRatePerMember: 2, rooms: 20, membersPerRoom: 10, payloadBytes: 80, offeredDeliveriesPerSec: 2 * 200 * 10 });
    expect(record.metrics.bytes.payloadBytes).toBe(80);
  });

  it('chat with browser clients: rooms x members from the browser sizes, not the Node ones', () => {
    const spec: MeasureSpec = { ...FEED_SPEC, id: 'sse/chat/json/browser', rate: 1 };
    const { record } = buildRunRecord(input({ key: { transport: 'sse', scenario: 'chat', encoding: 'json', client: 'browser' }, spec, config: chatConfig(), connections: 18 }));
    expect(record.load).toMatchObject({ connections: 18, sendRatePerMember: 1, rooms: 3, membersPerRoom: 6, offeredDeliveriesPerSec: 1 * 18 * 6 });
  });

  it('a feed server that would not take the lab’s rate: the rate it published at is the load', () => {
    const { record } = buildRunRecord(input({ rateControllable: false, window: observation({ serverEnd: stats({ second: 5, cpuUs: 2_000_000, rss: 120_000_000, feedRate: 20 }) }) }));
    expect(record.load.publishRatePerSec).toBe(20);
    expect(record.load.offeredDeliveriesPerSec).toBe(20 * 200);
  });

  it('a capacity step keeps its kind and step', () => {
    const spec: MeasureSpec = { id: 'ws/feed/json/node/capacity/step2', kind: 'capacity-step', rate: 400, warmupMs: 500, durationMs: 2000, step: { index: 2, search: 'ws/feed/json/node/capacity' } };
    const { record } = buildRunRecord(input({ spec }));
    expect(record).toMatchObject({ kind: 'capacity-step', step: { index: 2, search: 'ws/feed/json/node/capacity' } });
    expect(record.load).toMatchObject({ publishRatePerSec: 400, offeredDeliveriesPerSec: 80_000, warmupMs: 500 });
  });
});

describe('buildRunRecord: a reconnect window', () => {
  it('adds reconnect figures: the drop’s time into the window (0.1 ms), what was cut, the clients', () => {
    const browser = buildWindowReport({
      deliveries: 500,
      browser: buildBrowserWindowReport({
        clients: 30,
        reconnects: [
          { client: 'bf0', reason: 'error', lostAtUs: T0_US + 1_010_000, attempts: 1, reopenMs: 1_020, firstMessageMs: 80, missed: 2, recovered: 2, duplicates: 0, settled: true },
          { client: 'bf1', reason: 'error', lostAtUs: T0_US + 1_012_000, attempts: 3, reopenMs: null, firstMessageMs: null, missed: 5, recovered: 0, duplicates: 1, settled: false },
        ],
        resume: encoded([1_100_000, 1_300_000]),
      }),
    });
    const spec: MeasureSpec = { ...FEED_SPEC, id: 'sse/feed/json/browser/reconnect', kind: 'reconnect', rate: 10, dropAfterMs: 1000 };
    const { record } = buildRunRecord(
      input({ key: { transport: 'sse', scenario: 'feed', encoding: 'json', client: 'browser' }, spec, connections: 30, window: observation({ reports: [browser], drop: { atUs: T0_US + 1_004_567, dropped: 31 } }) }),
    );
    expect(record.kind).toBe('reconnect');
    expect(record.reconnect).toMatchObject({ dropAtMs: 1004.6, droppedConnections: 31, clients: 30, sawDisconnect: 2, reopened: 1, attempts: 4, missed: 7, recovered: 2, duplicates: 1 });
    expect(record.reconnect!.resume!.count).toBe(2);
    expect(record.metrics.bytes.perMessage).toBeNull();
  });
});

describe('timelineOf', () => {
  const points = timelineOf(input(), observation());

  it('has one point per whole second from the rate being set to the end of collection, by phase', () => {
    expect(points.map((p) => [p.t, p.phase])).toEqual([
      [0, 'warmup'],
      [1, 'measure'],
      [2, 'measure'],
      [3, 'drain'],
    ]);
  });

  it('sums the workers’ ticks: deliveries, connections, client CPU in cores; p99 over their merged histograms', () => {
    expect(points.map((p) => p.deliveries)).toEqual([9_000, 10_000, 9_990, 0]);
    expect(points.map((p) => p.clientCpuCores)).toEqual([0.25, 0.32, 0.32, 0]);
    expect(points.map((p) => p.connections)).toEqual([200, 200, 200, 0]);
    // Second 3 merged 1.0, 1.2 and 5.0 ms: its p99 is the 5 ms value (HDR at 3 significant digits).
    expect(points[1]!.latencyP99Ms).toBeCloseTo(5, 2);
    expect(points[0]!.latencyP99Ms).toBeCloseTo(1.1, 2);
    // No histogram that second, or no tick at all: no latency, not 0.
    expect(points[2]!.latencyP99Ms).toBeNull();
    expect(points[3]!.latencyP99Ms).toBeNull();
  });

  it('takes server CPU from consecutive /stats samples, and RSS and loop delay from that second’s', () => {
    expect(points.map((p) => p.serverCpuCores)).toEqual([0.4, 0.4, 0.4, 0.4]);
    expect(points.map((p) => p.serverRssBytes)).toEqual([900_000_000, 120_000_000, 120_000_000, 900_000_000]);
    expect(points.map((p) => p.serverLoopDelayP99Ms)).toEqual([12, 13, 14, 15]);
  });

  it('a second without its sample (or the one before) has no server figures', () => {
    const sparse = timelineOf({ ...input(), serverSamples: SAMPLES.filter((s) => s.second !== 3) }, observation());
    expect(sparse.map((p) => p.serverCpuCores)).toEqual([0.4, null, null, 0.4]);
    expect(sparse[1]!.serverRssBytes).toBeNull();
  });
});

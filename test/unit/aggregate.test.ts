import { describe, expect, it } from 'vitest';
import {
  CLIENT_BOUND_CPU_CORES,
  CLIENT_BOUND_LOOP_DELAY_MS,
  CLIENT_BOUND_SEND_LAG_MS,
  aggregateWindow,
  serverMetrics,
  type ServerWindow,
  type WindowInput,
} from '../../bench/aggregate.ts';
import { shareOut, workerCount } from '../../bench/plan.ts';
import { decodeHistogram, summarize } from '../../metrics/histogram.ts';
import { PROFILE_DEFAULTS, type BenchConfig } from '../../scenarios/bench-config.ts';
import type { ServerStatsSnapshot } from '../../servers/stats.ts';
import { browserCost } from '../../bench/aggregate.ts';
import { browserWorkerCount } from '../../bench/plan.ts';
import { CHAT } from '../../scenarios/chat.ts';
import {
  T0_US,
  buildBrowserWindowReport as chromium,
  buildConnectReport as connectReport,
  buildTally as tally,
  buildWindowReport as report,
  encodedHistogram as encoded,
} from '../support/results.ts';

// Two workers over a 2 s window.
const WORKER_A = report({
  deliveries: 1200,
  latency: encoded([600, 2_000]),
  rtt: encoded([100, 1_500]),
  tallies: [['ticks', tally(5, 9, 2, 10, 1, 0)]],
  bytesRead: 150_000,
  bytesWritten: 8_000,
  arrivalsBetweenMarks: 1000,
  cpuUs: 400_000,
  loopDelayP99MaxMs: 12.5,
  sendsDue: 300,
  sendsUnanswered: 3,
  sendLagP99Ms: 3,
  decodeErrors: 1,
  serverErrors: 2,
  sendFailures: 2,
  disconnects: 1,
});
const WORKER_B = report({
  deliveries: 800,
  latency: encoded([400, 10_000]),
  tallies: [
    ['ticks', tally(3, 8, 2, 11, 0, 2)],
    ['room0', tally(1, 4, 1, 4)],
  ],
  bytesRead: 90_000,
  bytesWritten: 2_000,
  arrivalsBetweenMarks: 600,
  cpuUs: 240_000,
  loopDelayP99MaxMs: 20,
  sendsDue: 100,
  sendsUnanswered: 4,
  sendLagP99Ms: 1,
  serverErrors: 3,
});
const CONNECT_A = connectReport({ opened: 10, failed: 1, failures: ['ECONNREFUSED'], connect: encoded([10, 1_800]), handshakeBytes: 5_000 });
const CONNECT_B = connectReport({ opened: 5, failed: 2, connect: encoded([5, 2_000]), handshakeBytes: 2_600 });

function input(overrides: Partial<WindowInput> = {}): WindowInput {
  return { durationMs: 2000, payloadBytes: 100, connect: [CONNECT_A, CONNECT_B], reports: [WORKER_A, WORKER_B], server: null, ...overrides };
}

describe('aggregateWindow', () => {
  const { metrics, histograms, clientBoundReasons, tallies } = aggregateWindow(input());

  it('throughput is deliveries per second of the window; sends per second from the sends due', () => {
    expect(metrics.throughput).toEqual({ deliveries: 2000, deliveriesPerSec: 1000, sendsPerSec: 200 });
    expect(aggregateWindow(input({ durationMs: 4000 })).metrics.throughput).toEqual({ deliveries: 2000, deliveriesPerSec: 500, sendsPerSec: 100 });
    const noSends = aggregateWindow(input({ reports: [report({ deliveries: 10 })] })).metrics.throughput;
    expect(noSends).toEqual({ deliveries: 10, deliveriesPerSec: 5, sendsPerSec: null });
  });

  it('merges latency, round-trip and connect histograms across workers', () => {
    expect(metrics.latency).not.toBeNull();
    expect(metrics.latency!.count).toBe(1000);
    expect(metrics.latency!.p50).toBe(2);
    // 600 at 2 ms and 400 at 10 ms: p90 and p99 are 10 ms (to HDR precision), the mean 5.2 ms.
    expect(metrics.latency!.p90).toBeCloseTo(10, 1);
    expect(metrics.latency!.p99).toBeCloseTo(10, 1);
    expect(metrics.latency!.mean).toBeCloseTo(5.2, 1);
    expect(metrics.latency).toEqual(summarize(decodeHistogram(encoded([600, 2_000], [400, 10_000]))));
    expect(metrics.rtt).toEqual({ p50: 1.5, p90: 1.5, p99: 1.5, p999: 1.5, max: 1.5, mean: 1.5, count: 100 });
    expect(metrics.connect!.count).toBe(15);
    expect(metrics.connect!.p50).toBe(1.8);
    expect(metrics.connect!.p90).toBe(2);
    expect(metrics.connect!.max).toBe(2);
  });

  it('returns the merged histograms encoded, and null for one with nothing in it', () => {
    expect(summarize(decodeHistogram(histograms.latency!))).toEqual(metrics.latency);
    expect(summarize(decodeHistogram(histograms.rtt!))).toEqual(metrics.rtt);
    expect(summarize(decodeHistogram(histograms.connect!))).toEqual(metrics.connect);
    const empty = aggregateWindow(input({ connect: [], reports: [report(), report()] }));
    expect(empty.histograms).toEqual({ latency: null, rtt: null, connect: null });
    expect(empty.metrics.latency).toBeNull();
    expect(empty.metrics.rtt).toBeNull();
    expect(empty.metrics.connect).toBeNull();
  });

  it('bytes per message = (read + written) / arrivals between marks; overhead = that - payload', () => {
    // (240,000 + 10,000) / 1,600
    expect(metrics.bytes).toEqual({
      perMessage: 156.25,
      overheadPerMessage: 56.25,
      downPerMessage: 150,
      upPerMessage: 6.25,
      payloadBytes: 100,
      handshakePerConnection: 506.7, // 7,600 bytes / 15 opened
    });
  });

  it('bytes per message are null when nothing arrived between the marks', () => {
    const { bytes } = aggregateWindow(input({ connect: [], reports: [report({ bytesRead: 500, deliveries: 3 })] })).metrics;
    expect(bytes).toEqual({ perMessage: null, overheadPerMessage: null, downPerMessage: null, upPerMessage: null, payloadBytes: 100, handshakePerConnection: null });
  });

  it('client CPU per delivery, busiest worker and worst loop delay', () => {
    // 640,000 µs / 1,600 arrivals; worker A used 0.4 s of CPU over 2 s.
    // These workers' reports predate the read-queue measurement: not measured, never 0.
    expect(metrics.client).toEqual({ workers: 2, cpuUsPerDelivery: 400, maxWorkerCpuCores: 0.2, maxWorkerLoopDelayP99Ms: 20, readQueueMs: null, maxWorkerEventLoopUtilization: null });
  });

  it("the lab's own read queueing: the workers' histograms added, and the busiest worker's event-loop utilization", () => {
    const a = { ...WORKER_A, readQueue: encoded([98, 100], [2, 9_000]), eventLoopUtilization: 0.25 };
    const b = { ...WORKER_B, readQueue: encoded([98, 200], [2, 30_000]), eventLoopUtilization: 0.625 };
    const merged = aggregateWindow(input({ reports: [a, b] })).metrics.client;
    // 200 reads: 98 at 0.1 ms, 98 at 0.2 ms, 2 at 9 ms, 2 at 30 ms.
    // At 3 significant digits (HDR), each figure is the top of its bucket.
    expect(merged.readQueueMs?.p50).toBeCloseTo(0.2, 3);
    expect(merged.readQueueMs?.p99).toBeCloseTo(9, 1);
    expect(merged.readQueueMs?.max).toBeCloseTo(30, 1);
    expect(merged.maxWorkerEventLoopUtilization).toBe(0.625);
    // A worker that does not measure it (a browser page) adds nothing; none measuring it gives null.
    const mixed = aggregateWindow(input({ reports: [a, { ...WORKER_B, readQueue: null }] })).metrics.client;
    expect(mixed.readQueueMs?.max).toBeCloseTo(9, 1);
    expect(mixed.maxWorkerEventLoopUtilization).toBe(0.25);
  });

  it('integrity comes from the tallies merged over workers', () => {
    expect(tallies.get('ticks')).toEqual(tally(3, 9, 4, 21, 1, 2));
    expect(tallies.get('room0')).toEqual(tally(1, 4, 1, 4));
    // ticks: 4 recipients x 7 messages (3..9) = 28, of which 21 arrived; room0: 4 of 4.
    // No GET /published answer: inferred, and what the live recipients missed never arrived.
    expect(metrics.integrity).toEqual({
      expected: 32,
      received: 25,
      lost: 7,
      duplicated: 1,
      reordered: 2,
      expectedFrom: 'inferred',
      lostBy: { serverCut: { count: 0, connections: 0, codes: [] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 7 },
    });
    // The reports' own tallies are left as they were.
    expect(WORKER_A.tallies[0]![1]).toEqual(tally(5, 9, 2, 10, 1, 0));
  });

  it('sums the errors; unanswered sends count as failed sends', () => {
    expect(metrics.errors).toEqual({ connectFailures: 3, decodeErrors: 6, disconnects: 1, sendFailures: 9 });
  });

  it('has no server section without server stats', () => {
    expect(metrics.server).toBeNull();
  });

  it('is not client-bound when every worker is under every limit', () => {
    expect(clientBoundReasons).toEqual([]);
    const near = aggregateWindow(
      input({ reports: [report({ cpuUs: 1_698_000, loopDelayP99MaxMs: 49.99, sendLagP99Ms: 49.9 }), report({ cpuUs: 100, loopDelayP99MaxMs: 1 })] }),
    );
    expect(near.clientBoundReasons).toEqual([]);
    expect(near.metrics.client.maxWorkerCpuCores).toBe(0.849);
  });

  it(`is client-bound when a worker uses ${CLIENT_BOUND_CPU_CORES} cores`, () => {
    const cpuUs = CLIENT_BOUND_CPU_CORES * 2 * 1e6; // over the 2 s window
    const { clientBoundReasons: reasons, metrics: m } = aggregateWindow(input({ reports: [report({ cpuUs: 1000 }), report({ cpuUs })] }));
    expect(m.client.maxWorkerCpuCores).toBe(CLIENT_BOUND_CPU_CORES);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/load worker used 0\.85 cores \(limit 0\.85\)/);
    const busier = aggregateWindow(input({ reports: [report({ cpuUs: 2_000_000 })] })).clientBoundReasons;
    expect(busier).toEqual([expect.stringMatching(/used 1 cores/)]);
  });

  it(`is client-bound when a worker's loop delay p99 reaches ${CLIENT_BOUND_LOOP_DELAY_MS} ms`, () => {
    const reasons = aggregateWindow(input({ reports: [report({ loopDelayP99MaxMs: 3 }), report({ loopDelayP99MaxMs: CLIENT_BOUND_LOOP_DELAY_MS })] })).clientBoundReasons;
    expect(reasons).toEqual([expect.stringMatching(/event-loop delay p99 reached 50 ms \(limit 50 ms\)/)]);
  });

  it(`is client-bound when sends leave ${CLIENT_BOUND_SEND_LAG_MS} ms late`, () => {
    const reasons = aggregateWindow(input({ reports: [report({ sendLagP99Ms: 73.26 })] })).clientBoundReasons;
    expect(reasons).toEqual([expect.stringMatching(/chat sends left up to 73\.3 ms after their due time \(p99; limit 50 ms\)/)]);
    expect(aggregateWindow(input({ reports: [report({ sendLagP99Ms: CLIENT_BOUND_SEND_LAG_MS })] })).clientBoundReasons).toHaveLength(1);
  });

  it('lists every reason that applies', () => {
    const reasons = aggregateWindow(input({ reports: [report({ cpuUs: 1_900_000 }), report({ loopDelayP99MaxMs: 80, sendLagP99Ms: 60 })] })).clientBoundReasons;
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(/cores/);
    expect(reasons[1]).toMatch(/event-loop delay/);
    expect(reasons[2]).toMatch(/chat sends/);
  });
});

function snapshot(o: { now: number; userUs: number; systemUs: number; delivered: number; rss: number; slowConsumer?: number; loop?: [p50: number, p99: number, max: number] }): ServerStatsSnapshot {
  const [p50, p99, max] = o.loop ?? [10, 12, 15];
  return {
    transport: 'ws',
    now: o.now,
    uptimeMs: 60_000,
    connections: { open: 15, total: 15 },
    messages: { published: 0, chatIn: 0, delivered: o.delivered },
    bytes: { written: 0, read: 0 },
    disconnects: { slowConsumer: o.slowConsumer ?? 0, heartbeat: 0, dropped: 0 },
    replayTruncations: 0,
    errors: {},
    cpu: { userUs: o.userUs, systemUs: o.systemUs },
    memory: { rssBytes: o.rss, heapUsedBytes: o.rss / 2 },
    eventLoopDelayMs: { p50, p90: (p50 + p99) / 2, p99, max, mean: p50, count: 100 },
    sockets: 15,
    feed: { topics: ['ticks'], rate: 100, payloadBytes: 100 },
    rooms: 0,
  };
}

const START = snapshot({ now: T0_US, userUs: 1_000_000, systemUs: 500_000, delivered: 10_000, rss: 100_000_000, slowConsumer: 1 });
const END = snapshot({ now: T0_US + 2_000_000, userUs: 1_600_000, systemUs: 700_000, delivered: 50_000, rss: 130_000_000, slowConsumer: 3 });
const SAMPLES = [
  snapshot({ now: T0_US + 500_000, userUs: 0, systemUs: 0, delivered: 0, rss: 110_000_000, loop: [10.2, 12, 20] }),
  snapshot({ now: T0_US + 1_000_000, userUs: 0, systemUs: 0, delivered: 0, rss: 125_000_000, loop: [11.5, 30.4, 45.123456] }),
  snapshot({ now: T0_US + 1_500_000, userUs: 0, systemUs: 0, delivered: 0, rss: 120_000_000, loop: [10.8, 15, 16] }),
];
const SERVER: ServerWindow = { start: START, end: END, samples: SAMPLES, baselineRssBytes: 100_000_000, idleRssBytes: 106_000_000 };

describe('serverMetrics', () => {
  it('derives CPU, memory and loop delay from the /stats deltas and samples', () => {
    expect(serverMetrics(SERVER, 15)).toEqual({
      // 800,000 µs of CPU for 40,000 deliveries: 20 ms per 1,000.
      cpuMsPer1kDeliveries: 20,
      // 0.8 s of CPU over the snapshots' 2 s.
      cpuCores: 0.4,
      // The median sample, against the baseline, per connection.
      rssBytes: 120_000_000,
      rssBytesPerConnection: 1_333_333,
      // Once every connection had opened, before the window: 6 MB over 15 connections.
      idleRssBytesPerConnection: 400_000,
      eventLoopDelayMs: { p50: 10.8, p99: 30.4, max: 45.123 },
      deliveredPerSec: 20_000,
      slowConsumerDisconnects: 2,
      // These samples carry no feed.lateness, as a third-party server's may not: not reported.
      feedLatenessMs: null,
    });
  });

  it("combines the publisher's per-second lateness like the loop delay, counts summed, skipping seconds with nothing scheduled", () => {
    const late = (p50: number, p99: number, max: number, count: number): ServerStatsSnapshot => ({ ...SAMPLES[0]!, feed: { ...SAMPLES[0]!.feed, lateness: { p50, p99, max, count } } });
    const samples = [late(0.2, 1.5, 2, 100), late(0.4, 290.1234, 301.5, 100), late(0, 0, 0, 0), late(0.3, 2, 3, 100)];
    expect(serverMetrics({ ...SERVER, samples }, 15).feedLatenessMs).toEqual({ p50: 0.3, p99: 290.123, max: 301.5, count: 300 });
    expect(serverMetrics({ ...SERVER, samples: [late(0, 0, 0, 0)] }, 15).feedLatenessMs).toBeNull();
  });

  it('measures CPU over the snapshots\' own clock, not the nominal window', () => {
    const longer = serverMetrics({ ...SERVER, end: { ...END, now: T0_US + 4_000_000 } }, 15);
    expect(longer.cpuCores).toBe(0.2);
    expect(longer.deliveredPerSec).toBe(10_000);
    expect(longer.cpuMsPer1kDeliveries).toBe(20);
  });

  it('takes the mean of the middle two samples for an even count', () => {
    const m = serverMetrics({ ...SERVER, samples: SAMPLES.slice(0, 2) }, 10);
    expect(m.rssBytes).toBe(117_500_000);
    expect(m.rssBytesPerConnection).toBe(1_750_000);
    expect(m.eventLoopDelayMs).toEqual({ p50: 10.85, p99: 30.4, max: 45.123 });
  });

  it('without samples uses the end snapshot for memory and has no loop delay', () => {
    const m = serverMetrics({ ...SERVER, samples: [] }, 15);
    expect(m.rssBytes).toBe(130_000_000);
    expect(m.rssBytesPerConnection).toBe(2_000_000);
    expect(m.eventLoopDelayMs).toBeNull();
  });

  it('has no per-connection memory when the RSS fell below its level before the clients connected (never a negative figure)', () => {
    const m = serverMetrics({ ...SERVER, samples: [], baselineRssBytes: 140_000_000 }, 15);
    expect(m.rssBytes).toBe(130_000_000);
    expect(m.rssBytesPerConnection).toBeNull();
    expect(m.idleRssBytesPerConnection).toBeNull();
  });

  it('has no idle figure where the idle RSS was not read (a --target)', () => {
    expect(serverMetrics({ ...SERVER, idleRssBytes: null }, 15).idleRssBytesPerConnection).toBeNull();
  });

  it('has no per-delivery CPU without deliveries and no per-connection memory without connections', () => {
    const m = serverMetrics({ ...SERVER, end: { ...END, messages: { ...END.messages, delivered: START.messages.delivered } } }, 0);
    expect(m.cpuMsPer1kDeliveries).toBeNull();
    expect(m.deliveredPerSec).toBe(0);
    expect(m.rssBytesPerConnection).toBeNull();
    expect(m.cpuCores).toBe(0.4);
  });

  it('aggregateWindow includes it, per connection opened by the workers', () => {
    const { metrics } = aggregateWindow(input({ server: SERVER }));
    expect(metrics.server).toEqual(serverMetrics(SERVER, 15));
    expect(metrics.server!.rssBytesPerConnection).toBe(1_333_333);
  });
});

function config(overrides: Partial<BenchConfig> = {}): BenchConfig {
  return { ...PROFILE_DEFAULTS.quick, ...overrides };
}

describe('plan: shareOut', () => {
  it('deals items round-robin', () => {
    expect(shareOut([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('gives every item to exactly one worker, including when workers outnumber items', () => {
    expect(shareOut(['a', 'b'], 4)).toEqual([['a'], ['b'], [], []]);
    expect(shareOut([], 2)).toEqual([[], []]);
    expect(shareOut([1, 2, 3], 1)).toEqual([[1, 2, 3]]);
  });

  it('spreads the members of each room over the workers', () => {
    const specs = CHAT.connectionSpecs(config({ chat: { rooms: 4, membersPerRoom: 6, sendRatePerMember: 2, payloadBytes: 100 } }), 'node', 'ticks');
    const shares = shareOut(specs, 3);
    expect(shares.flat()).toHaveLength(specs.length);
    for (const share of shares) {
      expect(share).toHaveLength(8);
      for (let r = 0; r < 4; r++) expect(share.filter((s) => s.rooms[0] === `room${r}`)).toHaveLength(2);
    }
  });
});

describe('plan: workerCount', () => {
  it('an explicit worker count wins', () => {
    expect(workerCount(config({ workers: 3 }), 100_000, 8)).toBe(3);
    expect(workerCount(config({ workers: 5 }), 1, 2)).toBe(5);
  });

  it('otherwise one per core, but no more than there are connections (at least one)', () => {
    expect(workerCount(config(), 1000, 4)).toBe(4);
    expect(workerCount(config(), 2, 4)).toBe(2);
    expect(workerCount(config(), 0, 4)).toBe(1);
    expect(workerCount(config(), 6000, 1)).toBe(1);
  });

  it('and enough workers that none holds more than 6000 connections', () => {
    expect(workerCount(config(), 6001, 1)).toBe(2);
    expect(workerCount(config(), 30_000, 2)).toBe(5);
    expect(workerCount(config(), 30_001, 2)).toBe(6);
    expect(workerCount(config(), 30_000, 8)).toBe(8);
  });
});

// ---------------------------------------------------------------------------------------------
// Browser workers: Chromium's cost instead of socket bytes, its busiest process as the worker's CPU.

// Two browser workers over the 2 s window. cpuUs (Chromium + driver) is far above the busiest process's on purpose.
const BROWSER_A = report({ ...WORKER_A, cpuUs: 3_000_000, browser: chromium() });
const BROWSER_B = report({
  ...WORKER_B,
  cpuUs: 500_000,
  browser: chromium({ version: 'HeadlessChrome/other', pages: 1, clients: 25, processes: 4, chromiumCpuUs: 200_000, busiestProcessCpuUs: 150_000, pssBytes: 100_000_000 }),
});

describe('browserCost', () => {
  it('is undefined for Node workers', () => {
    expect(browserCost([WORKER_A, WORKER_B], 2, 1600)).toBeUndefined();
    expect(browserCost([], 2, 0)).toBeUndefined();
  });

  it('sums Chromium over the browser workers: CPU in cores and per delivery, busiest process, PSS per client', () => {
    expect(browserCost([BROWSER_A, BROWSER_B], 2, 1600)).toEqual({
      version: 'HeadlessChrome/142.0.7444.59',
      browsers: 2,
      pages: 3,
      processes: 10,
      // 800,000 µs over 2 s; per each of 1,600 deliveries.
      cpuCores: 0.4,
      cpuUsPerDelivery: 500,
      // The busiest single process of any browser: 300,000 µs over 2 s.
      busiestProcessCpuCores: 0.15,
      memoryBytes: 300_000_000,
      memoryBytesPerClient: 4_000_000,
    });
  });

  it('per-delivery CPU is null without deliveries; per-client memory null without clients', () => {
    const cost = browserCost([report({ browser: chromium({ clients: 0 }) })], 4, 0)!;
    expect(cost.cpuUsPerDelivery).toBeNull();
    expect(cost.memoryBytesPerClient).toBeNull();
    expect(cost.cpuCores).toBe(0.15);
    expect(cost.busiestProcessCpuCores).toBe(0.075);
  });

  it('counts only the reports that have a browser field', () => {
    expect(browserCost([WORKER_A, BROWSER_B], 2, 100)).toMatchObject({ browsers: 1, pages: 1, processes: 4, cpuCores: 0.1, cpuUsPerDelivery: 2000, memoryBytes: 100_000_000 });
  });
});

describe('aggregateWindow with browser workers', () => {
  const { metrics, clientBoundReasons } = aggregateWindow(input({ reports: [BROWSER_A, BROWSER_B] }));

  it('bytes are not measured (null, not 0): a page cannot see its sockets; the payload size stays', () => {
    expect(metrics.bytes).toEqual({ perMessage: null, overheadPerMessage: null, downPerMessage: null, upPerMessage: null, payloadBytes: 100, handshakePerConnection: null });
  });

  it('the busiest Chromium process, not the worker’s whole cpuUs, is its maxWorkerCpuCores', () => {
    // cpuUs 3,000,000 over 2 s would be 1.5 cores; the busiest process used 300,000 µs: 0.15.
    expect(metrics.client.maxWorkerCpuCores).toBe(0.15);
    expect(clientBoundReasons).toEqual([]);
  });

  it('client CPU per delivery still counts the whole cpuUs (Chromium and its driver)', () => {
    expect(metrics.client.cpuUsPerDelivery).toBe(2187.5); // 3,500,000 µs / 1,600 arrivals
    expect(metrics.client.workers).toBe(2);
  });

  it('metrics.client.browser is browserCost over the window and its arrivals', () => {
    expect(metrics.client.browser).toEqual(browserCost([BROWSER_A, BROWSER_B], 2, 1600));
    expect(metrics.client.browser!.cpuUsPerDelivery).toBe(500);
  });

  it('Node runs have no metrics.client.browser at all, and keep their bytes', () => {
    const node = aggregateWindow(input()).metrics;
    expect(node.client).not.toHaveProperty('browser');
    expect(Object.keys(node.client).sort()).toEqual(['cpuUsPerDelivery', 'maxWorkerCpuCores', 'maxWorkerEventLoopUtilization', 'maxWorkerLoopDelayP99Ms', 'readQueueMs', 'workers']);
    expect(node.bytes.perMessage).toBe(156.25);
  });

  it('a mix with any browser report measures no bytes', () => {
    expect(aggregateWindow(input({ reports: [WORKER_A, BROWSER_B] })).metrics.bytes.perMessage).toBeNull();
  });

  it('the rest is merged as for Node workers: latency, integrity, errors', () => {
    const node = aggregateWindow(input()).metrics;
    expect(metrics.latency).toEqual(node.latency);
    expect(metrics.integrity).toEqual(node.integrity);
    expect(metrics.errors).toEqual(node.errors);
    expect(metrics.throughput).toEqual(node.throughput);
  });

  it(`is client-bound when one Chromium process uses ${CLIENT_BOUND_CPU_CORES} cores, named as such`, () => {
    const busy = report({ cpuUs: 100, arrivalsBetweenMarks: 10, browser: chromium({ busiestProcessCpuUs: 1_800_000, chromiumCpuUs: 2_500_000 }) });
    const { clientBoundReasons: reasons, metrics: m } = aggregateWindow(input({ reports: [BROWSER_B, busy] }));
    expect(m.client.maxWorkerCpuCores).toBe(0.9);
    expect(reasons).toEqual(['a Chromium process used 0.9 cores (limit 0.85)']);
    expect(reasons[0]).not.toContain('load worker');
  });

  it(`is client-bound when a page's event-loop delay p99 reaches ${CLIENT_BOUND_LOOP_DELAY_MS} ms, named as such`, () => {
    const slow = report({ loopDelayP99MaxMs: 62.5, browser: chromium() });
    const reasons = aggregateWindow(input({ reports: [slow] })).clientBoundReasons;
    expect(reasons).toEqual(["a page's event-loop delay p99 reached 62.5 ms (limit 50 ms)"]);
    expect(reasons[0]).not.toContain('load worker');
  });

  it('chat send lag reads the same for browser workers', () => {
    const reasons = aggregateWindow(input({ reports: [report({ sendLagP99Ms: 80, browser: chromium() })] })).clientBoundReasons;
    expect(reasons).toEqual([expect.stringMatching(/^chat sends left up to 80 ms after their due time/)]);
  });
});

describe('plan: browser clients', () => {
  const browserConfig = (overrides: Partial<BenchConfig['browser']> = {}): BenchConfig => config({ browser: { ...PROFILE_DEFAULTS.quick.browser, ...overrides } });

  it('browserWorkerCount: one Chromium per clientsPerBrowser clients, at least one', () => {
    const c = browserConfig({ clientsPerBrowser: 150 });
    expect(browserWorkerCount(c, 0)).toBe(1);
    expect(browserWorkerCount(c, 1)).toBe(1);
    expect(browserWorkerCount(c, 150)).toBe(1);
    expect(browserWorkerCount(c, 151)).toBe(2);
    expect(browserWorkerCount(c, 1000)).toBe(7);
    expect(browserWorkerCount(browserConfig({ clientsPerBrowser: 1 }), 5)).toBe(5);
  });
});

describe('aggregateWindow: integrity against what the server published', () => {
  it('expected is the published count times the recipients, per channel, when the server says', () => {
    const { metrics } = aggregateWindow(input({ published: { channels: { ticks: { count: 9 }, room0: { count: 4 } }, incomplete: [] } }));
    // ticks: 4 recipients x 9 = 36, of which 21 arrived; room0: 1 x 4, all arrived.
    expect(metrics.integrity).toMatchObject({ expectedFrom: 'server', expected: 40, received: 25, lost: 15 });
  });
});

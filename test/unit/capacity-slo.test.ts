import { describe, expect, it } from 'vitest';
import { sloBreaches, type Slo } from '../../bench/slo.ts';
import type { Summary } from '../../metrics/histogram.ts';
import { SCHEMA_VERSION, type ResultsFile, type RunMetrics, type RunRecord, type ServerMetrics } from '../../metrics/result-types.ts';
import { validateResults } from '../../metrics/results-io.ts';

const SLO: Slo = { p99Ms: 100, maxLoss: 0 };
const T0_US = 1_767_225_600_000_000;

function summary(p99: number): Summary {
  return { p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 1.5, max: p99 * 2, mean: p99 / 3, count: 10_000 };
}

function server(overrides: Partial<ServerMetrics> = {}): ServerMetrics {
  return {
    cpuMsPer1kDeliveries: 12.5,
    cpuCores: 0.4,
    rssBytes: 120_000_000,
    rssBytesPerConnection: 20_000,
    eventLoopDelayMs: { p50: 10.1, p99: 12.3, max: 15 },
    deliveredPerSec: 2000,
    slowConsumerDisconnects: 0,
    ...overrides,
  };
}

interface RunOverrides {
  latency?: Summary | null;
  rtt?: Summary | null;
  deliveries?: number;
  lost?: number;
  sendFailures?: number;
  disconnects?: number;
  server?: ServerMetrics | null;
}

/** A minimal valid capacity step that meets SLO, changed only where the test says. */
function step(o: RunOverrides = {}): RunRecord {
  const deliveries = o.deliveries ?? 6000;
  const lost = o.lost ?? 0;
  const metrics: RunMetrics = {
    latency: o.latency === undefined ? summary(4) : o.latency,
    rtt: o.rtt === undefined ? null : o.rtt,
    connect: null,
    throughput: { deliveriesPerSec: Math.round(deliveries / 3), deliveries, sendsPerSec: null },
    bytes: { perMessage: null, overheadPerMessage: null, downPerMessage: null, upPerMessage: null, payloadBytes: 100, handshakePerConnection: null },
    server: o.server === undefined ? server() : o.server,
    client: { workers: 1, cpuUsPerDelivery: null, maxWorkerCpuCores: 0.2, maxWorkerLoopDelayP99Ms: 11 },
    integrity: { expected: deliveries + lost, received: deliveries, lost, duplicated: 0, reordered: 0 },
    errors: { connectFailures: 0, decodeErrors: 0, disconnects: o.disconnects ?? 0, sendFailures: o.sendFailures ?? 0 },
  };
  return {
    id: 'capacity-ws-feed/step1',
    transport: 'ws',
    scenario: 'feed',
    client: 'node',
    encoding: 'json',
    kind: 'capacity-step',
    step: { index: 0, search: 'capacity-ws-feed' },
    complete: true,
    clientBound: false,
    clientBoundReasons: [],
    notes: [],
    load: {
      connections: 20,
      publishRatePerSec: 100,
      sendRatePerMember: null,
      rooms: null,
      membersPerRoom: null,
      payloadBytes: 100,
      offeredDeliveriesPerSec: 2000,
      warmupMs: 1000,
      durationMs: 3000,
    },
    window: { startUs: T0_US, endUs: T0_US + 3_000_000, drainMs: 20 },
    metrics,
    histograms: { latency: null, rtt: null, connect: null },
    timeline: [],
  };
}

describe('the RunRecord helper', () => {
  it('builds runs the results schema accepts', () => {
    const runs = [step(), step({ rtt: summary(3), latency: null, server: null, lost: 4, sendFailures: 1, disconnects: 2 })];
    const file: ResultsFile = {
      schemaVersion: SCHEMA_VERSION,
      complete: true,
      interruption: null,
      environment: {
        node: 'v20.19.0',
        platform: 'linux',
        osRelease: '6.8.0',
        arch: 'x64',
        cpuModel: 'test cpu',
        cpuCount: 2,
        totalMemoryBytes: 8e9,
        hostname: 'test',
        gitCommit: null,
        gitDirty: null,
        labVersion: '0.1.0',
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: null,
        otherCpuCores: null,
      },
      config: {},
      clock: null,
      runs,
      capacity: [],
      notices: [],
    };
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(2);
  });
});

describe('sloBreaches', () => {
  it('a run within the SLO has no breaches', () => {
    expect(sloBreaches(step(), SLO)).toEqual([]);
    expect(sloBreaches(step({ latency: summary(99.999), rtt: summary(100) }), SLO)).toEqual([]);
  });

  it('a run without a server section (a --target run without /stats) can still pass', () => {
    expect(sloBreaches(step({ server: null }), SLO)).toEqual([]);
  });

  it('delivery p99 over the SLO breaks it (equal to it does not)', () => {
    expect(sloBreaches(step({ latency: summary(100) }), SLO)).toEqual([]);
    expect(sloBreaches(step({ latency: summary(100.5) }), SLO)).toEqual(['delivery p99 100.5 ms > 100 ms']);
  });

  it('round-trip p99 over the SLO breaks it, even with fast deliveries', () => {
    expect(sloBreaches(step({ latency: summary(2), rtt: summary(250) }), SLO)).toEqual(['round-trip p99 250 ms > 100 ms']);
    expect(sloBreaches(step({ latency: null, rtt: summary(101) }), SLO)).toEqual(['round-trip p99 101 ms > 100 ms']);
  });

  it('uses the SLO it is given', () => {
    const run = step({ latency: summary(40) });
    expect(sloBreaches(run, { p99Ms: 50, maxLoss: 0 })).toEqual([]);
    expect(sloBreaches(run, { p99Ms: 30, maxLoss: 0 })).toEqual(['delivery p99 40 ms > 30 ms']);
  });

  it('loss above maxLoss breaks it; loss equal to maxLoss does not', () => {
    expect(sloBreaches(step({ lost: 1 }), SLO)).toEqual(['1 messages lost (1 deliveries, 0 sends) > 0']);
    expect(sloBreaches(step({ lost: 5 }), { p99Ms: 100, maxLoss: 5 })).toEqual([]);
    expect(sloBreaches(step({ lost: 6 }), { p99Ms: 100, maxLoss: 5 })).toEqual(['6 messages lost (6 deliveries, 0 sends) > 5']);
  });

  it('failed sends count as lost messages, together with lost deliveries', () => {
    expect(sloBreaches(step({ sendFailures: 2 }), SLO)).toEqual(['2 messages lost (0 deliveries, 2 sends) > 0']);
    expect(sloBreaches(step({ lost: 2, sendFailures: 2 }), { p99Ms: 100, maxLoss: 3 })).toEqual(['4 messages lost (2 deliveries, 2 sends) > 3']);
    expect(sloBreaches(step({ lost: 2, sendFailures: 2 }), { p99Ms: 100, maxLoss: 4 })).toEqual([]);
  });

  it('zero deliveries breaks it, even with no latency to judge and nothing counted lost', () => {
    expect(sloBreaches(step({ deliveries: 0, latency: null }), SLO)).toEqual(['nothing was delivered']);
  });

  it('any dropped connection breaks it', () => {
    expect(sloBreaches(step({ disconnects: 1 }), SLO)).toEqual(['1 connections dropped']);
    expect(sloBreaches(step({ disconnects: 1 }), { p99Ms: 100, maxLoss: 1000 })).toEqual(['1 connections dropped']);
  });

  it('slow consumers cut by the server break it', () => {
    expect(sloBreaches(step({ server: server({ slowConsumerDisconnects: 3 }) }), SLO)).toEqual(['the server cut 3 slow consumers']);
  });

  it('lists every breach, in a fixed order', () => {
    const run = step({ deliveries: 0, latency: summary(500), rtt: summary(700), lost: 10, sendFailures: 1, disconnects: 4, server: server({ slowConsumerDisconnects: 4 }) });
    expect(sloBreaches(run, SLO)).toEqual([
      'nothing was delivered',
      'delivery p99 500 ms > 100 ms',
      'round-trip p99 700 ms > 100 ms',
      '11 messages lost (10 deliveries, 1 sends) > 0',
      '4 connections dropped',
      'the server cut 4 slow consumers',
    ]);
  });
});

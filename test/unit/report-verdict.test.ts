import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../metrics/histogram.ts';
import {
  SCHEMA_VERSION,
  type CapacityResult,
  type ResultsFile,
  type RunMetrics,
  type RunRecord,
  type ScenarioName,
  type ServerMetrics,
} from '../../metrics/result-types.ts';
import { readResultsFile, validateResults } from '../../metrics/results-io.ts';
import type { Encoding, TransportName } from '../../scenarios/constants.ts';
import { verdicts } from '../../reports/html/verdict.ts';
import type { Verdict, VerdictCriterion } from '../../reports/html/types.ts';

const SAMPLE = '/tmp/samples/quick-json-binary.json';
const T0_US = 1_767_225_600_000_000;

function summary(p99: number): Summary {
  return { p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 1.5, max: p99 * 2, mean: p99 / 3, count: 10_000 };
}

function server(overrides: Partial<ServerMetrics> = {}): ServerMetrics {
  return {
    cpuMsPer1kDeliveries: 12.5,
    cpuCores: 0.4,
    rssBytes: 120_000_000,
    rssBytesPerConnection: 20_480,
    eventLoopDelayMs: { p50: 10.1, p99: 12.3, max: 15 },
    deliveredPerSec: 2000,
    slowConsumerDisconnects: 0,
    ...overrides,
  };
}

interface RunOverrides {
  encoding?: Encoding;
  kind?: RunRecord['kind'];
  latency?: Summary | null;
  rtt?: Summary | null;
  perMessage?: number | null;
  upPerMessage?: number | null;
  downPerMessage?: number | null;
  server?: ServerMetrics | null;
  lost?: number;
  clientBound?: boolean;
  complete?: boolean;
}

/** A minimal valid fixed run, changed only where the test says. */
function run(transport: TransportName, scenario: ScenarioName, o: RunOverrides = {}): RunRecord {
  const deliveries = 6000;
  const lost = o.lost ?? 0;
  const encoding = o.encoding ?? 'json';
  const metrics: RunMetrics = {
    latency: o.latency === undefined ? summary(4) : o.latency,
    rtt: o.rtt === undefined ? (scenario === 'chat' ? summary(8) : null) : o.rtt,
    connect: null,
    throughput: { deliveriesPerSec: 2000, deliveries, sendsPerSec: null },
    bytes: {
      perMessage: o.perMessage === undefined ? 200 : o.perMessage,
      overheadPerMessage: null,
      downPerMessage: o.downPerMessage === undefined ? null : o.downPerMessage,
      upPerMessage: o.upPerMessage === undefined ? null : o.upPerMessage,
      payloadBytes: 100,
      handshakePerConnection: null,
    },
    server: o.server === undefined ? server() : o.server,
    client: { workers: 1, cpuUsPerDelivery: null, maxWorkerCpuCores: 0.2, maxWorkerLoopDelayP99Ms: 11 },
    integrity: { expected: deliveries + lost, received: deliveries, lost, duplicated: 0, reordered: 0 },
    errors: { connectFailures: 0, decodeErrors: 0, disconnects: 0, sendFailures: 0 },
  };
  return {
    id: `${transport}/${scenario}/${encoding}/node`,
    transport,
    scenario,
    client: 'node',
    encoding,
    kind: o.kind ?? 'fixed',
    step: null,
    complete: o.complete ?? true,
    clientBound: o.clientBound ?? false,
    clientBoundReasons: o.clientBound ? ['client CPU'] : [],
    notes: [],
    load: {
      connections: 20,
      publishRatePerSec: scenario === 'feed' ? 100 : null,
      sendRatePerMember: scenario === 'chat' ? 2 : null,
      rooms: scenario === 'chat' ? 2 : null,
      membersPerRoom: scenario === 'chat' ? 10 : null,
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

function capacity(
  transport: TransportName,
  deliveriesPerSec: number | null,
  stopReason: CapacityResult['stopReason'] = 'slo-broken',
  scenario: ScenarioName = 'feed',
): CapacityResult {
  const id = `${transport}/${scenario}/json/node/capacity`;
  return {
    id,
    transport,
    scenario,
    client: 'node',
    encoding: 'json',
    slo: { p99Ms: 100, maxLoss: 0 },
    sustained:
      deliveriesPerSec === null ? null : { offeredDeliveriesPerSec: deliveriesPerSec, deliveriesPerSec, latencyP99Ms: 5, runId: `${id}/step1` },
    broke: stopReason === 'slo-broken' ? { offeredDeliveriesPerSec: 50_000, reason: 'delivery p99 120 ms > 100 ms', runId: `${id}/step2` } : null,
    stopReason,
    steps: [`${id}/step1`],
  };
}

function resultsFile(runs: RunRecord[], capacities: CapacityResult[] = [], encodings: Encoding[] = ['json']): ResultsFile {
  return {
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
    config: { encodings },
    clock: null,
    runs,
    capacity: capacities,
    notices: [],
  };
}

const verdictsOf = (results: ResultsFile): Verdict[] => verdicts({ results, baseline: null });

function criterionOf(results: ResultsFile, scenario: ScenarioName, id: string): VerdictCriterion {
  const verdict = verdictsOf(results).find((entry) => entry.scenario === scenario);
  const found = verdict?.criteria.find((entry) => entry.id === id);
  if (!found) throw new Error(`no ${id} criterion for ${scenario}`);
  return found;
}

describe('the test helpers', () => {
  it('build results the schema accepts', () => {
    const file = resultsFile([run('ws', 'feed'), run('sse', 'chat', { lost: 2 })], [capacity('ws', 1000, 'client-bound')]);
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(2);
  });
});

describe('verdicts: which scenarios and criteria', () => {
  it('gives one verdict per scenario among fixed runs, feed before chat, transports in the usual order', () => {
    const file = resultsFile([run('sse', 'chat'), run('ws', 'chat'), run('long-poll', 'feed'), run('ws', 'feed')]);
    const result = verdictsOf(file);
    expect(result.map((verdict) => verdict.scenario)).toEqual(['feed', 'chat']);
    expect(result[0]?.transports).toEqual(['ws', 'long-poll']);
    expect(result[1]?.transports).toEqual(['ws', 'sse']);
  });

  it('has no verdict without fixed runs (capacity steps alone do not count)', () => {
    expect(verdictsOf(resultsFile([]))).toEqual([]);
    expect(verdictsOf(resultsFile([run('ws', 'feed', { kind: 'capacity-step' })]))).toEqual([]);
  });

  it('lists the criteria in order, the round trip only for chat, and names the encoding in each label', () => {
    const file = resultsFile([run('ws', 'feed'), run('ws', 'chat')]);
    const [feed, chat] = verdictsOf(file);
    expect(feed?.criteria.map((c) => c.id)).toEqual(['latency-p99', 'capacity', 'bytes-per-message', 'server-cpu', 'server-memory']);
    expect(chat?.criteria.map((c) => c.id)).toEqual(['latency-p99', 'rtt-p99', 'capacity', 'bytes-per-message', 'server-cpu', 'server-memory']);
    expect(feed?.criteria[0]?.label).toBe('Delivery latency p99 (json)');
    expect(chat?.criteria[1]?.label).toBe('Round trip p99 (json)');
    expect(feed?.criteria.map((c) => c.better)).toEqual(['lower', 'higher', 'lower', 'lower', 'lower']);
  });

  it('compares json runs when both encodings ran, never mixing a binary run in', () => {
    const file = resultsFile(
      [
        run('ws', 'feed', { encoding: 'binary', latency: summary(1) }),
        run('ws', 'feed', { latency: summary(10) }),
        run('sse', 'feed', { latency: summary(20) }),
        run('sse', 'feed', { encoding: 'binary', latency: summary(2) }),
      ],
      [],
      ['binary', 'json'],
    );
    const latency = criterionOf(file, 'feed', 'latency-p99');
    expect(latency.label).toBe('Delivery latency p99 (json)');
    expect(latency.figures.ws?.value).toBe(10);
    expect(latency.figures.sse?.value).toBe(20);
  });

  it('uses the binary runs when only binary ran', () => {
    const file = resultsFile([run('ws', 'feed', { encoding: 'binary' }), run('sse', 'feed', { encoding: 'binary' })], [], ['binary']);
    expect(criterionOf(file, 'feed', 'latency-p99').label).toBe('Delivery latency p99 (binary)');
  });
});

describe('verdicts: winner and margin', () => {
  it('names the lowest latency and the ratio against the next best, with both figures', () => {
    const file = resultsFile([
      run('ws', 'feed', { latency: summary(14.2) }),
      run('sse', 'feed', { latency: summary(32.5) }),
      run('long-poll', 'feed', { latency: summary(80) }),
    ]);
    const latency = criterionOf(file, 'feed', 'latency-p99');
    expect(latency.winner).toBe('ws');
    expect(latency.margin).toBe('ws: 2.3x lower than sse (14.2 ms vs 32.5 ms)');
    expect(latency.figures.ws).toEqual({ value: 14.2, text: '14.2 ms', flags: [] });
  });

  it('says a percentage below 2x, and "higher" for capacity', () => {
    const file = resultsFile(
      [run('ws', 'feed'), run('sse', 'feed'), run('long-poll', 'feed')],
      [capacity('ws', 300_333), capacity('sse', 100_000), capacity('long-poll', 403_374)],
    );
    const cap = criterionOf(file, 'feed', 'capacity');
    expect(cap.winner).toBe('long-poll');
    expect(cap.margin).toBe('long-poll: 34 % higher than ws (403,374/s vs 300,333/s)');
    expect(cap.figures.sse?.text).toBe('100,000/s');
  });

  it('calls figures within 5 % a tie, with no winner', () => {
    const file = resultsFile([run('ws', 'feed', { latency: summary(10.1) }), run('sse', 'feed', { latency: summary(10.4) })]);
    const latency = criterionOf(file, 'feed', 'latency-p99');
    expect(latency.winner).toBeNull();
    expect(latency.margin).toBe('tie within 5 %: ws 10.1 ms, sse 10.4 ms');
  });

  it('has no winner with a single measured transport', () => {
    const file = resultsFile([run('ws', 'feed', { latency: summary(3) }), run('sse', 'feed', { latency: null })]);
    const latency = criterionOf(file, 'feed', 'latency-p99');
    expect(latency.winner).toBeNull();
    expect(latency.margin).toBe('only ws measured (3.00 ms): no comparison');
  });

  it('shows "not measured" for a missing figure, never 0, and leaves it out of the comparison', () => {
    const file = resultsFile([
      run('ws', 'feed', { server: null, perMessage: null }),
      run('sse', 'feed', { server: server({ cpuMsPer1kDeliveries: 30, rssBytesPerConnection: null }) }),
      run('long-poll', 'feed', { server: server({ cpuMsPer1kDeliveries: 60 }) }),
    ]);
    const cpu = criterionOf(file, 'feed', 'server-cpu');
    expect(cpu.figures.ws).toEqual({ value: null, text: 'not measured', flags: [] });
    expect(cpu.winner).toBe('sse');
    expect(cpu.margin).toBe('sse: 2.0x lower than long-poll (30.0 ms vs 60.0 ms)');
    const bytes = criterionOf(file, 'feed', 'bytes-per-message');
    expect(bytes.figures.ws?.text).toBe('not measured');
    expect(bytes.figures.ws?.value).toBeNull();
    const memory = criterionOf(file, 'feed', 'server-memory');
    expect(memory.figures.sse?.text).toBe('not measured');
    expect(memory.margin).toBe('only long-poll measured (20.0 KB): no comparison');
    for (const verdict of verdictsOf(file)) {
      for (const c of verdict.criteria) for (const fig of Object.values(c.figures)) expect(fig?.value).not.toBe(0);
    }
  });

  it('says "not measured for any transport" when nobody measured it', () => {
    const file = resultsFile([run('ws', 'feed'), run('sse', 'feed')]);
    const cap = criterionOf(file, 'feed', 'capacity');
    expect(cap.winner).toBeNull();
    expect(cap.margin).toBe('not measured for any transport');
    expect(cap.figures.ws?.text).toBe('not measured');
  });

  it('shows memory per connection in KB and bytes with their unit', () => {
    const file = resultsFile([
      run('ws', 'feed', { perMessage: 179.67, server: server({ rssBytesPerConnection: 67_502 }) }),
      run('long-poll', 'feed', { perMessage: 502, server: server({ rssBytesPerConnection: 246_456 }) }),
    ]);
    const memory = criterionOf(file, 'feed', 'server-memory');
    expect(memory.unit).toBe('KB');
    expect(memory.figures.ws?.text).toBe('65.9 KB');
    expect(memory.margin).toBe('ws: 3.7x lower than long-poll (65.9 KB vs 241 KB)');
    expect(criterionOf(file, 'feed', 'bytes-per-message').margin).toBe('ws: 2.8x lower than long-poll (180 B vs 502 B)');
  });
});

describe('verdicts: flags', () => {
  it('flags client-bound, incomplete and lossy runs on every figure of the run', () => {
    const file = resultsFile([
      run('ws', 'feed', { clientBound: true }),
      run('sse', 'feed', { complete: false }),
      run('long-poll', 'feed', { lost: 1234 }),
    ]);
    for (const c of verdictsOf(file)[0]?.criteria ?? []) {
      if (c.id === 'capacity') continue;
      expect(c.figures.ws?.flags).toEqual(['client-bound']);
      expect(c.figures.sse?.flags).toEqual(['incomplete']);
      expect(c.figures['long-poll']?.flags).toEqual(['lost 1,234']);
    }
  });

  it('still names a client-bound best run, and says so in the margin', () => {
    const file = resultsFile([run('ws', 'feed', { latency: summary(5), clientBound: true }), run('sse', 'feed', { latency: summary(8) })]);
    const latency = criterionOf(file, 'feed', 'latency-p99');
    expect(latency.winner).toBe('ws');
    expect(latency.margin).toBe('ws: 38 % lower than sse (5.00 ms vs 8.00 ms); the ws figure came from a client-bound run');
  });

  it('says when the winner or the next best is incomplete or lost messages', () => {
    const file = resultsFile([
      run('ws', 'feed', { latency: summary(5), complete: false }),
      run('sse', 'feed', { latency: summary(20), lost: 3 }),
    ]);
    expect(criterionOf(file, 'feed', 'latency-p99').margin).toBe(
      'ws: 4.0x lower than sse (5.00 ms vs 20.0 ms); the ws figure came from an incomplete run; the sse run lost 3 messages',
    );
  });

  it('marks capacity a lower bound when the search stopped client-bound or no step broke the SLO', () => {
    const file = resultsFile(
      [run('ws', 'feed'), run('sse', 'feed'), run('long-poll', 'feed')],
      [capacity('ws', 90_000, 'client-bound'), capacity('sse', 40_000, 'all-steps-passed'), capacity('long-poll', 10_000)],
    );
    const cap = criterionOf(file, 'feed', 'capacity');
    expect(cap.figures.ws?.flags).toEqual(['client-bound: at least']);
    expect(cap.figures.sse?.flags).toEqual(['no step broke the SLO: at least']);
    expect(cap.figures['long-poll']?.flags).toEqual([]);
    expect(cap.winner).toBe('ws');
    expect(cap.margin).toBe(
      'ws: 2.3x higher than sse (90,000/s vs 40,000/s); the ws figure is a lower bound; the sse figure is a lower bound, so the gap may be smaller',
    );
  });

  it('takes capacity only from the same transport, scenario and encoding', () => {
    const file = resultsFile([run('ws', 'chat'), run('sse', 'chat')], [capacity('ws', 90_000), capacity('sse', 50_000)]);
    const cap = criterionOf(file, 'chat', 'capacity');
    expect(cap.figures.ws?.text).toBe('not measured');
    expect(cap.winner).toBeNull();
  });

  it('does not turn a search whose first step broke the SLO into 0', () => {
    const file = resultsFile([run('ws', 'feed'), run('sse', 'feed')], [capacity('ws', 20_000), capacity('sse', null)]);
    const cap = criterionOf(file, 'feed', 'capacity');
    expect(cap.figures.sse?.value).toBeNull();
    expect(cap.figures.sse?.text).toBe('none: the first step (50,000/s offered) broke the SLO');
    expect(cap.margin).toBe('only ws measured (20,000/s): no comparison');
  });
});

describe.skipIf(!existsSync(SAMPLE))('verdicts on a real results file', () => {
  it('gives a verdict per scenario with all three transports and a latency winner', async () => {
    const results = await readResultsFile(SAMPLE);
    const result = verdictsOf(results);
    expect(result.map((verdict) => verdict.scenario)).toEqual(['feed', 'chat']);
    for (const verdict of result) {
      expect(verdict.transports).toEqual(['ws', 'sse', 'long-poll']);
      const latency = verdict.criteria.find((c) => c.id === 'latency-p99');
      expect(latency?.winner).not.toBeNull();
      expect(latency?.margin).toMatch(new RegExp(`^${latency?.winner}: `));
    }
  });
});

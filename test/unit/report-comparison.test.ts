import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../metrics/histogram.ts';
import { SCHEMA_VERSION, type ResultsFile, type RunMetrics, type RunRecord, type ScenarioName, type ServerMetrics } from '../../metrics/result-types.ts';
import { readResultsFile } from '../../metrics/results-io.ts';
import { TRANSPORTS, type Encoding, type TransportName } from '../../scenarios/constants.ts';
import { comparisonRows } from '../../reports/html/comparison.ts';
import { verdicts } from '../../reports/html/verdict.ts';
import type { ComparisonRow } from '../../reports/html/types.ts';

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

function resultsFile(runs: RunRecord[], encodings: Encoding[] = ['json']): ResultsFile {
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
    capacity: [],
    notices: [],
  };
}


const rowsOf = (results: ResultsFile): ComparisonRow[] => comparisonRows({ results, baseline: null });

function rowOf(results: ResultsFile, feature: string): ComparisonRow {
  const found = rowsOf(results).find((row) => row.feature === feature);
  if (!found) throw new Error(`no ${feature} row`);
  return found;
}

/** Every number written in a text, as plain numbers ("1,234" -> 1234); the 99 of "p99" is a name, not a figure. */
const numbersIn = (text: string): number[] => (text.match(/(?<![\w.])\d[\d,]*(\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, '')));

const chatRuns = (encoding: Encoding = 'json'): RunRecord[] => [
  run('ws', 'chat', { encoding, rtt: summary(4.667), upPerMessage: 15.95, perMessage: encoding === 'json' ? 216.95 : 154.25 }),
  run('sse', 'chat', { encoding, rtt: summary(6.127), upPerMessage: 29.11, perMessage: encoding === 'json' ? 264.82 : 251.1 }),
  run('long-poll', 'chat', { encoding, rtt: summary(6.195), upPerMessage: 135.86, perMessage: encoding === 'json' ? 544.84 : 473.61 }),
];

const feedRuns = (encoding: Encoding = 'json'): RunRecord[] => [
  run('ws', 'feed', { encoding, downPerMessage: 179.67, upPerMessage: 0, perMessage: encoding === 'json' ? 179.67 : 132 }),
  run('sse', 'feed', { encoding, downPerMessage: 203.33, upPerMessage: 0, perMessage: encoding === 'json' ? 203.33 : 199.67 }),
  run('long-poll', 'feed', { encoding, downPerMessage: 388.34, upPerMessage: 113.67, perMessage: encoding === 'json' ? 502 : 456.47 }),
];

describe('comparisonRows: the seed notes\' claims', () => {
  it('has the seed table\'s rows, plus Data flow, each with a cell per transport', () => {
    const rows = rowsOf(resultsFile([]));
    expect(rows.map((row) => row.feature)).toEqual(['Bidirectional', 'Data flow', 'Auto-reconnect', 'Binary support', 'Proxy friendly', 'Complexity']);
    for (const row of rows) expect(Object.keys(row.cells)).toEqual([...TRANSPORTS]);
  });

  it('copies the claims faithfully, as plain text', () => {
    const claims = Object.fromEntries(
      rowsOf(resultsFile([])).map((row) => [row.feature, TRANSPORTS.map((transport) => row.cells[transport].claim)]),
    );
    expect(claims).toEqual({
      Bidirectional: ['Yes', 'No: server->client only', 'Sort of'],
      'Data flow': ['Two-way', 'Server -> client', 'Fake two-way'],
      'Auto-reconnect': ['No: manual', 'Yes: built-in', 'Manual'],
      'Binary support': ['Yes', 'No: text only', 'Via base64'],
      'Proxy friendly': ['Sometimes blocked', 'Yes: always', 'Yes: always'],
      Complexity: ['Medium', 'Low', 'High'],
    });
    for (const row of rowsOf(resultsFile([]))) {
      for (const cell of Object.values(row.cells)) expect(cell.claim).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('says "not measured in this run" for everything when nothing ran', () => {
    for (const row of rowsOf(resultsFile([]))) {
      for (const cell of Object.values(row.cells)) {
        expect(cell.support).toBe('not-measured');
        expect(cell.evidence).toMatch(/^not measured in this run \(.+\)$/);
      }
    }
  });

  it('never measures auto-reconnect, proxies or complexity yet', () => {
    const file = resultsFile([...feedRuns(), ...chatRuns(), ...feedRuns('binary'), ...chatRuns('binary')], ['json', 'binary']);
    expect(rowOf(file, 'Auto-reconnect').cells.sse).toEqual({
      claim: 'Yes: built-in',
      evidence: 'not measured in this run (reconnects are measured with browser clients: the default profile, or --clients browser)',
      support: 'not-measured',
    });
    expect(rowOf(file, 'Proxy friendly').cells.ws.evidence).toBe('not measured in this run (no proxy scenario)');
    expect(rowOf(file, 'Complexity').cells['long-poll'].evidence).toBe('not measured in this run (qualitative)');
  });
});

describe('comparisonRows: evidence', () => {
  it('backs Bidirectional with the chat send path, its round trip and the bytes sent', () => {
    const row = rowOf(resultsFile([...chatRuns()]), 'Bidirectional');
    expect(row.cells.ws).toEqual({
      claim: 'Yes',
      evidence: 'chat (json): members send on the same socket; round trip p99 4.67 ms, 16 B up per delivery',
      support: 'measured',
    });
    expect(row.cells.sse.evidence).toBe('chat (json): members send by POST /messages, a separate HTTP request; round trip p99 6.13 ms, 29 B up per delivery');
    expect(row.cells['long-poll'].evidence).toBe(
      'chat (json): members send by POST /messages and receive by polling again; round trip p99 6.20 ms, 136 B up per delivery',
    );
  });

  it('says which figures are missing and flags the run', () => {
    const file = resultsFile([
      run('ws', 'chat', { rtt: null, upPerMessage: 12, clientBound: true }),
      run('sse', 'chat', { rtt: null, upPerMessage: null }),
    ]);
    const row = rowOf(file, 'Bidirectional');
    expect(row.cells.ws.evidence).toBe('chat (json): members send on the same socket; round trip not measured, 12 B up per delivery (client-bound)');
    expect(row.cells.sse.support).toBe('not-measured');
    expect(row.cells['long-poll'].evidence).toBe('not measured in this run (no chat run)');
  });

  it('backs Data flow with bytes down and up per delivery in the feed', () => {
    const row = rowOf(resultsFile([...feedRuns()]), 'Data flow');
    expect(row.cells.ws.evidence).toBe('feed (json): 180 B down, 0 B up per delivery; pushed on the open socket');
    expect(row.cells['long-poll'].evidence).toBe('feed (json): 388 B down, 114 B up per delivery; each batch answers a new GET /poll');
    expect(rowOf(resultsFile([...chatRuns()]), 'Data flow').cells.sse.evidence).toBe('not measured in this run (no feed run)');
  });

  it('without binary runs, Binary support asks for --encoding json,binary', () => {
    const row = rowOf(resultsFile([...feedRuns(), ...chatRuns()]), 'Binary support');
    for (const transport of TRANSPORTS) {
      expect(row.cells[transport].support).toBe('not-measured');
      expect(row.cells[transport].evidence).toBe('not measured in this run (run with --encoding json,binary)');
    }
  });

  it('with both encodings, Binary support compares bytes per message and says how each transport carries binary', () => {
    const file = resultsFile([...feedRuns(), ...chatRuns(), ...feedRuns('binary'), ...chatRuns('binary')], ['json', 'binary']);
    const row = rowOf(file, 'Binary support');
    expect(row.cells.ws.evidence).toBe(
      'feed: 180 B per message in json, 132 B in binary (-27 %); chat: 217 B per message in json, 154 B in binary (-29 %); one binary frame per message',
    );
    expect(row.cells.sse.evidence).toMatch(/^feed: 203 B per message in json, 200 B in binary \(-2 %\); .*SSE carries binary as base64 text/);
    expect(row.cells['long-poll'].evidence).toMatch(/long-poll carries binary as an application\/octet-stream body/);
    for (const transport of TRANSPORTS) expect(row.cells[transport].support).toBe('measured');
  });

  it('compares binary only for a transport that ran both encodings', () => {
    const file = resultsFile([...feedRuns(), run('ws', 'feed', { encoding: 'binary', perMessage: 132, lost: 2 })], ['json', 'binary']);
    const row = rowOf(file, 'Binary support');
    expect(row.cells.ws.evidence).toBe('feed: 180 B per message in json, 132 B in binary (-27 %) [binary run lost 2]; one binary frame per message');
    expect(row.cells.sse.evidence).toBe('not measured in this run (run with --encoding json,binary)');
  });

  it('invents no number: every figure in the evidence comes from the results', () => {
    const file = resultsFile([...feedRuns(), ...chatRuns(), ...feedRuns('binary'), ...chatRuns('binary')], ['json', 'binary']);
    const allowed = new Set([180, 0, 388, 114, 203, 16, 29, 136, 4.67, 6.13, 6.2, 132, 27, 217, 154, 29, 200, 2, 265, 251, 5, 502, 456, 9, 545, 474, 13]);
    for (const row of rowsOf(file)) {
      for (const cell of Object.values(row.cells)) {
        for (const n of numbersIn(cell.evidence)) expect(allowed, `${n} in "${cell.evidence}"`).toContain(n);
      }
    }
  });
});

describe.skipIf(!existsSync(SAMPLE))('comparisonRows and verdicts on a real results file', () => {
  it('measures Bidirectional, Data flow and Binary support for every transport, and picks a latency winner', async () => {
    const results = await readResultsFile(SAMPLE);
    const rows = rowsOf(results);
    for (const feature of ['Bidirectional', 'Data flow', 'Binary support']) {
      const row = rows.find((entry) => entry.feature === feature);
      for (const transport of TRANSPORTS) expect(row?.cells[transport].support, `${feature} ${transport}`).toBe('measured');
    }
    const result = verdicts({ results, baseline: null });
    expect(result.map((verdict) => verdict.scenario)).toEqual(['feed', 'chat']);
    for (const verdict of result) {
      expect(verdict.transports).toEqual(['ws', 'sse', 'long-poll']);
      expect(verdict.criteria.find((c) => c.id === 'latency-p99')?.winner).not.toBeNull();
    }
  });
});

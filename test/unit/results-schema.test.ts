import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCODINGS, TRANSPORTS, type Encoding, type TransportName } from '../../scenarios/constants.ts';
import {
  SCHEMA_VERSION,
  type CapacityLimitKind,
  type CapacityResult,
  type CapacitySearchEnd,
  type ClientKind,
  type ResultsFile,
  type RunKind,
  type RunRecord,
  type ScenarioName,
  type TimelinePoint,
} from '../../metrics/result-types.ts';
import {
  ResultsError,
  readResultsFile,
  validateResults,
  writeResultsFile,
  type ResultsErrorCode,
} from '../../metrics/results-io.ts';

// ---------------------------------------------------------------------------------------------
// A complete, realistic results file. It is typed, so tsc checks it against result-types.ts: every
// field of every type is present (none is optional) and an object literal cannot carry an unknown
// key. Every nullable object is non-null at least once, so the drift walk below sees every shape.
// ---------------------------------------------------------------------------------------------

// Real compressed HDR histograms are long; the schema only requires strings.
const HIST_LATENCY = 'HISTFAAAACl4nJNpmSzMwMDAyQABzFCaEUoz2X+AsQEAVHUD8w==';
const HIST_RTT = 'HISTFAAAACh4nJNpmSzMwMDAwwABzFCaEUoz2X+AsQEAVQ0D9A==';
const HIST_CONNECT = 'HISTFAAAACd4nJNpmSzMwMDAxQABzFCaEUoz2X+AsQEAVAkD8g==';

const T0_US = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs

function timeline(deliveriesPerSec: number, connections: number, server: boolean): TimelinePoint[] {
  const phases: TimelinePoint['phase'][] = ['warmup', 'warmup', 'measure', 'measure', 'measure', 'drain'];
  return phases.map((phase, t) => ({
    t,
    phase,
    deliveries: phase === 'drain' ? Math.round(deliveriesPerSec / 50) : deliveriesPerSec,
    latencyP99Ms: phase === 'warmup' && t === 0 ? null : 3.2 + t / 10,
    connections,
    clientCpuCores: 0.41,
    serverCpuCores: server ? 0.37 : null,
    serverRssBytes: server ? 96_468_992 + t * 4096 : null,
    serverLoopDelayP99Ms: server ? 11.3 : null,
  }));
}

const feedRun: RunRecord = {
  id: 'run-1-ws-feed-json',
  transport: 'ws',
  scenario: 'feed',
  client: 'node',
  encoding: 'json',
  kind: 'fixed',
  step: null,
  complete: true,
  clientBound: false,
  clientBoundReasons: [],
  notes: [],
  load: {
    connections: 1000,
    publishRatePerSec: 10,
    sendRatePerMember: null,
    rooms: null,
    membersPerRoom: null,
    payloadBytes: 64,
    offeredDeliveriesPerSec: 10_000,
    warmupMs: 2000,
    durationMs: 30_000,
  },
  window: { startUs: T0_US + 2_000_000, endUs: T0_US + 32_000_000, drainMs: 1000 },
  metrics: {
    latency: { p50: 1.207, p90: 2.331, p99: 4.915, p999: 9.087, max: 14.2, mean: 1.412, count: 300_000 },
    rtt: null,
    connect: { p50: 2.1, p90: 3.5, p99: 8.9, p999: 12.3, max: 12.3, mean: 2.6, count: 1000 },
    throughput: { deliveriesPerSec: 9998.7, deliveries: 299_961, sendsPerSec: null },
    bytes: {
      perMessage: 118.4,
      overheadPerMessage: 54.4,
      downPerMessage: 118.4,
      upPerMessage: 0,
      payloadBytes: 64,
      handshakePerConnection: 352,
    },
    server: {
      cpuMsPer1kDeliveries: 37.2,
      cpuCores: 0.372,
      rssBytes: 96_530_432,
      rssBytesPerConnection: 24_117.2,
      idleRssBytesPerConnection: 20_480,
      eventLoopDelayMs: { p50: 10.1, p99: 11.3, max: 13.9 },
      deliveredPerSec: 9999.1,
      slowConsumerDisconnects: 0,
      feedLatenessMs: { p50: 0.21, p99: 1.4, max: 3.1, count: 3000 },
    },
    client: { workers: 2, cpuUsPerDelivery: 41.7, maxWorkerCpuCores: 0.22, maxWorkerLoopDelayP99Ms: 12.6, readQueueMs: { p50: 0.31, p99: 2.2, max: 4.1 }, maxWorkerEventLoopUtilization: 0.18 },
    integrity: { expected: 300_000, received: 300_000, lost: 0, duplicated: 0, reordered: 0 },
    errors: { connectFailures: 0, decodeErrors: 0, disconnects: 0, sendFailures: 0 },
  },
  histograms: { latency: HIST_LATENCY, rtt: null, connect: HIST_CONNECT },
  timeline: timeline(10_000, 1000, true),
  repeat: 1,
};

const chatRun: RunRecord = {
  id: 'run-2-sse-chat-binary',
  transport: 'sse',
  scenario: 'chat',
  client: 'node',
  encoding: 'binary',
  kind: 'fixed',
  step: null,
  complete: true,
  clientBound: true,
  clientBoundReasons: ['client worker 1 used 0.97 cores (limit 0.9)'],
  notes: ['chat sends go over POST /messages'],
  load: {
    connections: 500,
    publishRatePerSec: null,
    sendRatePerMember: 1,
    rooms: 50,
    membersPerRoom: 10,
    payloadBytes: 128,
    offeredDeliveriesPerSec: 4500,
    warmupMs: 2000,
    durationMs: 30_000,
  },
  window: { startUs: T0_US + 40_000_000, endUs: T0_US + 70_000_000, drainMs: 1000 },
  metrics: {
    latency: { p50: 2.9, p90: 5.1, p99: 9.8, p999: 21.4, max: 33.0, mean: 3.3, count: 134_880 },
    rtt: { p50: 4.4, p90: 7.9, p99: 15.1, p999: 30.2, max: 41.7, mean: 5.0, count: 14_990 },
    connect: { p50: 1.4, p90: 2.2, p99: 4.0, p999: 4.6, max: 4.6, mean: 1.6, count: 500 },
    throughput: { deliveriesPerSec: 4496, deliveries: 134_880, sendsPerSec: 499.7 },
    bytes: {
      perMessage: 201.3,
      overheadPerMessage: 73.3,
      downPerMessage: 151.1,
      upPerMessage: 50.2,
      payloadBytes: 128,
      handshakePerConnection: 287,
    },
    server: null,
    client: { workers: 2, cpuUsPerDelivery: 205.4, maxWorkerCpuCores: 0.97, maxWorkerLoopDelayP99Ms: 48.2 },
    integrity: {
      expected: 134_910,
      received: 134_880,
      lost: 30,
      duplicated: 2,
      reordered: 0,
      expectedFrom: 'server',
      lostBy: { serverCut: { count: 20, connections: 1, codes: [{ code: '4008 SLOW_CONSUMER', count: 20, connections: 1 }] }, connectionFailed: { count: 4, connections: 1 }, neverArrived: 6 },
    },
    errors: { connectFailures: 0, decodeErrors: 0, disconnects: 1, sendFailures: 3 },
  },
  histograms: { latency: HIST_LATENCY, rtt: HIST_RTT, connect: HIST_CONNECT },
  timeline: timeline(4500, 500, false),
};

const SEARCH_ID = 'capacity-1-long-poll-feed-json';

function capacityStep(index: number, connections: number, p99: number, lost: number): RunRecord {
  const offered = connections * 10;
  const deliveries = offered * 20 - lost;
  return {
    id: `run-${3 + index}-long-poll-feed-json-step-${index}`,
    transport: 'long-poll',
    scenario: 'feed',
    client: 'node',
    encoding: 'json',
    kind: 'capacity-step',
    step: { index, search: SEARCH_ID },
    complete: true,
    clientBound: false,
    clientBoundReasons: [],
    notes: [],
    load: {
      connections,
      publishRatePerSec: 10,
      sendRatePerMember: null,
      rooms: null,
      membersPerRoom: null,
      payloadBytes: 64,
      offeredDeliveriesPerSec: offered,
      warmupMs: 2000,
      durationMs: 20_000,
    },
    window: { startUs: T0_US + (80 + index * 25) * 1e6, endUs: T0_US + (100 + index * 25) * 1e6, drainMs: 1000 },
    metrics: {
      latency: { p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 1.5, max: p99 * 2, mean: p99 / 3, count: deliveries },
      rtt: null,
      connect: { p50: 1.1, p90: 1.9, p99: 3.3, p999: 3.9, max: 3.9, mean: 1.3, count: connections },
      throughput: { deliveriesPerSec: deliveries / 20, deliveries, sendsPerSec: null },
      bytes: {
        perMessage: 301.9,
        overheadPerMessage: 237.9,
        downPerMessage: 214.0,
        upPerMessage: 87.9,
        payloadBytes: 64,
        handshakePerConnection: null,
      },
      server: {
        cpuMsPer1kDeliveries: 88.4,
        cpuCores: 0.884 * (index + 1),
        rssBytes: 120_000_000,
        rssBytesPerConnection: -112.5,
        eventLoopDelayMs: null,
        deliveredPerSec: deliveries / 20,
        slowConsumerDisconnects: 0,
      },
      client: { workers: 2, cpuUsPerDelivery: 63.0, maxWorkerCpuCores: 0.51, maxWorkerLoopDelayP99Ms: 14.0 },
      integrity: { expected: offered * 20, received: deliveries, lost, duplicated: 0, reordered: 0 },
      errors: { connectFailures: 0, decodeErrors: 0, disconnects: 0, sendFailures: 0 },
    },
    histograms: { latency: HIST_LATENCY, rtt: null, connect: HIST_CONNECT },
    timeline: timeline(offered, connections, true),
  };
}

const step0 = capacityStep(0, 500, 8.4, 0);
const step1 = capacityStep(1, 1000, 61.2, 12);

const capacityResult: CapacityResult = {
  id: SEARCH_ID,
  transport: 'long-poll',
  scenario: 'feed',
  client: 'node',
  encoding: 'json',
  slo: { p99Ms: 50, maxLoss: 0 },
  sustained: { offeredDeliveriesPerSec: 5000, deliveriesPerSec: 5000, latencyP99Ms: 8.4, runId: step0.id },
  broke: {
    offeredDeliveriesPerSec: 10_000,
    reason: 'p99 61.2 ms > 50 ms; lost 12 > 0',
    runId: step1.id,
    limit: { by: 'server', why: 'the server ran out: its CPU reached 0.97 cores (limit 0.85)', serverCpuCores: 0.97, serverLoopDelayP99Ms: 38.2, clientCpuCores: 0.61, machineBusyCores: 1.71, machineCores: 2 },
  },
  brokeBelow: [{ offeredDeliveriesPerSec: 2500, latencyP99Ms: 55.1, runId: step0.id }],
  stopReason: 'slo-broken',
  steps: [step0.id, step1.id],
  resolution: 0.1,
  searchEnd: 'bracketed',
  repeat: 1,
};

/** A browser reconnect run: the optional keys (client.browser, reconnect) present. */
const feedRunCopy = structuredClone(feedRun);
const browserReconnectRun: RunRecord = {
  ...feedRunCopy,
  id: 'ws/feed/json/browser/reconnect',
  client: 'browser',
  kind: 'reconnect',
  metrics: {
    ...feedRunCopy.metrics,
    client: {
      workers: 1,
      cpuUsPerDelivery: 61.2,
      maxWorkerCpuCores: 0.31,
      maxWorkerLoopDelayP99Ms: 4.2,
      readQueueMs: null,
      maxWorkerEventLoopUtilization: null,
      browser: { version: 'Chromium/142.0.7444.59', browsers: 1, pages: 2, processes: 7, cpuCores: 0.42, cpuUsPerDelivery: 42.1, busiestProcessCpuCores: 0.31, memoryBytes: 412_000_000, memoryBytesPerClient: 4_120_000 },
    },
  },
  reconnect: {
    dropAtMs: 1000,
    droppedConnections: 100,
    clients: 100,
    sawDisconnect: 100,
    reopened: 100,
    reopen: { p50: 1004, p90: 1010, p99: 1021, p999: 1021, max: 1021, mean: 1005, count: 100 },
    resume: { p50: 1012, p90: 1030, p99: 1040, p999: 1040, max: 1040, mean: 1015, count: 100 },
    notResumed: 0,
    attempts: 100,
    missed: 0,
    recovered: 2000,
    duplicates: 0,
  },
};

const sample: ResultsFile = {
  schemaVersion: 1,
  complete: true,
  interruption: null,
  environment: {
    node: 'v20.20.2',
    platform: 'linux',
    osRelease: '6.8.0-45-generic',
    arch: 'x64',
    cpuModel: 'AMD EPYC 7B13',
    cpuCount: 2,
    totalMemoryBytes: 8_331_022_336,
    hostname: 'bench-1',
    gitCommit: '3f9c2d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d',
    gitDirty: false,
    labVersion: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:02:31.412Z',
    otherCpuCores: 0.03,
  },
  config: { transports: ['ws', 'sse', 'long-poll'], feedRate: 10, capacity: { sloP99Ms: 50, maxLoss: 0 } },
  clock: {
    samples: [
      { process: 'server', offsetUs: 12.5, uncertaintyUs: 41 },
      { process: 'worker-1', offsetUs: -8, uncertaintyUs: 37.5 },
    ],
    maxAbsOffsetUs: 12.5,
    agreed: true,
  },
  runs: [feedRun, chatRun, step0, step1, browserReconnectRun],
  capacity: [capacityResult],
  notices: ['the machine had 2 cores: client and server share them'],
  findings: [
    {
      kind: 'connections-per-origin',
      transport: 'sse',
      browserVersion: 'Chromium/142.0.7444.59',
      attempted: 7,
      openedAtOnce: 6,
      waitMs: 1500,
      waitingOpenedAfterCloseMs: 3.1,
      openMs: [12.1, 12.4, 12.9, 13.0, 13.2, 13.3, null],
      spread: { streams: 7, origins: 2, opened: 7 },
    },
  ],
  summary: {
    repeats: 1,
    runs: [
      {
        series: feedRun.id,
        transport: 'ws',
        scenario: 'feed',
        client: 'node',
        encoding: 'json',
        kind: 'fixed',
        runIds: [feedRun.id],
        figures: [{ id: 'latency-p99', n: 1, median: 4.915, min: 4.915, max: 4.915, values: [4.915] }],
      },
    ],
    capacity: [{ series: SEARCH_ID, transport: 'long-poll', scenario: 'feed', client: 'node', encoding: 'json', searchIds: [SEARCH_ID], sustained: { n: 1, median: 5000, min: 5000, max: 5000, values: [5000] } }],
  },
};

// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A deep copy of the sample, loosely typed so a test can break it. */
function draft(): JsonObject {
  return structuredClone(sample) as unknown as JsonObject;
}

/** Follows a path of keys and indexes to an object inside a draft. */
function at(root: JsonObject, ...path: (string | number)[]): JsonObject {
  let node: Json = root;
  for (const key of path) {
    node = (node as Record<string | number, Json>)[key] as Json;
    if (node === undefined) throw new Error(`no ${path.join('.')} in the sample`);
  }
  return node as JsonObject;
}

function refusal(run: () => unknown): ResultsError {
  try {
    run();
  } catch (err) {
    if (err instanceof ResultsError) return err;
    throw err;
  }
  throw new Error('expected a ResultsError, nothing was thrown');
}

async function asyncRefusal(run: () => Promise<unknown>): Promise<ResultsError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ResultsError) return err;
    throw err;
  }
  throw new Error('expected a ResultsError, nothing was thrown');
}

function expectRefusal(err: ResultsError, code: ResultsErrorCode, ...fragments: string[]): void {
  expect(err.code).toBe(code);
  for (const fragment of fragments) expect(err.message).toContain(fragment);
}

describe('results.schema.json accepts what the types describe', () => {
  it('validates the complete sample and returns it', () => {
    expect(validateResults(sample, 'sample')).toBe(sample);
  });

  it('survives a JSON round trip', () => {
    expect(validateResults(JSON.parse(JSON.stringify(sample)), 'sample')).toEqual(sample);
  });

  it('accepts null where the types allow it', () => {
    const d = draft();
    d.clock = null;
    d.complete = false;
    d.interruption = 'SIGINT during run 2';
    at(d, 'environment').finishedAt = null;
    at(d, 'environment').gitCommit = null;
    at(d, 'environment').gitDirty = null;
    const metrics = at(d, 'runs', 0, 'metrics');
    metrics.latency = null;
    metrics.connect = null;
    metrics.server = null;
    at(d, 'runs', 0, 'histograms').latency = null;
    at(d, 'capacity', 0).sustained = null;
    at(d, 'capacity', 0).broke = null;
    expect(() => validateResults(d, 'sample')).not.toThrow();
  });
});

describe('results.schema.json refuses what the types do not allow', () => {
  it('a missing required run field', () => {
    const d = draft();
    delete at(d, 'runs', 1).transport;
    expectRefusal(
      refusal(() => validateResults(d, 'out/results.json')),
      'BAD_RESULTS',
      'out/results.json is not a valid results file',
      "/runs/1: must have required property 'transport'",
      'npm run bench',
    );
  });

  it('an unknown key inside metrics', () => {
    const d = draft();
    at(d, 'runs', 0, 'metrics').p99Ms = 4.9;
    expectRefusal(
      refusal(() => validateResults(d, 'out/results.json')),
      'BAD_RESULTS',
      "/runs/0/metrics: must NOT have additional properties ('p99Ms')",
    );
  });

  it('an unknown key inside a summary', () => {
    const d = draft();
    at(d, 'runs', 1, 'metrics', 'rtt').p95 = 12;
    expectRefusal(
      refusal(() => validateResults(d, 'x')),
      'BAD_RESULTS',
      "/runs/1/metrics/rtt: must NOT have additional properties ('p95')",
    );
  });

  it('a wrong enum value', () => {
    const d = draft();
    at(d, 'runs', 2).transport = 'http2';
    expectRefusal(
      refusal(() => validateResults(d, 'x')),
      'BAD_RESULTS',
      '/runs/2/transport: must be equal to one of the allowed values: "ws", "sse", "long-poll"',
    );
  });

  it('a wrong stop reason and phase', () => {
    const d = draft();
    at(d, 'capacity', 0).stopReason = 'timeout';
    at(d, 'runs', 0, 'timeline', 3).phase = 'cooldown';
    const err = refusal(() => validateResults(d, 'x'));
    expectRefusal(err, 'BAD_RESULTS', '2 problems', '/capacity/0/stopReason: ', '/runs/0/timeline/3/phase: ');
  });

  it('a summary with a count of 0 or a negative percentile', () => {
    const d = draft();
    at(d, 'runs', 0, 'metrics', 'latency').count = 0;
    at(d, 'runs', 0, 'metrics', 'connect').p50 = -1;
    const err = refusal(() => validateResults(d, 'x'));
    expectRefusal(err, 'BAD_RESULTS', '/runs/0/metrics/latency/count: must be >= 1', '/runs/0/metrics/connect/p50: must be >= 0');
  });

  it('NaN, which JSON.stringify would write as null', () => {
    const d = draft();
    at(d, 'runs', 0, 'metrics', 'throughput').deliveriesPerSec = Number.NaN;
    expectRefusal(refusal(() => validateResults(d, 'x')), 'BAD_RESULTS', '/runs/0/metrics/throughput/deliveriesPerSec');
  });

  it('lists at most 5 problems and counts the rest', () => {
    const d = draft();
    for (const key of ['node', 'platform', 'osRelease', 'arch', 'cpuModel', 'hostname', 'labVersion']) {
      at(d, 'environment')[key] = 1;
    }
    const err = refusal(() => validateResults(d, 'x'));
    expectRefusal(err, 'BAD_RESULTS', '7 problems', '... and 2 more');
    expect(err.message.match(/^ {2}\/environment\//gm)).toHaveLength(5);
  });

  it('something that is not an object at all', () => {
    expectRefusal(refusal(() => validateResults([1, 2], 'x')), 'BAD_RESULTS', '(root): must be object');
  });

  it('schemaVersion 2, before anything else', () => {
    const err = refusal(() => validateResults({ schemaVersion: 2, whatever: true }, 'old/results.json'));
    expectRefusal(
      err,
      'RESULTS_VERSION',
      'old/results.json has schemaVersion 2; this lab reads version 1',
      'npm run bench',
      'lab version that wrote it',
    );
  });

  it('a missing schemaVersion as a bad file, not a version mismatch', () => {
    const d = draft();
    delete d.schemaVersion;
    expectRefusal(refusal(() => validateResults(d, 'x')), 'BAD_RESULTS', "(root): must have required property 'schemaVersion'");
  });
});

describe('results files on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pushbench-results-'));
  });
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('refuses a missing file with RESULTS_NOT_FOUND', async () => {
    const path = join(dir, 'nope', 'results.json');
    const err = await asyncRefusal(() => readResultsFile(path));
    expectRefusal(err, 'RESULTS_NOT_FOUND', `no results file at ${path}`, 'npm run bench');
  });

  it('refuses a file that is not JSON, saying so', async () => {
    const path = join(dir, 'garbage.json');
    await writeFile(path, '{"schemaVersion": 1, "runs": [');
    const err = await asyncRefusal(() => readResultsFile(path));
    expectRefusal(err, 'BAD_RESULTS', `${path} is not JSON (`, 'npm run bench');
  });

  it('refuses an empty file', async () => {
    const path = join(dir, 'empty.json');
    await writeFile(path, '');
    expectRefusal(await asyncRefusal(() => readResultsFile(path)), 'BAD_RESULTS', `${path} is empty`);
  });

  it('refuses a valid JSON file of another version', async () => {
    const path = join(dir, 'v2.json');
    await writeFile(path, JSON.stringify({ ...sample, schemaVersion: 2 }));
    expectRefusal(await asyncRefusal(() => readResultsFile(path)), 'RESULTS_VERSION', `${path} has schemaVersion 2`);
  });

  it('writeResultsFile refuses invalid results and writes nothing', async () => {
    const sub = join(dir, 'invalid');
    const path = join(sub, 'results.json');
    const d = draft();
    delete at(d, 'runs', 0, 'metrics', 'integrity').lost;
    const err = await asyncRefusal(() => writeResultsFile(path, d as unknown as ResultsFile));
    expectRefusal(err, 'BAD_RESULTS', "/runs/0/metrics/integrity: must have required property 'lost'", 'bug in the lab');
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readdir(sub)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writeResultsFile round-trips valid results, atomically replacing an existing file', async () => {
    const sub = join(dir, 'out', 'nested');
    const path = join(sub, 'results.json');
    await writeResultsFile(path, { ...sample, complete: false, interruption: 'first write' });
    await writeResultsFile(path, sample);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`${JSON.stringify(sample, null, 2)}\n`);
    expect(await readResultsFile(path)).toEqual(sample);
    expect(await readdir(sub)).toEqual(['results.json']);
  });
});

// ---------------------------------------------------------------------------------------------
// Drift between result-types.ts and results.schema.json. The sample has every key of every type
// (tsc guarantees it), so walking the sample and the schema together shows any key one declares and
// the other does not, whichever side it was added to or removed from.
// ---------------------------------------------------------------------------------------------

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  enum?: Json[];
  const?: Json;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  $defs?: Record<string, SchemaNode>;
}

const schema = JSON.parse(
  readFileSync(new URL('../../metrics/results.schema.json', import.meta.url), 'utf8'),
) as SchemaNode;

function resolve(node: SchemaNode): SchemaNode {
  let current = node;
  for (let hops = 0; current.$ref !== undefined; hops++) {
    const match = /^#\/\$defs\/([^/]+)$/.exec(current.$ref);
    const target = match?.[1] === undefined ? undefined : schema.$defs?.[match[1]];
    if (target === undefined || hops > 10) throw new Error(`cannot resolve ${current.$ref}`);
    current = target;
  }
  // The walk understands plain objects, arrays and scalars; a combinator would need teaching.
  if (current.anyOf || current.oneOf || current.allOf) throw new Error('teach the drift walk about combinators');
  return current;
}

/** Every schema node that describes an object with fixed keys. */
function fixedObjectNodes(node: SchemaNode, found = new Set<SchemaNode>()): Set<SchemaNode> {
  if (node.properties !== undefined) found.add(node);
  for (const child of [
    ...Object.values(node.properties ?? {}),
    ...Object.values(node.$defs ?? {}),
    ...(node.items ? [node.items] : []),
  ]) {
    fixedObjectNodes(child, found);
  }
  return found;
}

/**
 * Optional in result-types.ts and in the schema: absent from files written before browser clients existed
 * (findings, browser, reconnect), before the publisher's lateness was reported (feedLatenessMs), before
 * the capacity search bisected (limit, resolution, searchEnd), or before the lab's own read queueing
 * was measured (readQueueMs, maxWorkerEventLoopUtilization).
 */
const OPTIONAL_KEYS = new Set(['findings', 'browser', 'reconnect', 'feedLatenessMs', 'limit', 'resolution', 'searchEnd', 'expectedFrom', 'lostBy', 'axis', 'connectionRate', 'connectionCount', 'readQueueMs', 'maxWorkerEventLoopUtilization', 'idleRssBytesPerConnection', 'remeasured', 'brokeBelow']);
// ... and before --repeat existed (a run's and a search's repeat, the file's summary over repeats).
for (const key of ['repeat', 'summary']) OPTIONAL_KEYS.add(key);

function walk(value: Json, node: SchemaNode, pointer: string, visited: Set<SchemaNode>): void {
  const resolved = resolve(node);
  if (value === null) return;
  if (Array.isArray(value)) {
    expect(resolved.items, `${pointer} is an array in the sample`).toBeDefined();
    value.forEach((item, i) => walk(item, resolved.items!, `${pointer}/${i}`, visited));
    return;
  }
  if (typeof value !== 'object') return;
  if (resolved.properties === undefined) {
    // Only config is free-form.
    expect(pointer).toBe('/config');
    expect(resolved.additionalProperties).not.toBe(false);
    return;
  }
  visited.add(resolved);
  const declared = Object.keys(resolved.properties).sort();
  // Keys added after schemaVersion 1 shipped are optional, so older files stay readable; no other key is.
  const required = declared.filter((key) => !OPTIONAL_KEYS.has(key));
  expect(Object.keys(value).filter((key) => !OPTIONAL_KEYS.has(key) || !declared.includes(key)).sort(), `keys of ${pointer || '(root)'}`).toEqual(required);
  expect(Object.keys(value).every((key) => declared.includes(key)), `keys of ${pointer || '(root)'} are all declared`).toBe(true);
  expect([...(resolved.required ?? [])].sort(), `required keys of ${pointer || '(root)'}`).toEqual(required);
  expect(resolved.additionalProperties, `additionalProperties of ${pointer || '(root)'}`).toBe(false);
  for (const [key, child] of Object.entries(value)) {
    walk(child, resolved.properties[key]!, `${pointer}/${key}`, visited);
  }
}

/** The values of a string-literal union, listed once; tsc refuses a missing or an extra one. */
function members<T extends string>(all: Record<T, true>): string[] {
  return Object.keys(all).sort();
}

function enumAt(node: SchemaNode): string[] {
  const values = resolve(node).enum;
  expect(values).toBeDefined();
  return (values as string[]).slice().sort();
}

describe('result-types.ts and results.schema.json stay in step', () => {
  it('declares every key of the sample, and no key the sample lacks', () => {
    const visited = new Set<SchemaNode>();
    walk(sample as unknown as Json, schema, '', visited);
    // The sample exercised every object shape the schema declares (no nullable object always null).
    const unvisited = [...fixedObjectNodes(schema)].filter((n) => !visited.has(n));
    expect(unvisited.map((n) => Object.keys(n.properties ?? {}).join(','))).toEqual([]);
  });

  it('has the same enums as the types', () => {
    const defs = schema.$defs!;
    const run = resolve(defs.runRecord!).properties!;
    const capacity = resolve(defs.capacityResult!).properties!;
    const point = resolve(defs.timelinePoint!).properties!;

    expect(enumAt(run.transport!)).toEqual(members<TransportName>({ ws: true, sse: true, 'long-poll': true }));
    expect(enumAt(run.transport!)).toEqual([...TRANSPORTS].sort());
    expect(enumAt(run.encoding!)).toEqual(members<Encoding>({ json: true, binary: true }));
    expect(enumAt(run.encoding!)).toEqual([...ENCODINGS].sort());
    expect(enumAt(run.scenario!)).toEqual(members<ScenarioName>({ feed: true, chat: true }));
    expect(enumAt(run.client!)).toEqual(members<ClientKind>({ node: true, browser: true }));
    expect(enumAt(run.kind!)).toEqual(members<RunKind>({ fixed: true, 'capacity-step': true, reconnect: true }));
    expect(enumAt(point.phase!)).toEqual(members<TimelinePoint['phase']>({ warmup: true, measure: true, drain: true }));
    expect(enumAt(capacity.stopReason!)).toEqual(
      members<CapacityResult['stopReason']>({
        'slo-broken': true,
        'client-bound': true,
        'all-steps-passed': true,
        interrupted: true,
        failed: true,
      }),
    );
    expect(enumAt(resolve(defs.capacityLimit!).properties!.by!)).toEqual(members<CapacityLimitKind>({ server: true, client: true, machine: true, slo: true }));
    expect(enumAt(capacity.searchEnd!)).toEqual([...members<CapacitySearchEnd>({ bracketed: true, 'max-rate': true, 'max-steps': true, floor: true, list: true }), null].sort());
    for (const key of ['transport', 'scenario', 'client', 'encoding'] as const) {
      expect(enumAt(capacity[key]!)).toEqual(enumAt(run[key]!));
    }
  });

  it('pins schemaVersion to the version the lab writes', () => {
    expect(schema.properties?.schemaVersion?.const).toBe(SCHEMA_VERSION);
  });
});

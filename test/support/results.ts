/**
 * Builders for the objects the unit tests feed to the lab's pure stages: results files, runs,
 * capacity searches, timelines, and the window and connect reports load workers send. Each builds
 * a minimal valid object (the results schema accepts it) and takes overrides for what a test is
 * about; everything a test asserts on should come from its own overrides, not from these defaults.
 * Histograms are real encoded HDR histograms from metrics/histogram.ts.
 */
import { fileURLToPath } from 'node:url';
import type { BrowserWindowReport, ConnectReport, WindowReport } from '../../clients/load/worker-protocol.ts';
import { createHistogram, encodeHistogram, recordMicros, type Histogram, type Summary } from '../../metrics/histogram.ts';
import type { ChannelTally } from '../../metrics/integrity.ts';
import {
  SCHEMA_VERSION,
  type BrowserCost,
  type CapacityResult,
  type ConnectionLimitFinding,
  type Environment,
  type ReconnectMetrics,
  type ResultsFile,
  type RunLoad,
  type RunMetrics,
  type RunRecord,
  type ServerMetrics,
  type TimelinePoint,
} from '../../metrics/result-types.ts';

/**
 * A real results file (217 KB), made by `npm run bench -- --profile quick --no-browser --encoding
 * json,binary --out DIR` and copied from DIR/latest/results.json; regenerate it the same way when
 * the results schema changes. It was recorded on a busy 2-core machine, so many of its runs are
 * client-bound, which the suites reading it expect the report to flag.
 */
export const SAMPLE_RESULTS_PATH = fileURLToPath(new URL('../fixtures/quick-json-binary.json', import.meta.url));

/** 2026-01-01T00:00:00Z in µs: the window start of every built run. */
export const T0_US = 1_767_225_600_000_000;

/** The overrides actually given: a key present but undefined keeps the default. */
function given<T extends object>(overrides: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// Histograms and summaries.

/** The given durations (µs) recorded into a histogram of the lab's layout. */
export function histogramOf(micros: Iterable<number>): Histogram {
  const histogram = createHistogram();
  for (const us of micros) recordMicros(histogram, us);
  return histogram;
}

/** An encoded histogram holding `count` values at `micros`, per group; no groups: an empty one. */
export function encodedHistogram(...groups: [count: number, micros: number][]): string {
  const histogram = createHistogram();
  for (const [count, micros] of groups) for (let i = 0; i < count; i++) recordMicros(histogram, micros);
  return encodeHistogram(histogram);
}

/** An encoded histogram of `count` values spread evenly from 0 to `topMs`, as results.json carries it. */
export function spreadHistogram(topMs: number, count = 20_000): string {
  const histogram = createHistogram();
  for (let i = 1; i <= count; i++) recordMicros(histogram, (i / count) * topMs * 1000);
  return encodeHistogram(histogram);
}

/** A summary whose p99 is `p99` ms, the other figures in fixed proportion to it, unless overridden. */
export function buildSummary(p99: number, overrides: Partial<Summary> = {}): Summary {
  return { p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 1.5, max: p99 * 2, mean: p99 / 3, count: 10_000, ...given(overrides) };
}

// ---------------------------------------------------------------------------------------------
// Runs.

export function buildServerMetrics(overrides: Partial<ServerMetrics> = {}): ServerMetrics {
  return {
    cpuMsPer1kDeliveries: 12.5,
    cpuCores: 0.4,
    rssBytes: 120_000_000,
    rssBytesPerConnection: 20_480,
    eventLoopDelayMs: { p50: 10.1, p99: 12.3, max: 15 },
    deliveredPerSec: 2000,
    slowConsumerDisconnects: 0,
    ...given(overrides),
  };
}

export function buildBrowserCost(overrides: Partial<BrowserCost> = {}): BrowserCost {
  return {
    version: 'Chromium/142.0.7444.59',
    browsers: 1,
    pages: 2,
    processes: 7,
    cpuCores: 0.42,
    cpuUsPerDelivery: 42.1,
    busiestProcessCpuCores: 0.31,
    memoryBytes: 412_000_000,
    memoryBytesPerClient: 4_120_000,
    ...given(overrides),
  };
}

export function buildReconnectMetrics(overrides: Partial<ReconnectMetrics> = {}): ReconnectMetrics {
  return {
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
    ...given(overrides),
  };
}

/** Per-second points for the given p99s (null: a second without deliveries): 2 s of warm-up, then the window, drain after t = 4. */
export function buildTimeline(latencyP99Ms: (number | null)[], overrides: Partial<TimelinePoint> = {}): TimelinePoint[] {
  return latencyP99Ms.map((p99, t) => ({
    t,
    phase: t < 2 ? 'warmup' : t <= 4 ? 'measure' : 'drain',
    deliveries: p99 === null ? 0 : 2000 + t,
    latencyP99Ms: p99,
    connections: 20,
    clientCpuCores: 0.2,
    serverCpuCores: t === 0 ? null : 0.4,
    serverRssBytes: 120_000_000,
    serverLoopDelayP99Ms: 12,
    ...given(overrides),
  }));
}

/** The parts of a run's metrics a test may replace: summaries whole, the other groups field by field; server null for none. */
export interface MetricsOverrides {
  latency?: Summary | null;
  rtt?: Summary | null;
  connect?: Summary | null;
  throughput?: Partial<RunMetrics['throughput']>;
  bytes?: Partial<RunMetrics['bytes']>;
  server?: Partial<ServerMetrics> | null;
  client?: Partial<RunMetrics['client']>;
  integrity?: Partial<RunMetrics['integrity']>;
  errors?: Partial<RunMetrics['errors']>;
}

export interface RunOverrides {
  id?: string;
  transport?: RunRecord['transport'];
  scenario?: RunRecord['scenario'];
  client?: RunRecord['client'];
  encoding?: RunRecord['encoding'];
  kind?: RunRecord['kind'];
  step?: RunRecord['step'];
  complete?: boolean;
  /** The run is client-bound when there is at least one reason. */
  clientBoundReasons?: string[];
  notes?: string[];
  load?: Partial<RunLoad>;
  window?: Partial<RunRecord['window']>;
  /** In-window deliveries (default 6,000): throughput, and integrity's received and expected, follow it. */
  deliveries?: number;
  /** Lost deliveries (default 0): expected = deliveries + lost. */
  lost?: number;
  metrics?: MetricsOverrides;
  histograms?: Partial<RunRecord['histograms']>;
  timeline?: TimelinePoint[];
  reconnect?: ReconnectMetrics;
}

/**
 * A complete fixed run: 20 connections, 100-byte payloads, a 3 s window; feed at 100 messages/s,
 * chat in 2 rooms of 10 sending 2/s. Its id is `transport/scenario/encoding/client`, with the
 * capacity step or `/reconnect` appended when the run is one.
 */
export function buildRun(o: RunOverrides = {}): RunRecord {
  const transport = o.transport ?? 'ws';
  const scenario = o.scenario ?? 'feed';
  const client = o.client ?? 'node';
  const encoding = o.encoding ?? 'json';
  const kind = o.kind ?? 'fixed';
  const step = o.step ?? null;
  const feed = scenario === 'feed';
  const load: RunLoad = {
    connections: 20,
    publishRatePerSec: feed ? 100 : null,
    sendRatePerMember: feed ? null : 2,
    rooms: feed ? null : 2,
    membersPerRoom: feed ? null : 10,
    payloadBytes: 100,
    offeredDeliveriesPerSec: 2000,
    warmupMs: 1000,
    durationMs: 3000,
    ...given(o.load),
  };
  const deliveries = o.deliveries ?? 6000;
  const lost = o.lost ?? 0;
  const m = o.metrics ?? {};
  const metrics: RunMetrics = {
    latency: m.latency === undefined ? buildSummary(4) : m.latency,
    rtt: m.rtt === undefined ? (feed ? null : buildSummary(8)) : m.rtt,
    connect: m.connect === undefined ? null : m.connect,
    throughput: { deliveriesPerSec: Math.round(deliveries / (load.durationMs / 1000)), deliveries, sendsPerSec: null, ...given(m.throughput) },
    bytes: {
      perMessage: 180,
      overheadPerMessage: 80,
      downPerMessage: 180,
      upPerMessage: 0,
      payloadBytes: load.payloadBytes,
      handshakePerConnection: 376.6,
      ...given(m.bytes),
    },
    server: m.server === null ? null : buildServerMetrics(m.server),
    client: { workers: 1, cpuUsPerDelivery: null, maxWorkerCpuCores: 0.2, maxWorkerLoopDelayP99Ms: 11, ...given(m.client) },
    integrity: { expected: deliveries + lost, received: deliveries, lost, duplicated: 0, reordered: 0, ...given(m.integrity) },
    errors: { connectFailures: 0, decodeErrors: 0, disconnects: 0, sendFailures: 0, ...given(m.errors) },
  };
  const suffix = step !== null ? `/capacity/step${step.index}` : kind === 'reconnect' ? '/reconnect' : '';
  const clientBoundReasons = o.clientBoundReasons ?? [];
  const run: RunRecord = {
    id: o.id ?? `${transport}/${scenario}/${encoding}/${client}${suffix}`,
    transport,
    scenario,
    client,
    encoding,
    kind,
    step,
    complete: o.complete ?? true,
    clientBound: clientBoundReasons.length > 0,
    clientBoundReasons,
    notes: o.notes ?? [],
    load,
    window: { startUs: T0_US, endUs: T0_US + load.durationMs * 1000, drainMs: 20, ...given(o.window) },
    metrics,
    histograms: { latency: null, rtt: null, connect: null, ...given(o.histograms) },
    timeline: o.timeline ?? [],
  };
  if (o.reconnect !== undefined) run.reconnect = o.reconnect;
  return run;
}

// ---------------------------------------------------------------------------------------------
// Capacity searches and results files.

type Sustained = NonNullable<CapacityResult['sustained']>;
type Broke = NonNullable<CapacityResult['broke']>;

export interface CapacityOverrides extends Partial<Omit<CapacityResult, 'sustained' | 'broke' | 'steps'>> {
  /** Merged into the default (null: no step held). */
  sustained?: Partial<Sustained> | null;
  /** Merged into the default (null: no step broke the SLO). */
  broke?: Partial<Broke> | null;
  /** The search's steps, or their ids; default: two step ids. */
  steps?: (RunRecord | string)[];
}

/** A capacity search (SLO: p99 at most 100 ms, no loss) that held 20,000/s at its first step and broke at its second, unless overridden. */
export function buildCapacity(o: CapacityOverrides = {}): CapacityResult {
  const transport = o.transport ?? 'ws';
  const scenario = o.scenario ?? 'feed';
  const client = o.client ?? 'node';
  const encoding = o.encoding ?? 'json';
  const id = o.id ?? `${transport}/${scenario}/${encoding}/${client}/capacity`;
  const sustained: Sustained = { offeredDeliveriesPerSec: 20_000, deliveriesPerSec: 20_000, latencyP99Ms: 5, runId: `${id}/step1` };
  const broke: Broke = { offeredDeliveriesPerSec: 50_000, reason: 'delivery p99 120 ms > 100 ms', runId: `${id}/step2` };
  return {
    id,
    transport,
    scenario,
    client,
    encoding,
    slo: o.slo ?? { p99Ms: 100, maxLoss: 0 },
    sustained: o.sustained === null ? null : { ...sustained, ...given(o.sustained) },
    broke: o.broke === null ? null : { ...broke, ...given(o.broke) },
    stopReason: o.stopReason ?? 'slo-broken',
    steps: (o.steps ?? [`${id}/step1`, `${id}/step2`]).map((step) => (typeof step === 'string' ? step : step.id)),
    // Keys a file from before the search bisected lacks: present only when given.
    ...(o.resolution === undefined ? {} : { resolution: o.resolution }),
    ...(o.searchEnd === undefined ? {} : { searchEnd: o.searchEnd }),
  };
}

/** What a capacity result says of one of its steps, as the bench writes it. */
export function sustainedBy(step: RunRecord): NonNullable<CapacityResult['sustained']> {
  return {
    offeredDeliveriesPerSec: step.load.offeredDeliveriesPerSec,
    deliveriesPerSec: step.metrics.throughput.deliveriesPerSec,
    latencyP99Ms: step.metrics.latency?.p99 ?? null,
    runId: step.id,
  };
}

export function brokenBy(step: RunRecord, reason: string): NonNullable<CapacityResult['broke']> {
  return { offeredDeliveriesPerSec: step.load.offeredDeliveriesPerSec, reason, runId: step.id };
}

export function buildEnvironment(overrides: Partial<Environment> = {}): Environment {
  return {
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
    ...given(overrides),
  };
}

export interface ResultsOverrides extends Partial<Omit<ResultsFile, 'environment'>> {
  environment?: Partial<Environment>;
}

/** A complete results file with no runs, unless given; `findings` only when given, as in files written before browser clients. */
export function buildResults(o: ResultsOverrides = {}): ResultsFile {
  const { environment, ...rest } = o;
  return {
    schemaVersion: SCHEMA_VERSION,
    complete: true,
    interruption: null,
    config: {},
    clock: null,
    runs: [],
    capacity: [],
    notices: [],
    ...given(rest),
    environment: buildEnvironment(environment),
  };
}

export function buildConnectionLimitFinding(overrides: Partial<ConnectionLimitFinding> = {}): ConnectionLimitFinding {
  return {
    kind: 'connections-per-origin',
    transport: 'sse',
    browserVersion: 'Chromium/142.0.7444.59',
    attempted: 7,
    openedAtOnce: 6,
    waitMs: 1500,
    waitingOpenedAfterCloseMs: 3.1,
    openMs: [12.1, 12.4, 12.9, 13, 13.2, 13.3, 1515.2],
    spread: { streams: 7, origins: 2, opened: 7 },
    ...given(overrides),
  };
}

// ---------------------------------------------------------------------------------------------
// What load workers report for a window (bench/aggregate.ts and bench/reconnect.ts read these).

export function buildTally(lo: number, hi: number, recipients: number, received: number, duplicated = 0, reordered = 0): ChannelTally {
  return { lo, hi, recipients, received, duplicated, reordered };
}

/** A worker's window report with nothing in it, unless overridden. */
export function buildWindowReport(overrides: Partial<WindowReport> = {}): WindowReport {
  return {
    deliveries: 0,
    latency: encodedHistogram(),
    rtt: encodedHistogram(),
    tallies: [],
    bytesRead: 0,
    bytesWritten: 0,
    arrivalsBetweenMarks: 0,
    cpuUs: 0,
    loopDelayP99MaxMs: 0,
    sendsDue: 0,
    sendsUnanswered: 0,
    sendLagP99Ms: 0,
    decodeErrors: 0,
    serverErrors: 0,
    sendFailures: 0,
    disconnects: 0,
    problems: [],
    ...given(overrides),
  };
}

/** What a browser worker adds to its window report: Chromium's cost and the pages' reconnects. */
export function buildBrowserWindowReport(overrides: Partial<BrowserWindowReport> = {}): BrowserWindowReport {
  return {
    version: 'HeadlessChrome/142.0.7444.59',
    pages: 2,
    clients: 50,
    processes: 6,
    chromiumCpuUs: 600_000,
    busiestProcessCpuUs: 300_000,
    pssBytes: 200_000_000,
    reconnects: [],
    resume: encodedHistogram(),
    notResumed: 0,
    ...given(overrides),
  };
}

export function buildConnectReport(overrides: Partial<ConnectReport> = {}): ConnectReport {
  return { opened: 0, failed: 0, failures: [], connect: encodedHistogram(), handshakeBytes: 0, ...given(overrides) };
}

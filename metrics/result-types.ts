/**
 * The shape of results.json (schemaVersion 1). Every stage after the run (terminal summary, HTML
 * report, CI compare) reads only this. metrics/results.schema.json describes the same shape for
 * tools outside the lab; a unit test keeps the two in step.
 */
import type { ClientKind, Encoding, ScenarioName, TransportName } from '../scenarios/constants.ts';
import type { Summary } from './histogram.ts';

// Declared once in scenarios/constants.ts; named here too because every reader of results.json needs them.
export type { ClientKind, ScenarioName };

export const SCHEMA_VERSION = 1;
/** reconnect: a fixed-load window in which the server cut every connection (POST /drop), browser clients only. */
export type RunKind = 'fixed' | 'capacity-step' | 'reconnect';

export interface Integrity {
  /** Deliveries the recipients should have had: every message published in the window, times its recipients. */
  expected: number;
  /** Distinct messages of the window that arrived. */
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /**
   * Where `expected` came from: 'server', what the server said it published in the window (GET
   * /published); 'inferred', the seq range the recipients saw, which misses a message no recipient
   * received. Absent in files written before it was recorded.
   */
  expectedFrom?: 'server' | 'inferred';
  /** Why each lost message was lost; the three counts add up to `lost`. Absent in older files. */
  lostBy?: LostBy;
}

/** Messages lost at connections the server cut with one code, such as `4008 SLOW_CONSUMER` (WS) or `SLOW_CONSUMER` (SSE; long-poll has no slow-consumer cut, §9). */
export interface LostByCode {
  code: string;
  count: number;
  connections: number;
}

/** Lost messages by cause. Connections are counted once per channel they were subscribed to. */
export interface LostBy {
  /** Missing at recipients whose connection the server cut (slow consumer, ban, token expiry, ...), with the cut's code: WS close code and reason, or the SSE / poll error code. */
  serverCut: { count: number; connections: number; codes: LostByCode[] };
  /** Missing at recipients whose connection failed or was lost otherwise (reset, network error, stream ended without an error). */
  connectionFailed: { count: number; connections: number };
  /** Missing at recipients whose connection stayed open. */
  neverArrived: number;
}

export interface TimelinePoint {
  /** Seconds since the run started (the first second of warm-up is 0). */
  t: number;
  phase: 'warmup' | 'measure' | 'drain';
  deliveries: number;
  /** p99 delivery latency of that second's deliveries, ms; null when none arrived. */
  latencyP99Ms: number | null;
  connections: number;
  clientCpuCores: number;
  serverCpuCores: number | null;
  serverRssBytes: number | null;
  serverLoopDelayP99Ms: number | null;
}

export interface ServerMetrics {
  cpuMsPer1kDeliveries: number | null;
  /** CPU of the server process over the window, in cores (1 = one core busy). */
  cpuCores: number;
  rssBytes: number;
  /** (RSS during the window - RSS before any client connected) / connections. */
  rssBytesPerConnection: number | null;
  /**
   * (RSS once every connection had opened, before the lab's server published anything - RSS before any
   * client connected) / connections: memory per idle connection, without the garbage a message rate
   * leaves between collections. null for a --target (it may publish at its own rate meanwhile) or when
   * the RSS fell below its baseline; absent in files written before it was measured.
   */
  idleRssBytesPerConnection?: number | null;
  /** Per-second samples over the window: median of p50s, largest p99, largest max. */
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  /** Deliveries the server reports having written, per second of the window. */
  deliveredPerSec: number;
  slowConsumerDisconnects: number;
  /**
   * The feed publisher's lateness (publish time minus due time per scheduled message, /stats
   * feed.lateness), per-second samples combined as eventLoopDelayMs, count summed. null when the
   * server does not report it or scheduled nothing (chat); absent in files written before it existed.
   */
  feedLatenessMs?: LatenessSummary | null;
}

export interface LatenessSummary {
  p50: number;
  p99: number;
  max: number;
  /** Scheduled messages (per topic schedule) published in the samples. */
  count: number;
}

export interface ClientMetrics {
  workers: number;
  /** Lab client CPU (all workers) per delivered message, µs. */
  cpuUsPerDelivery: number | null;
  /** The busiest worker's CPU over the window, in cores. */
  maxWorkerCpuCores: number;
  /** The worst worker's event-loop delay p99 over the window, ms. */
  maxWorkerLoopDelayP99Ms: number;
  /**
   * The lab's own share of delivery latency: how long each delivery's read waited behind its worker's
   * earlier reads of the same burst (clients/load/read-queue.ts), over the window's deliveries, ms.
   * An upper bound. null where not measured (browser clients); absent in files written before it existed.
   */
  readQueueMs?: ReadQueueSummary | null;
  /** The busiest worker's event-loop utilization over the window, 0 to 1; null where not measured; absent in older files. */
  maxWorkerEventLoopUtilization?: number | null;
  /** Browser runs: what Chromium itself cost (absent for Node clients, and in files written before browser clients existed). */
  browser?: BrowserCost;
}

export interface ReadQueueSummary {
  p50: number;
  p99: number;
  max: number;
}

/** Chromium's own cost in a browser run, measured from /proc over every process of every browser the run used. */
export interface BrowserCost {
  /** Chromium version, as the browser reports it. */
  version: string;
  /** Browser processes launched (each with its own profile), pages open, and Chromium processes in all. */
  browsers: number;
  pages: number;
  processes: number;
  /** Chromium's CPU over the window, all its processes, in cores. */
  cpuCores: number;
  /** Chromium's CPU per delivered message, µs (the Node process driving it is not included). */
  cpuUsPerDelivery: number | null;
  /** The busiest single Chromium process over the window, in cores: a renderer near 1 core limits its pages. */
  busiestProcessCpuCores: number;
  /** Proportional set size summed over Chromium's processes at the window's end, bytes (shared pages counted once). */
  memoryBytes: number;
  memoryBytesPerClient: number | null;
}

/** What a drop of every connection cost the clients, and how they came back (browser reconnect runs). */
export interface ReconnectMetrics {
  /** When the server cut every connection (POST /drop), ms after the window started. */
  dropAtMs: number;
  /** TCP connections the server destroyed (its answer to POST /drop). */
  droppedConnections: number;
  clients: number;
  /** Clients whose page saw its connection end. Chromium retries a dropped idle poll by itself, so a page may see nothing. */
  sawDisconnect: number;
  /** Of those, how many were open again before the run was collected. */
  reopened: number;
  /** From the page noticing the loss to its transport open again, ms. */
  reopen: Summary | null;
  /** From the drop to each client's first message published after it, ms: the outage as a user sees it. */
  resume: Summary | null;
  /** Clients that received no message published after the drop before the run was collected. */
  notResumed: number;
  /** Reconnect attempts made by page code (WebSocket, long-poll: the seed backoff); the EventSource retries by itself, uncounted. */
  attempts: number;
  /** Messages published before the reopen that never arrived. */
  missed: number;
  /** Messages published before the reopen that arrived after it, through the resume (cursor, Last-Event-ID). */
  recovered: number;
  /** Messages that arrived again after the reopen. */
  duplicates: number;
}

/** Chromium's limit of HTTP/1.1 connections per host:port, shown with EventSources (a finding, not a run). */
export interface ConnectionLimitFinding {
  kind: 'connections-per-origin';
  transport: TransportName;
  /** Chromium version, as the browser reports it. */
  browserVersion: string;
  /** Streams opened to one origin at once, in creation order. */
  attempted: number;
  /** How many were open after waitMs. */
  openedAtOnce: number;
  waitMs: number;
  /** After the first stream was closed: ms until the first waiting stream opened; null when none waited or none opened. */
  waitingOpenedAfterCloseMs: number | null;
  /** Per stream, in creation order: ms from creation to open; null when it never opened. */
  openMs: (number | null)[];
  /** The same count spread over several origins (the lab's remedy): how many opened within waitMs. */
  spread: { streams: number; origins: number; opened: number } | null;
}

export type Finding = ConnectionLimitFinding;

export interface BytesMetrics {
  /** Bytes read + written at the client sockets during the window, per delivered message. */
  perMessage: number | null;
  /** perMessage minus the payload size. */
  overheadPerMessage: number | null;
  downPerMessage: number | null;
  upPerMessage: number | null;
  payloadBytes: number;
  /** Bytes read + written until a connection could receive (handshakes), per connection. */
  handshakePerConnection: number | null;
}

export interface RunMetrics {
  /** Publish to receive, per recipient (feed; chat fan-out to the other members). */
  latency: Summary | null;
  /** Chat only: a sender's own message back, from its scheduled send time. */
  rtt: Summary | null;
  connect: Summary | null;
  throughput: { deliveriesPerSec: number; deliveries: number; sendsPerSec: number | null };
  bytes: BytesMetrics;
  server: ServerMetrics | null;
  client: ClientMetrics;
  integrity: Integrity;
  errors: { connectFailures: number; decodeErrors: number; disconnects: number; sendFailures: number };
}

export interface RunLoad {
  connections: number;
  /** feed: messages per second per topic (each subscriber gets them all). */
  publishRatePerSec: number | null;
  /** chat: messages each member sends per second. */
  sendRatePerMember: number | null;
  rooms: number | null;
  membersPerRoom: number | null;
  payloadBytes: number;
  /** Deliveries per second the load asks for (publish rate x recipients). */
  offeredDeliveriesPerSec: number;
  warmupMs: number;
  durationMs: number;
}

export interface RunRecord {
  id: string;
  transport: TransportName;
  scenario: ScenarioName;
  client: ClientKind;
  encoding: Encoding;
  kind: RunKind;
  /**
   * Capacity steps: which step of which search. `remeasured`: the step broke the SLO narrowly, so its
   * rate was measured once more and that later trial decided (absent otherwise, and in older files).
   */
  step: { index: number; search: string; remeasured?: true } | null;
  /** false when the run was interrupted or failed before it was collected in full. */
  complete: boolean;
  clientBound: boolean;
  clientBoundReasons: string[];
  notes: string[];
  load: RunLoad;
  window: { startUs: number; endUs: number; drainMs: number };
  metrics: RunMetrics;
  /** Compressed base64 HDR histograms in µs, mergeable and re-plottable. */
  histograms: { latency: string | null; rtt: string | null; connect: string | null };
  timeline: TimelinePoint[];
  /** Reconnect runs only. */
  reconnect?: ReconnectMetrics;
  /** Which repeat (1 to config.repeat) the run belongs to; absent in files written before --repeat existed. */
  repeat?: number;
}

export interface CapacityResult {
  id: string;
  transport: TransportName;
  scenario: ScenarioName;
  client: ClientKind;
  encoding: Encoding;
  slo: { p99Ms: number; maxLoss: number };
  /** The highest step that met the SLO (null when every step tried broke it). */
  sustained: { offeredDeliveriesPerSec: number; deliveriesPerSec: number; latencyP99Ms: number | null; runId: string; connectionCount?: number } | null;
  /** The lowest step above the sustained one that broke the SLO, why, and what ran out; null when none did. */
  broke: { offeredDeliveriesPerSec: number; reason: string; runId: string; limit?: CapacityLimit; connectionCount?: number } | null;
  /**
   * Steps below the sustained rate that broke the SLO, ascending: its p99 does not rise with the rate
   * everywhere (long-poll: each poll's answer carries more messages at higher rates). Absent: none.
   */
  brokeBelow?: { offeredDeliveriesPerSec: number; latencyP99Ms: number | null; runId: string }[];
  /** client-bound: the lowest step that broke was the lab's client's limit; the server's capacity is above it. */
  stopReason: 'slo-broken' | 'client-bound' | 'all-steps-passed' | 'interrupted' | 'failed';
  /** The ids of the search's runs, in order; the first may be the session's fixed-load run (kind 'fixed'), when it ran at the start rate: the search's first step. */
  steps: string[];
  /** The resolution the search bisected to (0.1: within 10 %); null for fixed steps (absent in files written before the search bisected). */
  resolution?: number | null;
  /**
   * How the search ended: bracketed (within the resolution), max-rate (a step at the highest rate held; fixed steps: all held),
   * max-steps (the step budget ran out first), floor (even the lowest rate broke), list (fixed steps: one broke); null: interrupted.
   */
  searchEnd?: CapacitySearchEnd | null;
  /**
   * What the search varied: rate (the offered rate on the same connections) or connections (the connection count at
   * connectionRate, a fresh server and connections per step; sustained and broke then give their `connectionCount`). Absent: rate.
   */
  axis?: 'rate' | 'connections';
  /** Connections axis: the rate held at every step (feed: messages published per second; chat: sends per member per second). */
  connectionRate?: number;
  /** Which repeat (1 to config.repeat) the search belongs to; absent in files written before --repeat existed. */
  repeat?: number;
}

export type CapacitySearchEnd = 'bracketed' | 'max-rate' | 'max-steps' | 'floor' | 'list';

/** What ran out at the step that broke: the server, the lab's load client, the machine, or none of them (the SLO broke on its own). */
export type CapacityLimitKind = 'server' | 'client' | 'machine' | 'slo';

export interface CapacityLimit {
  by: CapacityLimitKind;
  /** Why the lab says so, in words. */
  why: string;
  /** The server process over the window, in cores; null without /stats. */
  serverCpuCores: number | null;
  serverLoopDelayP99Ms: number | null;
  /** The lab's load client, every worker together, in cores. */
  clientCpuCores: number;
  /** Every process of the machine, in cores, of machineCores. */
  machineBusyCores: number;
  machineCores: number;
}

export interface ClockCheck {
  /** Offsets of each process's clock from the coordinator's, with the uncertainty of each (half the exchange's round trip). */
  samples: { process: string; offsetUs: number; uncertaintyUs: number }[];
  maxAbsOffsetUs: number;
  agreed: boolean;
}

export interface Environment {
  node: string;
  platform: string;
  osRelease: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  hostname: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  labVersion: string;
  startedAt: string;
  finishedAt: string | null;
  /** Average load of the rest of the machine (cores busy outside the lab's processes) over the measured windows. */
  otherCpuCores: number | null;
}

export interface ResultsFile {
  schemaVersion: typeof SCHEMA_VERSION;
  complete: boolean;
  /** Why an incomplete file stopped: an interruption, a crash. */
  interruption: string | null;
  environment: Environment;
  config: Record<string, unknown>;
  clock: ClockCheck | null;
  runs: RunRecord[];
  capacity: CapacityResult[];
  notices: string[];
  /** Measured facts that are not runs (absent in files written before browser clients existed). */
  findings?: Finding[];
  /** The headline figures over the repeats (reports/spread.ts computes it from runs and capacity); absent in older files. */
  summary?: RepeatSummary;
}

/** One figure over the repeats that measured it: the median, the range, and every repeat's value in run order. */
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** A headline figure's spread; `id` is the figure's id in reports/compare/figures.ts ('deliveries', 'latency-p99', ...). */
export interface FigureSpread extends Spread {
  id: string;
}

/** What the repeats of one measurement share: their series (the id without its repeat part) and identity. */
export interface SeriesIdentity {
  series: string;
  transport: TransportName;
  scenario: ScenarioName;
  client: ClientKind;
  encoding: Encoding;
}

export interface RunSeriesSpread extends SeriesIdentity {
  kind: RunKind;
  /** The runs the spreads are over: the complete repeats (every repeat when none completed). */
  runIds: string[];
  figures: FigureSpread[];
}

export interface CapacitySeriesSpread extends SeriesIdentity {
  searchIds: string[];
  /** Deliveries/s sustained within the SLO, over the searches that sustained a rate; null when none did. */
  sustained: Spread | null;
}

export interface RepeatSummary {
  /** Repeats asked for (config.repeat). */
  repeats: number;
  /** Fixed and reconnect runs, one entry per series, in the order their first repeat ran. */
  runs: RunSeriesSpread[];
  capacity: CapacitySeriesSpread[];
}

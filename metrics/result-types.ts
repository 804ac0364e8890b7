/**
 * The shape of results.json (schemaVersion 1). Every stage after the run (terminal summary, HTML
 * report, CI compare) reads only this. metrics/results.schema.json describes the same shape for
 * tools outside the lab; a unit test keeps the two in step.
 */
import type { Encoding, TransportName } from '../scenarios/constants.ts';
import type { Summary } from './histogram.ts';

export const SCHEMA_VERSION = 1;

export type ScenarioName = 'feed' | 'chat';
export type ClientKind = 'node' | 'browser';
export type RunKind = 'fixed' | 'capacity-step';

export interface Integrity {
  /** Deliveries the recipients should have had: every message published in the window, times its recipients. */
  expected: number;
  /** Distinct messages of the window that arrived. */
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
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
  /** Per-second samples over the window: median of p50s, largest p99, largest max. */
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  /** Deliveries the server reports having written, per second of the window. */
  deliveredPerSec: number;
  slowConsumerDisconnects: number;
}

export interface ClientMetrics {
  workers: number;
  /** Lab client CPU (all workers) per delivered message, µs. */
  cpuUsPerDelivery: number | null;
  /** The busiest worker's CPU over the window, in cores. */
  maxWorkerCpuCores: number;
  /** The worst worker's event-loop delay p99 over the window, ms. */
  maxWorkerLoopDelayP99Ms: number;
}

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
  /** Capacity steps: which step of which search. */
  step: { index: number; search: string } | null;
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
}

export interface CapacityResult {
  id: string;
  transport: TransportName;
  scenario: ScenarioName;
  client: ClientKind;
  encoding: Encoding;
  slo: { p99Ms: number; maxLoss: number };
  /** The highest step that met the SLO (null when even the first broke it). */
  sustained: { offeredDeliveriesPerSec: number; deliveriesPerSec: number; latencyP99Ms: number | null; runId: string } | null;
  /** The step that broke the SLO, and why; null when none did. */
  broke: { offeredDeliveriesPerSec: number; reason: string; runId: string } | null;
  stopReason: 'slo-broken' | 'client-bound' | 'all-steps-passed' | 'interrupted' | 'failed';
  steps: string[];
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
}

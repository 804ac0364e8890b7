/**
 * Builds one run's record of results.json (runs[]) from what its window observed, the session's
 * per-second ticks and /stats samples, and the configuration (pure). The scenario module says how
 * the load is described and counted; aggregate.ts turns the window's reports into the metrics.
 */
import type { ConnectReport } from '../clients/load/worker-protocol.ts';
import { decodeHistogram, mergeHistograms } from '../metrics/histogram.ts';
import { isNoisyCores, noisyRunNote } from '../metrics/noisy-machine.ts';
import type { Integrity, RunRecord, TimelinePoint } from '../metrics/result-types.ts';
import type { BenchConfig } from '../scenarios/bench-config.ts';
import { scenarioOf } from '../scenarios/registry.ts';
import type { ServerStatsSnapshot } from '../servers/stats.ts';
import { aggregateWindow, type ServerWindow } from './aggregate.ts';
import { reconnectMetrics } from './reconnect.ts';
import type { MeasureSpec, WindowObservation } from './window-runner.ts';

/** At most this many notes per run. */
const MAX_NOTES = 10;

export type RunKey = Pick<RunRecord, 'transport' | 'scenario' | 'encoding' | 'client'>;

/** One second of the workers' ticks, summed over the workers. */
export interface TickSum {
  deliveries: number;
  /** Each worker's encoded latency histogram of that second. */
  latency: string[];
  connections: number;
  cpuUs: number;
}

/** The server's /stats, sampled once a second; `second` counts from the session's origin. */
export interface ServerSample {
  second: number;
  stats: ServerStatsSnapshot;
}

export interface RunRecordInput {
  key: RunKey;
  spec: MeasureSpec;
  config: BenchConfig;
  /** Connections the run set out to open. */
  connections: number;
  connect: readonly ConnectReport[];
  window: WindowObservation;
  /** The server's RSS before any client connected. */
  baselineRssBytes: number;
  /** Its RSS once every connection had opened, before anything was published; null when not measured. */
  idleRssBytes: number | null;
  /** The session's time origin (µs): seconds of ticks and samples count from it. */
  originUs: number;
  ticks: ReadonlyMap<number, TickSum>;
  serverSamples: readonly ServerSample[];
  /** Measured against --target: a server the lab did not start. */
  againstTarget: boolean;
  /** False when the server would not take the lab's rate (a target without PUT /feed): it published at its own. */
  rateControllable: boolean;
}

export interface BuiltRun {
  record: RunRecord;
  /** Cores busy outside the lab (server, workers, coordinator) during the window. */
  otherCpuCores: number;
  /** The lab's load client (every worker) and the whole machine during the window, in cores. */
  clientCpuCores: number;
  machineBusyCores: number;
}

const secondOf = (us: number, originUs: number): number => Math.floor((us - originUs) / 1e6);

function serverWindow(input: RunRecordInput): ServerWindow | null {
  const { serverStart, serverEnd, startUs, endUs } = input.window;
  if (serverStart === null || serverEnd === null) return null;
  const first = secondOf(startUs, input.originUs);
  const last = secondOf(endUs, input.originUs);
  const samples = input.serverSamples.filter((s) => s.second >= first && s.second < last).map((s) => s.stats);
  return { start: serverStart, end: serverEnd, baselineRssBytes: input.baselineRssBytes, idleRssBytes: input.idleRssBytes, samples };
}

const cpuUsOf = (stats: ServerStatsSnapshot): number => stats.cpu.userUs + stats.cpu.systemUs;

/** Cores the rest of the machine kept busy: all busy time minus the server's, the workers' and the coordinator's. */
function otherCpuCoresOf(input: RunRecordInput, server: ServerWindow | null, durationMs: number): number {
  const { window } = input;
  const ours = (server === null ? 0 : cpuUsOf(server.end) - cpuUsOf(server.start)) + window.reports.reduce((sum, r) => sum + r.cpuUs, 0) + window.coordinatorCpuUs;
  return Math.max(0, (window.machineBusyUs - ours) / (durationMs * 1000));
}

/**
 * Why an interrupted window's loss is only partial: it is collected at once, without a drain, and
 * the workers still count arrivals up to the planned end (they are not told of the interruption).
 */
export const INTERRUPTED_LOSS = 'collected without a drain: messages still on their way count as lost, and any published after the interruption that arrived count as received';

function notesOf(input: RunRecordInput, otherCores: number): string[] {
  const notes: string[] = [];
  if (input.againstTarget) notes.push('measured against a target server (--target); its CPU figures include whatever else it serves');
  else if (isNoisyCores(otherCores)) notes.push(noisyRunNote(otherCores));
  for (const report of input.window.reports) for (const problem of report.problems) if (!notes.includes(problem)) notes.push(problem);
  if (input.window.interrupted) notes.push(`interrupted before the window ended: figures cover the part that ran; its loss is partial (${INTERRUPTED_LOSS})`);
  if (input.window.drainSettled === false) notes.push(`in-window arrivals had not settled when the drain reached its limit (${input.config.drainMaxMs} ms): any still on their way count as lost`);
  return notes.slice(0, MAX_NOTES);
}

/** What the loss figure stands on: connections the server cut, and an expected count that was inferred. */
export function lossNotesOf(integrity: Integrity, publishedAsked: boolean, publishedProblem?: string): string[] {
  const notes: string[] = [];
  const cut = integrity.lostBy?.serverCut;
  if (cut !== undefined && cut.connections > 0) {
    const codes = cut.codes.map((c) => `${c.code} x${c.connections}`).join(', ');
    notes.push(`the server cut ${cut.connections} connection${cut.connections === 1 ? '' : 's'} during the window (${codes}): ${cut.count} of the ${integrity.lost} lost messages were theirs`);
  }
  if (publishedAsked && integrity.expectedFrom === 'inferred' && integrity.expected > 0) {
    notes.push(
      `expected was inferred from the seqs the recipients saw (${publishedProblem ?? 'the server did not say what it published: no GET /published, or its record no longer reached the window'}): a message no recipient received is not counted as lost`,
    );
  }
  return notes;
}

/** Every whole second from the rate being set to the end of collection, by phase. */
export function timelineOf(input: Pick<RunRecordInput, 'originUs' | 'ticks' | 'serverSamples'>, window: Pick<WindowObservation, 'runStartUs' | 'startUs' | 'endUs' | 'finishedUs'>): TimelinePoint[] {
  const { originUs, ticks, serverSamples } = input;
  const first = secondOf(window.runStartUs, originUs);
  const last = secondOf(window.finishedUs, originUs) - 1;
  const points: TimelinePoint[] = [];
  for (let second = first; second <= last; second++) {
    const tick = ticks.get(second);
    const midUs = originUs + (second + 0.5) * 1e6;
    const sample = serverSamples.find((s) => s.second === second);
    const previous = serverSamples.find((s) => s.second === second - 1);
    const latency = tick !== undefined && tick.latency.length > 0 ? mergeHistograms(tick.latency.map(decodeHistogram)) : undefined;
    points.push({
      t: second - first,
      phase: midUs < window.startUs ? 'warmup' : midUs < window.endUs ? 'measure' : 'drain',
      deliveries: tick?.deliveries ?? 0,
      latencyP99Ms: latency === undefined ? null : latency.getValueAtPercentile(99) / 1000,
      connections: tick?.connections ?? 0,
      clientCpuCores: Math.round((tick?.cpuUs ?? 0) / 1e4) / 100,
      serverCpuCores:
        sample !== undefined && previous !== undefined ? Math.round(((cpuUsOf(sample.stats) - cpuUsOf(previous.stats)) / (sample.stats.now - previous.stats.now)) * 100) / 100 : null,
      serverRssBytes: sample?.stats.memory.rssBytes ?? null,
      serverLoopDelayP99Ms: sample?.stats.eventLoopDelayMs.p99 ?? null,
    });
  }
  return points;
}

export function buildRunRecord(input: RunRecordInput): BuiltRun {
  const { key, spec, config, connections, window } = input;
  const scenario = scenarioOf(key.scenario);
  const durationMs = Math.max(1, (window.endUs - window.startUs) / 1000);
  const payloadBytes = scenario.payloadBytes(config);
  const server = serverWindow(input);
  const result = aggregateWindow({ durationMs, payloadBytes, connect: input.connect, reports: window.reports, server, published: window.published ?? null });
  const otherCpuCores = otherCpuCoresOf(input, server, durationMs);
  // A server that would not take the rate published at its own: report what it did.
  const rate = input.rateControllable ? spec.rate : (window.serverEnd?.feed.rate ?? spec.rate);
  const record: RunRecord = {
    id: spec.id,
    transport: key.transport,
    scenario: key.scenario,
    client: key.client,
    encoding: key.encoding,
    kind: spec.kind,
    step: spec.step,
    complete: !window.interrupted,
    clientBound: result.clientBoundReasons.length > 0,
    clientBoundReasons: result.clientBoundReasons,
    notes: [
      ...notesOf(input, otherCpuCores),
      ...result.descheduled,
      ...lossNotesOf(result.metrics.integrity, window.published !== undefined, window.publishedProblem),
      ...(server !== null && result.metrics.server !== null && result.metrics.server.rssBytes < server.baselineRssBytes
        ? ['the server\'s RSS fell below its level before the clients connected (memory given back by the garbage collector): memory per connection not measured']
        : []),
    ],
    load: {
      connections,
      ...scenario.load(rate, config, key.client),
      payloadBytes,
      offeredDeliveriesPerSec: scenario.messagesPerSec(rate, connections) * scenario.recipientsPerMessage(config, key.client, connections),
      warmupMs: spec.warmupMs,
      durationMs: Math.round(durationMs),
    },
    window: { startUs: window.startUs, endUs: window.endUs, drainMs: window.drainMs },
    metrics: result.metrics,
    histograms: result.histograms,
    timeline: timelineOf(input, window),
  };
  if (window.drop !== undefined) {
    record.reconnect = reconnectMetrics(window.reports, { dropAtMs: Math.round((window.drop.atUs - window.startUs) / 100) / 10, droppedConnections: window.drop.dropped, clients: connections });
  }
  const clientCpuCores = window.reports.reduce((sum, r) => sum + r.cpuUs, 0) / (durationMs * 1000);
  return { record, otherCpuCores, clientCpuCores, machineBusyCores: window.machineBusyUs / (durationMs * 1000) };
}

/**
 * Turns what the workers and the server reported for one window into the run's metrics (pure).
 * Definitions follow ../docs (design §3): deliveries and integrity by publish time in the window,
 * bytes and client CPU between the window's marks, server figures from /stats deltas.
 */
import type { ConnectReport, WindowReport } from '../clients/load/worker-protocol.ts';
import { decodeHistogram, encodeHistogram, mergeHistograms, summarize } from '../metrics/histogram.ts';
import { integrityAgainst, mergeTallies, type ChannelTally, type PublishedCounts } from '../metrics/integrity.ts';
import type { BrowserCost, LatenessSummary, ReadQueueSummary, RunMetrics, ServerMetrics } from '../metrics/result-types.ts';
import type { ServerStatsSnapshot } from '../servers/stats.ts';
import { clientBoundOf } from './client-bound.ts';
import { median } from '../metrics/median.ts';

// Named here too: the aggregate's tests and older readers import them from this module.
export { CLIENT_BOUND_CPU_CORES, CLIENT_BOUND_LOOP_DELAY_MS, CLIENT_BOUND_SEND_LAG_MS } from './client-bound.ts';

export interface ServerWindow {
  start: ServerStatsSnapshot;
  end: ServerStatsSnapshot;
  /** Per-second samples taken during the window. */
  samples: ServerStatsSnapshot[];
  /** RSS before any client connected. */
  baselineRssBytes: number;
  /** The server's RSS once every connection had opened, before anything was published; null when not measured. */
  idleRssBytes: number | null;
}

export interface WindowInput {
  durationMs: number;
  payloadBytes: number;
  connect: readonly ConnectReport[];
  reports: readonly WindowReport[];
  server: ServerWindow | null;
  /** What the server said it published in the window (GET /published); null or absent: expected is inferred. */
  published?: PublishedCounts | null;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** The publisher's lateness over the window's samples; null when the server reports none (a target) or nothing was scheduled. */
export function feedLateness(samples: readonly ServerStatsSnapshot[]): LatenessSummary | null {
  const seconds = samples.flatMap((s) => (s.feed.lateness !== undefined && s.feed.lateness.count > 0 ? [s.feed.lateness] : []));
  if (seconds.length === 0) return null;
  return {
    p50: round(median(seconds.map((l) => l.p50)), 3),
    p99: round(Math.max(...seconds.map((l) => l.p99)), 3),
    max: round(Math.max(...seconds.map((l) => l.max)), 3),
    count: sum(seconds.map((l) => l.count)),
  };
}

/**
 * Server RSS per connection over its RSS before any client connected; null when there is nothing to
 * divide, or when the RSS fell below that baseline (the garbage collector gave memory back): a
 * negative figure is not a cost, and printing it would pass noise off as a measurement.
 */
export function rssPerConnection(rssBytes: number, baselineRssBytes: number, connections: number): number | null {
  if (connections <= 0 || rssBytes < baselineRssBytes) return null;
  return Math.round((rssBytes - baselineRssBytes) / connections);
}

export function serverMetrics(server: ServerWindow, connections: number): ServerMetrics {
  const { start, end, samples } = server;
  const seconds = Math.max(1e-6, (end.now - start.now) / 1e6);
  const cpuUs = end.cpu.userUs + end.cpu.systemUs - (start.cpu.userUs + start.cpu.systemUs);
  const delivered = end.messages.delivered - start.messages.delivered;
  const rssBytes = samples.length > 0 ? median(samples.map((s) => s.memory.rssBytes)) : end.memory.rssBytes;
  return {
    cpuMsPer1kDeliveries: delivered > 0 ? round(cpuUs / 1000 / (delivered / 1000), 3) : null,
    cpuCores: round(cpuUs / 1e6 / seconds, 3),
    rssBytes,
    rssBytesPerConnection: rssPerConnection(rssBytes, server.baselineRssBytes, connections),
    idleRssBytesPerConnection: server.idleRssBytes === null ? null : rssPerConnection(server.idleRssBytes, server.baselineRssBytes, connections),
    eventLoopDelayMs:
      samples.length > 0
        ? {
            p50: round(median(samples.map((s) => s.eventLoopDelayMs.p50)), 3),
            p99: round(Math.max(...samples.map((s) => s.eventLoopDelayMs.p99)), 3),
            max: round(Math.max(...samples.map((s) => s.eventLoopDelayMs.max)), 3),
          }
        : null,
    deliveredPerSec: Math.round(delivered / seconds),
    slowConsumerDisconnects: end.disconnects.slowConsumer - start.disconnects.slowConsumer,
    feedLatenessMs: feedLateness(samples),
  };
}

/**
 * The lab's own read queueing over every worker's deliveries (their histograms added), and the
 * busiest worker's event-loop utilization; null where no worker measured them (browser workers).
 */
export function readQueueOf(reports: readonly WindowReport[]): { readQueueMs: ReadQueueSummary | null; maxWorkerEventLoopUtilization: number | null } {
  const measured = reports.flatMap((r) => (typeof r.readQueue === 'string' ? [decodeHistogram(r.readQueue)] : []));
  const queue = summarize(mergeHistograms(measured));
  const utilizations = reports.flatMap((r) => (typeof r.eventLoopUtilization === 'number' ? [r.eventLoopUtilization] : []));
  return {
    readQueueMs: queue === null ? null : { p50: queue.p50, p99: queue.p99, max: queue.max },
    maxWorkerEventLoopUtilization: utilizations.length === 0 ? null : round(Math.max(...utilizations), 3),
  };
}

export interface Aggregate {
  metrics: RunMetrics;
  histograms: { latency: string | null; rtt: string | null; connect: string | null };
  clientBoundReasons: string[];
  /** Long worker loop delays the lab puts down to the scheduler, not the client (bench/client-bound.ts): notes, not flags. */
  descheduled: string[];
  tallies: Map<string, ChannelTally>;
}

/** Chromium's cost over the window, summed over the browser workers; undefined for Node workers. */
export function browserCost(reports: readonly WindowReport[], seconds: number, deliveries: number): BrowserCost | undefined {
  const browsers = reports.flatMap((r) => (r.browser === undefined ? [] : [r.browser]));
  if (browsers.length === 0) return undefined;
  const cpuUs = sum(browsers.map((b) => b.chromiumCpuUs));
  const memoryBytes = sum(browsers.map((b) => b.pssBytes));
  const clients = sum(browsers.map((b) => b.clients));
  return {
    version: browsers[0]!.version,
    browsers: browsers.length,
    pages: sum(browsers.map((b) => b.pages)),
    processes: sum(browsers.map((b) => b.processes)),
    cpuCores: round(cpuUs / 1e6 / seconds, 3),
    cpuUsPerDelivery: deliveries > 0 ? round(cpuUs / deliveries, 3) : null,
    busiestProcessCpuCores: round(Math.max(...browsers.map((b) => b.busiestProcessCpuUs)) / 1e6 / seconds, 3),
    memoryBytes,
    memoryBytesPerClient: clients > 0 ? Math.round(memoryBytes / clients) : null,
  };
}

export function aggregateWindow(input: WindowInput): Aggregate {
  const { reports, connect } = input;
  const seconds = input.durationMs / 1000;
  const latency = mergeHistograms(reports.map((r) => decodeHistogram(r.latency)));
  const rtt = mergeHistograms(reports.map((r) => decodeHistogram(r.rtt)));
  const connectTimes = mergeHistograms(connect.map((c) => decodeHistogram(c.connect)));
  const tallies = new Map<string, ChannelTally>();
  for (const report of reports) mergeTallies(tallies, report.tallies);
  const opened = sum(connect.map((c) => c.opened));
  const deliveries = sum(reports.map((r) => r.deliveries));
  const arrivals = sum(reports.map((r) => r.arrivalsBetweenMarks));
  const read = sum(reports.map((r) => r.bytesRead));
  const written = sum(reports.map((r) => r.bytesWritten));
  const clientCpuUs = sum(reports.map((r) => r.cpuUs));
  const sendsDue = sum(reports.map((r) => r.sendsDue));
  // A page cannot see socket bytes: browser runs do not measure them (null, not 0).
  const bytesMeasured = reports.every((r) => r.browser === undefined);
  const perMessage = bytesMeasured && arrivals > 0 ? round((read + written) / arrivals) : null;
  // A browser worker's CPU is spread over Chromium's processes: what can saturate is its busiest one.
  const maxWorkerCpuCores = round(Math.max(0, ...reports.map((r) => (r.browser?.busiestProcessCpuUs ?? r.cpuUs) / 1e6 / seconds)), 3);
  const browser = browserCost(reports, seconds, arrivals);
  const maxWorkerLoopDelayP99Ms = round(Math.max(0, ...reports.map((r) => r.loopDelayP99MaxMs)), 3);

  const names = browser === undefined ? { worker: 'a load worker', loop: "a load worker's event-loop delay" } : { worker: 'a Chromium process', loop: "a page's event-loop delay" };
  const bound = clientBoundOf(
    reports.map((r) => ({
      cpuCores: (r.browser?.busiestProcessCpuUs ?? r.cpuUs) / 1e6 / seconds,
      loopDelayP99Ms: r.loopDelayP99MaxMs,
      utilization: typeof r.eventLoopUtilization === 'number' ? r.eventLoopUtilization : null,
      sendLagP99Ms: r.sendLagP99Ms,
    })),
    names,
  );
  const clientBoundReasons = bound.reasons;

  return {
    metrics: {
      latency: summarize(latency),
      rtt: summarize(rtt),
      connect: summarize(connectTimes),
      throughput: { deliveriesPerSec: Math.round(deliveries / seconds), deliveries, sendsPerSec: sendsDue > 0 ? round(sendsDue / seconds, 1) : null },
      bytes: {
        perMessage,
        overheadPerMessage: perMessage === null ? null : round(perMessage - input.payloadBytes),
        downPerMessage: bytesMeasured && arrivals > 0 ? round(read / arrivals) : null,
        upPerMessage: bytesMeasured && arrivals > 0 ? round(written / arrivals) : null,
        payloadBytes: input.payloadBytes,
        handshakePerConnection: bytesMeasured && opened > 0 ? round(sum(connect.map((c) => c.handshakeBytes)) / opened, 1) : null,
      },
      server: input.server === null ? null : serverMetrics(input.server, opened),
      client: {
        workers: reports.length,
        cpuUsPerDelivery: arrivals > 0 ? round(clientCpuUs / arrivals, 3) : null,
        maxWorkerCpuCores,
        maxWorkerLoopDelayP99Ms,
        ...readQueueOf(reports),
        ...(browser === undefined ? {} : { browser }),
      },
      integrity: integrityAgainst(tallies, input.published ?? null),
      errors: {
        connectFailures: sum(connect.map((c) => c.failed)),
        decodeErrors: sum(reports.map((r) => r.decodeErrors + r.serverErrors)),
        disconnects: sum(reports.map((r) => r.disconnects)),
        sendFailures: sum(reports.map((r) => r.sendFailures + r.sendsUnanswered)),
      },
    },
    histograms: {
      latency: latency.totalCount > 0 ? encodeHistogram(latency) : null,
      rtt: rtt.totalCount > 0 ? encodeHistogram(rtt) : null,
      connect: connectTimes.totalCount > 0 ? encodeHistogram(connectTimes) : null,
    },
    clientBoundReasons,
    descheduled: bound.descheduled,
    tallies,
  };
}

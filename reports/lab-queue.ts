/**
 * When the lab's own read queueing (metrics.client.readQueueMs) dominates a run's delivery latency,
 * and how the renderers say so. One definition for the terminal summary and the HTML report.
 */
import type { RunRecord } from '../metrics/result-types.ts';
import { formatMs } from './format.ts';

/** A run is LAB-QUEUED when the lab's own read queueing is more than this share of its delivery latency, at p50 or p99... */
export const LAB_QUEUED_SHARE = 0.5;
/**
 * ...and at least this long there: below a millisecond a share says little (a few reads of one burst
 * already make it) and would flag nearly every light run.
 */
export const LAB_QUEUED_MIN_MS = 1;

export const LAB_QUEUED_FLAG = 'LAB-QUEUED';

interface Share {
  percentile: 'p50' | 'p99';
  queueMs: number;
  latencyMs: number;
}

/** The percentiles at which the lab's queueing was over LAB_QUEUED_SHARE of the latency; empty when it was not, or was not measured. */
export function labQueuedShares(run: RunRecord): Share[] {
  const queue = run.metrics.client.readQueueMs;
  const latency = run.metrics.latency;
  if (queue === undefined || queue === null || latency === null) return [];
  const shares: Share[] = [];
  for (const percentile of ['p50', 'p99'] as const) {
    const queueMs = queue[percentile];
    const latencyMs = latency[percentile];
    if (queueMs >= LAB_QUEUED_MIN_MS && queueMs > LAB_QUEUED_SHARE * latencyMs) shares.push({ percentile, queueMs, latencyMs });
  }
  return shares;
}

export const isLabQueued = (run: RunRecord): boolean => labQueuedShares(run).length > 0;

/** "the lab's own read queueing was 41.0 of 79.0 ms at p50, 120 of 160 ms at p99", or null when the run is not LAB-QUEUED. */
export function labQueuedText(run: RunRecord): string | null {
  const shares = labQueuedShares(run);
  if (shares.length === 0) return null;
  const parts = shares.map((s) => `${formatMs(s.queueMs)} of ${formatMs(s.latencyMs)} ms at ${s.percentile}`);
  const utilization = run.metrics.client.maxWorkerEventLoopUtilization;
  const busy = typeof utilization === 'number' ? `; its busiest worker's event loop was busy ${Math.round(utilization * 100)} % of the window` : '';
  return `the lab's own read queueing was ${parts.join(', ')} (an upper bound): that much of the latency is the load client draining its sockets, not the transport${busy}`;
}

/** What the terminal's and the report's legends say about it. */
export const LAB_QUEUE_DEFINITION = "how long each delivery's read waited behind its load worker's earlier reads of the same burst";
export const LAB_QUEUE_CAVEAT = 'an upper bound: a read late in a burst may also have reached the socket late';
export const LAB_QUEUED_RULE = `${LAB_QUEUED_FLAG}: the lab's queueing was over ${Math.round(LAB_QUEUED_SHARE * 100)} % of the latency at p50 or p99 (and at least ${LAB_QUEUED_MIN_MS} ms)`;

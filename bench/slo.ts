/** Whether a capacity step met the SLO, and if not, why (pure). */
import type { RunRecord } from '../metrics/result-types.ts';

export interface Slo {
  p99Ms: number;
  maxLoss: number;
}

/** The p99 a step's result quotes: delivery latency, or the chat round trip where no delivery latency was measured. */
export const stepP99Ms = (run: RunRecord): number | null => run.metrics.latency?.p99 ?? run.metrics.rtt?.p99 ?? null;

export function sloBreaches(run: RunRecord, slo: Slo): string[] {
  const m = run.metrics;
  const reasons: string[] = [];
  if (m.throughput.deliveries === 0) reasons.push('nothing was delivered');
  if (m.latency !== null && m.latency.p99 > slo.p99Ms) reasons.push(`delivery p99 ${m.latency.p99} ms > ${slo.p99Ms} ms`);
  if (m.rtt !== null && m.rtt.p99 > slo.p99Ms) reasons.push(`round-trip p99 ${m.rtt.p99} ms > ${slo.p99Ms} ms`);
  const lost = m.integrity.lost + m.errors.sendFailures;
  if (lost > slo.maxLoss) reasons.push(`${lost} messages lost (${m.integrity.lost} deliveries, ${m.errors.sendFailures} sends) > ${slo.maxLoss}`);
  if (m.errors.connectFailures > 0) reasons.push(`${m.errors.connectFailures} connections failed to open`);
  if (m.errors.decodeErrors > 0) reasons.push(`${m.errors.decodeErrors} messages were malformed or server errors`);
  if (m.errors.disconnects > 0) reasons.push(`${m.errors.disconnects} connections dropped`);
  if (m.server !== null && m.server.slowConsumerDisconnects > 0) reasons.push(`the server cut ${m.server.slowConsumerDisconnects} slow consumers`);
  return reasons;
}

/**
 * A step whose p99 is at most this times the SLO's, with nothing else wrong, broke narrowly: the
 * capacity search measures it once more (capacity-search.ts). At the same rate on this 2-core
 * machine one 3 s window's p99 moved by about ±30 % from the next.
 */
export const NARROW_BREAK_FACTOR = 1.5;

/** Whether the step broke the SLO on latency alone, and by no more than NARROW_BREAK_FACTOR. */
export function brokeNarrowly(run: RunRecord, slo: Slo): boolean {
  const latencies = [run.metrics.latency?.p99, run.metrics.rtt?.p99].filter((p99): p99 is number => p99 !== undefined);
  const latencyBreaches = latencies.filter((p99) => p99 > slo.p99Ms).length;
  // Broke, and on nothing but latency: a loss, an error or a cut connection is never noise.
  return latencyBreaches > 0 && sloBreaches(run, slo).length === latencyBreaches && latencies.every((p99) => p99 <= NARROW_BREAK_FACTOR * slo.p99Ms);
}

/** Whether the step broke the SLO on latency (delivery or round trip), as opposed to loss or errors only. */
export function latencyBreached(run: RunRecord, slo: Slo): boolean {
  const m = run.metrics;
  return (m.latency !== null && m.latency.p99 > slo.p99Ms) || (m.rtt !== null && m.rtt.p99 > slo.p99Ms);
}

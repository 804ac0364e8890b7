/** Whether a capacity step met the SLO, and if not, why (pure). */
import type { RunRecord } from '../metrics/result-types.ts';

export interface Slo {
  p99Ms: number;
  maxLoss: number;
}

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

/** Whether the step broke the SLO on latency (delivery or round trip), as opposed to loss or errors only. */
export function latencyBreached(run: RunRecord, slo: Slo): boolean {
  const m = run.metrics;
  return (m.latency !== null && m.latency.p99 > slo.p99Ms) || (m.rtt !== null && m.rtt.p99 > slo.p99Ms);
}

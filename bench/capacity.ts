/**
 * Capacity search: the same connections, stepping the offered load up until a step breaks the SLO.
 * The answer is the highest step that held. A step where the load client was saturated ends the
 * search as client-bound: that is the lab's limit, never reported as the server's.
 */
import type { CapacityResult, RunRecord } from '../metrics/result-types.ts';
import type { Session } from './session.ts';
import type { MeasureSpec } from './window-runner.ts';
import { sloBreaches, type Slo } from './slo.ts';

export interface CapacityPlan {
  id: string;
  rates: number[];
  warmupMs: number;
  durationMs: number;
  slo: Slo;
}

export async function searchCapacity(session: Session, plan: CapacityPlan, onRun: (run: RunRecord) => Promise<void>, signal: AbortSignal): Promise<CapacityResult> {
  const { transport, scenario, encoding, client } = session.key;
  const result: CapacityResult = { id: plan.id, transport, scenario, client, encoding, slo: plan.slo, sustained: null, broke: null, stopReason: 'all-steps-passed', steps: [] };
  for (const [index, rate] of plan.rates.entries()) {
    if (signal.aborted) {
      result.stopReason = 'interrupted';
      break;
    }
    const spec: MeasureSpec = { id: `${plan.id}/step${index + 1}`, kind: 'capacity-step', rate, warmupMs: plan.warmupMs, durationMs: plan.durationMs, step: { index: index + 1, search: plan.id } };
    const run = await session.measure(spec);
    result.steps.push(run.id);
    await onRun(run);
    if (!run.complete) {
      result.stopReason = 'interrupted';
      break;
    }
    const breaches = sloBreaches(run, plan.slo);
    if (run.clientBound) {
      result.stopReason = 'client-bound';
      result.broke = { offeredDeliveriesPerSec: run.load.offeredDeliveriesPerSec, reason: `the load client was saturated (${run.clientBoundReasons.join('; ')})`, runId: run.id };
      break;
    }
    if (breaches.length > 0) {
      result.stopReason = 'slo-broken';
      result.broke = { offeredDeliveriesPerSec: run.load.offeredDeliveriesPerSec, reason: breaches.join('; '), runId: run.id };
      break;
    }
    result.sustained = { offeredDeliveriesPerSec: run.load.offeredDeliveriesPerSec, deliveriesPerSec: run.metrics.throughput.deliveriesPerSec, latencyP99Ms: run.metrics.latency?.p99 ?? run.metrics.rtt?.p99 ?? null, runId: run.id };
  }
  return result;
}

/**
 * Capacity search: the same connections, the offered load raised step by step (capacity-search.ts
 * picks each rate) until a step breaks the SLO, then bisected down to the resolution. A step where
 * the load client was saturated counts as broken, with the client as its limit: the lab's limit,
 * never reported as the server's (the server's capacity lies above it).
 */
import { cpus } from 'node:os';
import type { CapacityResult, RunRecord } from '../metrics/result-types.ts';
import type { Session } from './session.ts';
import type { MeasureSpec } from './window-runner.ts';
import { capacityLimitOf } from './capacity-limit.ts';
import { runSearch, type SearchBounds } from './capacity-search.ts';
import { brokeNarrowly, latencyBreached, NARROW_BREAK_FACTOR, sloBreaches, stepP99Ms, type Slo } from './slo.ts';

export interface CapacityPlan {
  id: string;
  bounds: SearchBounds;
  warmupMs: number;
  durationMs: number;
  slo: Slo;
}

/** A search's result before its first step, either axis: nothing held, nothing broke yet. */
export function emptyCapacityResult(key: { transport: CapacityResult['transport']; scenario: CapacityResult['scenario']; encoding: CapacityResult['encoding']; client: CapacityResult['client'] }, plan: CapacityPlan): CapacityResult {
  return {
    id: plan.id,
    transport: key.transport,
    scenario: key.scenario,
    client: key.client,
    encoding: key.encoding,
    slo: plan.slo,
    sustained: null,
    broke: null,
    stopReason: 'all-steps-passed',
    steps: [],
    resolution: plan.bounds.steps === null ? plan.bounds.resolution : null,
    searchEnd: null,
  };
}

/**
 * The fixed-load run, when it ran at the search's start rate on the same connections: the search's
 * first step, already measured (a longer window than a step's, the same SLO), so the search begins
 * at the next rate instead of measuring the same load again.
 */
export interface MeasuredFirstStep {
  rate: number;
  run: RunRecord;
  cpu: { clientCores: number; machineBusyCores: number } | undefined;
}

export async function searchCapacity(session: Session, plan: CapacityPlan, onRun: (run: RunRecord) => Promise<void>, signal: AbortSignal, first?: MeasuredFirstStep): Promise<CapacityResult> {
  const result: CapacityResult = { ...emptyCapacityResult(session.key, plan), axis: 'rate' };
  const runs = new Map<number, RunRecord>();
  const cpuOf = new Map<RunRecord, { clientCores: number; machineBusyCores: number }>();
  let interrupted = false;
  const seeded = first !== undefined && first.run.complete && plan.bounds.steps === null && first.rate === Math.min(plan.bounds.startRate, plan.bounds.maxRate);
  if (seeded) {
    runs.set(first.rate, first.run);
    if (first.cpu !== undefined) cpuOf.set(first.run, first.cpu);
    result.steps.push(first.run.id);
  }
  const measured = seeded ? [{ rate: first.rate, held: sloBreaches(first.run, plan.slo).length === 0 }] : [];
  const outcome = await runSearch(plan.bounds, async (rate) => {
    if (signal.aborted) return null;
    const index = result.steps.length + (seeded ? 0 : 1);
    const spec: MeasureSpec = { id: `${plan.id}/step${index}`, kind: 'capacity-step', rate, warmupMs: plan.warmupMs, durationMs: plan.durationMs, step: { index, search: plan.id } };
    const run = await session.measure(spec);
    const cpu = session.windowCpu[session.windowCpu.length - 1];
    if (cpu !== undefined) cpuOf.set(run, cpu);
    // A step the load client barely kept up with still held when it met the SLO: the server delivered
    // that rate, within the SLO, to clients that measured it. Only a step that broke asks who ran out.
    const held = sloBreaches(run, plan.slo).length === 0;
    const secondTrial = runs.has(rate);
    const marginal = !held && !secondTrial && brokeNarrowly(run, plan.slo);
    if (marginal && run.step !== null) {
      run.step.remeasured = true;
      run.notes.push(`broke the SLO narrowly (p99 at most ${NARROW_BREAK_FACTOR}x the SLO's ${plan.slo.p99Ms} ms, nothing lost): its rate was measured once more, and that second trial decided`);
    }
    if (secondTrial) run.notes.push('second trial at this rate (the first broke the SLO narrowly): this one decided');
    result.steps.push(run.id);
    await onRun(run);
    if (!run.complete) {
      interrupted = true;
      return null;
    }
    runs.set(rate, run);
    return { held, marginal };
  }, measured);
  const held = outcome.held === null ? undefined : runs.get(outcome.held);
  const broke = outcome.broke === null ? undefined : runs.get(outcome.broke);
  if (held !== undefined) {
    result.sustained = { offeredDeliveriesPerSec: held.load.offeredDeliveriesPerSec, deliveriesPerSec: held.metrics.throughput.deliveriesPerSec, latencyP99Ms: stepP99Ms(held), runId: held.id };
  }
  if (broke !== undefined) {
    const cpu = cpuOf.get(broke) ?? { clientCores: 0, machineBusyCores: 0 };
    const breaches = sloBreaches(broke, plan.slo);
    const latencyBroke = latencyBreached(broke, plan.slo);
    const limit = capacityLimitOf(broke, { ...cpu, machineCores: Math.max(1, cpus().length) }, latencyBroke);
    const reason = limit.by === 'client' ? `the load client was saturated (${broke.clientBound ? broke.clientBoundReasons.join('; ') : 'its own read queueing made most of the latency'}); ${breaches.join('; ')}` : breaches.join('; ');
    result.broke = { offeredDeliveriesPerSec: broke.load.offeredDeliveriesPerSec, reason, runId: broke.id, limit };
    result.stopReason = limit.by === 'client' ? 'client-bound' : 'slo-broken';
  }
  const brokeBelow = outcome.brokeBelow.flatMap((rate) => {
    const run = runs.get(rate);
    return run === undefined ? [] : [{ offeredDeliveriesPerSec: run.load.offeredDeliveriesPerSec, latencyP99Ms: stepP99Ms(run), runId: run.id }];
  });
  if (brokeBelow.length > 0) result.brokeBelow = brokeBelow;
  result.searchEnd = outcome.end;
  if (interrupted || outcome.end === null) result.stopReason = 'interrupted';
  return result;
}

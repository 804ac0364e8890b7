/**
 * Capacity on the connections axis: the most concurrent connections a transport holds within the
 * SLO at a fixed rate per connection. The same search as the rate axis (capacity-search.ts: double,
 * halve, bisect to the resolution) picks connection counts instead of rates. Each step opens a
 * session of its own (a fresh server, every connection opened anew over the workers) and closes it
 * before the next: a step's figures then owe nothing to the connections of an earlier step, and
 * the server's memory and CPU are those of that count alone. A connection that fails to open
 * breaks the step, and a step whose connections cannot be opened at all breaks it too, with why.
 */
import { cpus } from 'node:os';
import type { CapacityResult, RunRecord } from '../metrics/result-types.ts';
import type { BenchConfig } from '../scenarios/bench-config.ts';
import { scenarioOf } from '../scenarios/registry.ts';
import { emptyCapacityResult, type CapacityPlan } from './capacity.ts';
import { capacityLimitOf } from './capacity-limit.ts';
import { runSearch } from './capacity-search.ts';
import type { Session, SessionKey } from './session.ts';
import { latencyBreached, sloBreaches, stepP99Ms } from './slo.ts';
import type { MeasureSpec } from './window-runner.ts';

export interface ConnectionCapacityPlan extends CapacityPlan {
  /** The rate held at every step, in the scenario's unit (feed: published per second; chat: sends per member per second). */
  connectionRate: number;
}

/** How the search gets a session per step; the bench owns the sessions' set-up, notices and clean-up. */
export interface StepSessions {
  /** A session with `config`'s connections, on a server of its own; undefined when the bench was interrupted meanwhile. Throws when it cannot be opened. */
  open(config: BenchConfig): Promise<Session | undefined>;
  /** Closes it (server and connections), keeping what it noticed. */
  release(session: Session): Promise<void>;
}

/** A step that broke before any window ran: its connections could not be opened. */
interface OpenFailure {
  id: string;
  connections: number;
  offeredDeliveriesPerSec: number;
  reason: string;
}

type Step =
  | { kind: 'run'; run: RunRecord; cpu: { clientCores: number; machineBusyCores: number } | undefined; connectFailures: string[] }
  | ({ kind: 'open-failed' } & OpenFailure);

export async function searchConnectionCapacity(
  key: SessionKey,
  config: BenchConfig,
  plan: ConnectionCapacityPlan,
  sessions: StepSessions,
  onRun: (run: RunRecord) => Promise<void>,
  signal: AbortSignal,
): Promise<CapacityResult> {
  const { transport, scenario: scenarioName, encoding, client } = key;
  const scenario = scenarioOf(scenarioName);
  const result: CapacityResult = {
    ...emptyCapacityResult({ transport, scenario: scenarioName, client, encoding }, plan),
    axis: 'connections',
    connectionRate: plan.connectionRate,
  };
  const steps = new Map<number, Step>();
  let index = 0;
  let interrupted = false;
  const outcome = await runSearch(plan.bounds, async (wanted) => {
    if (signal.aborted) return null;
    index += 1;
    const stepConfig = scenario.sizedFor(config, wanted, plan.connectionRate);
    const connections = scenario.connections(stepConfig, client);
    const spec: MeasureSpec = { id: `${plan.id}/step${index}`, kind: 'capacity-step', rate: plan.connectionRate, warmupMs: plan.warmupMs, durationMs: plan.durationMs, step: { index, search: plan.id } };
    let session: Session | undefined;
    try {
      session = await sessions.open(stepConfig);
    } catch (err) {
      const offered = scenario.messagesPerSec(plan.connectionRate, connections) * scenario.recipientsPerMessage(stepConfig, client, connections);
      steps.set(wanted, { kind: 'open-failed', id: spec.id, connections, offeredDeliveriesPerSec: offered, reason: `the ${connections} connections could not be opened (${(err as Error).message})` });
      return false;
    }
    if (session === undefined) {
      interrupted = true;
      return null;
    }
    let run: RunRecord;
    let cpu: { clientCores: number; machineBusyCores: number } | undefined;
    let failures: string[];
    try {
      run = await session.measure(spec);
      cpu = session.windowCpu[session.windowCpu.length - 1];
      failures = session.connectFailureReasons;
    } finally {
      await sessions.release(session);
    }
    if (failures.length > 0) run.notes.push(`connections failed to open while the step ramped up (${failures.join('; ')}): the step counts as broken`);
    result.steps.push(run.id);
    await onRun(run);
    if (!run.complete) {
      interrupted = true;
      return null;
    }
    steps.set(wanted, { kind: 'run', run, cpu, connectFailures: failures });
    // As on the rate axis (capacity.ts): a step that met the SLO held, however busy the client was.
    return sloBreaches(run, plan.slo).length === 0;
  });

  const held = outcome.held === null ? undefined : steps.get(outcome.held);
  if (held?.kind === 'run') {
    const { run } = held;
    result.sustained = {
      offeredDeliveriesPerSec: run.load.offeredDeliveriesPerSec,
      deliveriesPerSec: run.metrics.throughput.deliveriesPerSec,
      latencyP99Ms: stepP99Ms(run),
      runId: run.id,
      connectionCount: run.load.connections,
    };
  }
  const broke = outcome.broke === null ? undefined : steps.get(outcome.broke);
  if (broke?.kind === 'open-failed') {
    result.broke = { offeredDeliveriesPerSec: broke.offeredDeliveriesPerSec, reason: broke.reason, runId: broke.id, connectionCount: broke.connections };
    result.stopReason = 'slo-broken';
  } else if (broke?.kind === 'run') {
    const { run } = broke;
    const limit = capacityLimitOf(run, { ...(broke.cpu ?? { clientCores: 0, machineBusyCores: 0 }), machineCores: Math.max(1, cpus().length) }, latencyBreached(run, plan.slo));
    result.broke = { offeredDeliveriesPerSec: run.load.offeredDeliveriesPerSec, reason: brokeReason(run, plan, broke.connectFailures, limit.by === 'client'), runId: run.id, limit, connectionCount: run.load.connections };
    result.stopReason = limit.by === 'client' ? 'client-bound' : 'slo-broken';
  }
  result.searchEnd = outcome.end;
  if (interrupted || outcome.end === null) result.stopReason = 'interrupted';
  return result;
}

/** Why a step broke, the ramp-up first: connections that never opened are the count's failure, whatever the latency. */
function brokeReason(run: RunRecord, plan: ConnectionCapacityPlan, connectFailures: string[], clientLimited: boolean): string {
  const breaches = sloBreaches(run, plan.slo);
  if (clientLimited) return `the load client was saturated (${run.clientBound ? run.clientBoundReasons.join('; ') : 'its own read queueing made most of the latency'}); ${breaches.join('; ')}`;
  const failed = run.metrics.errors.connectFailures;
  if (failed === 0) return breaches.join('; ');
  const why = connectFailures.length === 0 ? '' : ` (${connectFailures.join('; ')})`;
  const rest = breaches.filter((breach) => !breach.endsWith('connections failed to open'));
  return [`${failed} of ${run.load.connections} connections failed to open during ramp-up${why}`, ...rest].join('; ');
}

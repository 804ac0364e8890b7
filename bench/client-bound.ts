/**
 * Whether the lab's own load client limited a window (pure). A Node worker runs on one thread: when
 * it is busy nearly all the time (CPU or event-loop utilization near 1) it cannot read faster, and
 * the latency it records includes its own queueing. An event-loop delay alone does not say so: a
 * worker whose loop was idle most of the window but was not scheduled (the machine's cores were
 * taken by the server and the other workers) shows the same delay. That is the machine's limit,
 * and is named as such, not blamed on the client. When the utilization is not known (older
 * workers, browser pages), the delay still counts, as it always did.
 */

/** A worker using this much of a core (CPU time over the window) may be what limits the run. */
export const CLIENT_BOUND_CPU_CORES = 0.85;
/** A worker whose event loop was busy this share of the window had no room left. */
export const CLIENT_BOUND_UTILIZATION = 0.9;
export const CLIENT_BOUND_LOOP_DELAY_MS = 50;
/** Below this utilization a long loop delay is the scheduler's doing, not the worker's own work. */
export const DESCHEDULED_UTILIZATION = 0.7;
/** Chat sends leaving this late (p99) mean the client could not keep its own schedule. */
export const CLIENT_BOUND_SEND_LAG_MS = 50;

export interface WorkerLoad {
  cpuCores: number;
  loopDelayP99Ms: number;
  /** Event-loop utilization over the window, 0 to 1; null when not measured. */
  utilization: number | null;
  sendLagP99Ms: number;
}

export interface ClientBoundVerdict {
  /** Why the client was the limit; empty when it was not. */
  reasons: string[];
  /** Long loop delays the lab puts down to the scheduler (a busy machine), not to the client. */
  descheduled: string[];
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** @param who how the reasons name a worker: 'a load worker', 'a Chromium process' */
export function clientBoundOf(workers: readonly WorkerLoad[], who: { worker: string; loop: string }): ClientBoundVerdict {
  const reasons: string[] = [];
  const descheduled: string[] = [];
  const maxCpu = round(Math.max(0, ...workers.map((w) => w.cpuCores)), 3);
  if (maxCpu >= CLIENT_BOUND_CPU_CORES) reasons.push(`${who.worker} used ${maxCpu} cores (limit ${CLIENT_BOUND_CPU_CORES})`);
  const utilizations = workers.flatMap((w) => (w.utilization === null ? [] : [w.utilization]));
  const maxUtilization = round(Math.max(0, ...utilizations), 3);
  if (maxUtilization >= CLIENT_BOUND_UTILIZATION) reasons.push(`${who.worker}'s event loop was busy ${Math.round(maxUtilization * 100)} % of the window (limit ${CLIENT_BOUND_UTILIZATION * 100} %)`);
  const delayed = workers.filter((w) => w.loopDelayP99Ms >= CLIENT_BOUND_LOOP_DELAY_MS);
  if (delayed.length > 0) {
    const worst = delayed.reduce((a, b) => (b.loopDelayP99Ms > a.loopDelayP99Ms ? b : a));
    const delay = round(worst.loopDelayP99Ms, 3);
    const ownWork = delayed.filter((w) => w.utilization === null || w.utilization >= DESCHEDULED_UTILIZATION);
    if (ownWork.length > 0) {
      const own = ownWork.reduce((a, b) => (b.loopDelayP99Ms > a.loopDelayP99Ms ? b : a));
      reasons.push(`${who.loop} p99 reached ${round(own.loopDelayP99Ms, 3)} ms (limit ${CLIENT_BOUND_LOOP_DELAY_MS} ms)${own.utilization === null ? '' : `, its loop busy ${Math.round(own.utilization * 100)} % of the window`}`);
    } else {
      descheduled.push(`${who.loop} p99 reached ${delay} ms while its loop was busy only ${Math.round((worst.utilization ?? 0) * 100)} % of the window: the worker waited for a core (the scheduler), not for its own work`);
    }
  }
  const maxSendLag = Math.max(0, ...workers.map((w) => w.sendLagP99Ms));
  if (maxSendLag >= CLIENT_BOUND_SEND_LAG_MS) reasons.push(`chat sends left up to ${round(maxSendLag, 1)} ms after their due time (p99; limit ${CLIENT_BOUND_SEND_LAG_MS} ms)`);
  return { reasons, descheduled };
}

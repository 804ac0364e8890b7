/**
 * What ran out at a capacity step that broke the SLO (pure): the server (CPU near a full core: a
 * Node server runs on one; or its event loop delayed while the client and the machine had room), the
 * machine (both held up with CPU to spare, a late server on a full machine, or every core busy:
 * whoever ran out was starved), the lab's load client
 * (saturated, or its own queueing made most of the latency), or none of them: the SLO broke on its own.
 */
import type { CapacityLimit, RunRecord } from '../metrics/result-types.ts';
import { labQueuedText } from '../reports/lab-queue.ts';

/** A server at this much CPU (cores) ran out of its one core. Same bar as the load client's (aggregate.ts). */
export const SERVER_BOUND_CPU_CORES = 0.85;
export const SERVER_BOUND_LOOP_DELAY_MS = 50;
/** The machine counts as full when its busy cores reach this share of its cores (1.8 of 2). */
export const MACHINE_BUSY_SHARE = 0.9;

export interface WindowCpu {
  clientCores: number;
  machineBusyCores: number;
  machineCores: number;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** @param latencyBroke whether the step broke the SLO on latency (not only on loss): only then can the lab's queueing be what broke it. */
export function capacityLimitOf(run: RunRecord, cpu: WindowCpu, latencyBroke = true): CapacityLimit {
  const server = run.metrics.server;
  const serverCpuCores = server === null ? null : round(server.cpuCores);
  const serverLoopDelayP99Ms = server?.eventLoopDelayMs?.p99 ?? null;
  const machineBusyCores = round(cpu.machineBusyCores);
  const figures = { serverCpuCores, serverLoopDelayP99Ms, clientCpuCores: round(cpu.clientCores), machineBusyCores, machineCores: cpu.machineCores };
  // The server first: a single-threaded server at a full core ran out, whatever else was busy too.
  const serverFull = serverCpuCores !== null && serverCpuCores >= SERVER_BOUND_CPU_CORES;
  const serverLate = serverLoopDelayP99Ms !== null && serverLoopDelayP99Ms >= SERVER_BOUND_LOOP_DELAY_MS;
  const serverWhy: string[] = [];
  if (serverFull) serverWhy.push(`its CPU reached ${serverCpuCores} cores (limit ${SERVER_BOUND_CPU_CORES})`);
  if (serverLate) serverWhy.push(`its event-loop delay p99 reached ${serverLoopDelayP99Ms} ms (limit ${SERVER_BOUND_LOOP_DELAY_MS} ms)`);
  // A late server loop with CPU to spare while the load client was held up too: neither ran out on
  // its own; they waited for the same cores (on 2 cores, a server and two load workers). The machine's.
  if (serverLate && !serverFull && run.clientBound) {
    return {
      by: 'machine',
      why: `the server and the load client contended for the machine's ${cpu.machineCores} cores: the server's event-loop delay p99 reached ${serverLoopDelayP99Ms} ms at only ${serverCpuCores ?? '?'} cores, and ${run.clientBoundReasons.join('; ')}`,
      ...figures,
    };
  }
  // A late server loop with CPU to spare on a full machine: the server was waiting for a core, not out of its own.
  const machineFull = machineBusyCores >= MACHINE_BUSY_SHARE * cpu.machineCores;
  if (serverLate && !serverFull && machineFull) {
    return {
      by: 'machine',
      why: `the machine was full: ${machineBusyCores} of its ${cpu.machineCores} cores busy, so the server's event-loop delay p99 reached ${serverLoopDelayP99Ms} ms at only ${serverCpuCores ?? '?'} cores`,
      ...figures,
    };
  }
  if (serverWhy.length > 0) {
    const alsoClient = run.clientBound ? ` (the lab's load client was busy too: ${run.clientBoundReasons.join('; ')})` : '';
    return { by: 'server', why: `the server ran out: ${serverWhy.join('; ')}${alsoClient}`, ...figures };
  }
  if (run.clientBound) return { by: 'client', why: `the lab's load client saturated (${run.clientBoundReasons.join('; ')}): the server's capacity is above this step`, ...figures };
  const queued = labQueuedText(run);
  if (queued !== null && latencyBroke) return { by: 'client', why: `${queued}: the server's capacity is above this step`, ...figures };
  if (machineFull) {
    return { by: 'machine', why: `the machine was full: ${machineBusyCores} of its ${cpu.machineCores} cores busy, the server at ${serverCpuCores ?? '?'} cores`, ...figures };
  }
  return { by: 'slo', why: 'neither the server, the load client nor the machine ran out of CPU: the SLO broke on its own', ...figures };
}

/**
 * How the renderers word a capacity search's answer, shared by the terminal summary and the HTML
 * report: what broke and what ran out (with the server's, the client's and the machine's CPU beside
 * it), and the search's own bounds when it stopped before bracketing the limit.
 */
import type { CapacityLimit, CapacityResult } from '../metrics/result-types.ts';
import { formatCount, formatMs } from './format.ts';

const LIMIT_NAMES: Record<CapacityLimit['by'], string> = {
  server: 'the server',
  client: 'the lab’s load client (the server’s capacity is above)',
  machine: 'the machine (every core busy, or the server and the load client held up together)',
  slo: 'none ran out of CPU: the SLO broke on its own',
};

const cores = (value: number | null): string => (value === null ? 'not measured' : `${value.toFixed(2)} cores`);

/** "server 0.97 cores (loop p99 38.2 ms), client 0.61 cores, machine 1.71 of 2 cores busy". */
export function cpuBesideText(limit: CapacityLimit): string {
  const loop = limit.serverLoopDelayP99Ms === null ? '' : ` (loop p99 ${formatMs(limit.serverLoopDelayP99Ms)} ms)`;
  return `server ${cores(limit.serverCpuCores)}${loop}, client ${cores(limit.clientCpuCores)}, machine ${limit.machineBusyCores.toFixed(2)} of ${limit.machineCores} cores busy`;
}

/** "0.97 / 0.61 / 1.71 of 2": server, client and machine cores, for a table column. */
export function cpuColumnText(limit: CapacityLimit): string {
  return `${limit.serverCpuCores === null ? '?' : limit.serverCpuCores.toFixed(2)} / ${limit.clientCpuCores.toFixed(2)} / ${limit.machineBusyCores.toFixed(2)} of ${limit.machineCores}`;
}

/** "limit: the server (server 0.97 cores ..., client ..., machine ...)"; null when the file records no limit. */
export function limitText(result: CapacityResult): string | null {
  const limit = result.broke?.limit;
  if (limit === undefined) return null;
  return `limit: ${LIMIT_NAMES[limit.by]} (${cpuBesideText(limit)})`;
}

/** The short name of what ran out, for a table cell: server, client, machine, SLO; null when not recorded. */
export function limitName(result: CapacityResult): string | null {
  const by = result.broke?.limit?.by;
  return by === undefined ? null : by === 'slo' ? 'SLO' : by;
}

/** How far the answer is from exact: "within 10 %" (bisected), or why the search stopped before it. */
export function precisionText(result: CapacityResult): string | null {
  switch (result.searchEnd) {
    case 'bracketed':
      return result.resolution === null || result.resolution === undefined ? null : `bisected to within ${Math.round(result.resolution * 100)} %`;
    case 'max-steps':
      return 'the step budget ran out before the search settled (--capacity-max-steps)';
    case 'max-rate':
      if (onConnectionsAxis(result)) return 'the most connections the search may try held (--capacity-max-connections)';
      return result.resolution === null ? 'every fixed step held' : 'the highest rate the search may try held (--capacity-max-rate)';
    case 'floor':
      return onConnectionsAxis(result) ? 'even the fewest connections broke' : 'even the lowest rate broke';
    default:
      return null;
  }
}

/** When the step budget ran out before the bracket reached the resolution: how wide it was left, e.g. "steps ran out at 19 % (aim 10 %)". */
export function unsettledText(result: CapacityResult): string | null {
  if (result.searchEnd !== 'max-steps' || result.sustained === null || result.broke === null || result.sustained.offeredDeliveriesPerSec <= 0) return null;
  const axisConnections = onConnectionsAxis(result) && result.sustained.connectionCount !== undefined && result.broke.connectionCount !== undefined && result.sustained.connectionCount > 0;
  const width = axisConnections
    ? Math.round((result.broke.connectionCount! / result.sustained.connectionCount! - 1) * 100)
    : Math.round((result.broke.offeredDeliveriesPerSec / result.sustained.offeredDeliveriesPerSec - 1) * 100);
  const aim = typeof result.resolution === 'number' ? ` (aim ${Math.round(result.resolution * 100)} %)` : '';
  return `steps ran out at ${width} %${aim}`;
}

/**
 * Lower rates that broke although a higher one held: "also broke below it, at 100,000/s (p99 102 ms)".
 * The sustained rate is the highest that held, not a rate below which everything holds.
 */
export function brokeBelowText(result: CapacityResult): string | null {
  const below = result.brokeBelow ?? [];
  if (below.length === 0) return null;
  const steps = below.map((step) => `${formatCount(step.offeredDeliveriesPerSec)}/s${step.latencyP99Ms === null ? '' : ` (p99 ${formatMs(step.latencyP99Ms)} ms)`}`);
  return `also broke below it, at ${steps.join(', ')}`;
}

/** The answer when no step held: "even 1,000/s offered broke the SLO: <reason>" — an answer, not "none". */
export function nothingHeldText(result: CapacityResult): string {
  if (result.broke === null) return 'no step was measured';
  return `even ${formatCount(result.broke.offeredDeliveriesPerSec)}/s offered broke the SLO: ${result.broke.reason}`;
}

/** Whether a search varied the connection count (--capacity-axis connections) rather than the rate; files without an axis are rate searches. */
export function onConnectionsAxis(result: CapacityResult): boolean {
  return result.axis === 'connections';
}

const connectionsText = (count: number | undefined): string => (count === undefined ? '? connections' : `${formatCount(count)} ${count === 1 ? 'connection' : 'connections'}`);

/** The rate a connections-axis search held, in the scenario's words: "2 messages/s published to every subscriber". */
export function connectionRateText(result: CapacityResult): string {
  const rate = result.connectionRate === undefined ? '?' : formatCount(result.connectionRate);
  return result.scenario === 'chat' ? `${rate} sends/s per member` : `${rate} messages/s published to every subscriber`;
}

/**
 * A connections-axis search's answer in one line (terminal and report): the most connections held,
 * or where it broke and why, in connections, never in deliveries/s.
 */
export function connectionsOutcomeText(result: CapacityResult): string {
  const brokeAt = connectionsText(result.broke?.connectionCount);
  const unsettled = unsettledText(result);
  const tail = unsettled === null ? '' : `; ${unsettled}`;
  switch (result.stopReason) {
    case 'slo-broken':
      if (result.sustained === null) return result.broke === null ? 'no step was measured' : `even ${brokeAt} broke the SLO: ${result.broke.reason}`;
      return `held ${connectionsText(result.sustained.connectionCount)}, broke at ${brokeAt}: ${result.broke?.reason ?? 'reason not recorded'}${tail}`;
    case 'client-bound':
      return `client-bound at ${brokeAt}: server limit not reached${tail}`;
    case 'all-steps-passed': {
      const why = precisionText(result);
      return `no step broke the SLO (holds at least ${connectionsText(result.sustained?.connectionCount)})${why === null ? '' : `: ${why}`}`;
    }
    case 'interrupted':
      return 'INTERRUPTED: search did not finish';
    case 'failed':
      return `FAILED: ${result.broke?.reason ?? 'search did not finish'}`;
  }
}

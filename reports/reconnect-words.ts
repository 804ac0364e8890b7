/**
 * How the renderers word a reconnect run's figures where they could mislead, shared by the terminal
 * summary and the HTML report: who made the reconnect attempts, and what it means when a page did
 * not see the drop at all.
 */
import type { ReconnectMetrics, ResultsFile, RunRecord } from '../metrics/result-types.ts';
import { formatCount } from './format.ts';

/** A reconnect run with its figures (a run interrupted before they were collected has none). */
export type ReconnectRun = RunRecord & { reconnect: ReconnectMetrics };

export const hasReconnectFigures = (run: RunRecord): run is ReconnectRun => run.kind === 'reconnect' && run.reconnect !== undefined;

/** The reconnect runs of a file, in results order (none in files written before browser clients existed). */
export function reconnectRuns(results: ResultsFile): RunRecord[] {
  return results.runs.filter((run) => run.kind === 'reconnect');
}

/** The EventSource reconnects by itself: page code never sees its attempts, so 0 would be a false count. */
export function attemptsText(run: ReconnectRun): string {
  return run.transport === 'sse' && run.reconnect.attempts === 0 ? 'not counted' : formatCount(run.reconnect.attempts);
}

/**
 * Why some pages did not see the drop, or null when every page did. Chromium retries a dropped idle
 * poll by itself, so a long-poll page may never notice; the resume time still measures the outage.
 */
export function sawDropCaveat(run: ReconnectRun): string | null {
  const { sawDisconnect, clients } = run.reconnect;
  if (sawDisconnect >= clients) return null;
  const count = sawDisconnect === 0 ? `none of the ${formatCount(clients)} pages` : `only ${formatCount(sawDisconnect)} of ${formatCount(clients)} pages`;
  if (run.transport === 'long-poll') {
    return `${count} saw the drop: Chromium retries a dropped idle poll by itself, so a page may never notice; the resume time still measures the outage each client had`;
  }
  return `${count} saw the drop`;
}

/** How the terminal summary and the HTML report word a run's loss: what it was counted against, and where each lost message went. */
import type { Integrity } from '../metrics/result-types.ts';
import { formatCount } from './format.ts';

const connections = (count: number): string => `${formatCount(count)} ${count === 1 ? 'connection' : 'connections'}`;

/** "12 at 3 connections the server cut (4008 SLOW_CONSUMER x3); 4 never arrived on a live connection"; null without loss or causes (older files). */
export function lossCauseText(integrity: Integrity): string | null {
  const { lost, lostBy } = integrity;
  if (lost === 0 || lostBy === undefined) return null;
  const parts: string[] = [];
  if (lostBy.serverCut.count > 0 || lostBy.serverCut.connections > 0) {
    const codes = lostBy.serverCut.codes.map((c) => `${c.code} x${formatCount(c.connections)}`).join(', ');
    parts.push(`${formatCount(lostBy.serverCut.count)} at ${connections(lostBy.serverCut.connections)} the server cut (${codes})`);
  }
  if (lostBy.connectionFailed.count > 0) parts.push(`${formatCount(lostBy.connectionFailed.count)} at ${connections(lostBy.connectionFailed.connections)} that failed`);
  if (lostBy.neverArrived > 0) parts.push(`${formatCount(lostBy.neverArrived)} never arrived on a live connection`);
  return parts.join('; ');
}

/** Connections the server cut during the window (0 in older files). */
export const serverCutConnections = (integrity: Integrity): number => integrity.lostBy?.serverCut.connections ?? 0;


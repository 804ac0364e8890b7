/**
 * The terminal summary's table for connections-axis capacity searches (--capacity-axis connections):
 * the most concurrent connections each transport held within the SLO at a fixed rate per
 * connection, counted in connections rather than deliveries/s. Empty for files without one, so
 * older summaries read as before; rate-axis searches stay in terminal.ts's capacity table.
 */
import type { CapacityResult, ResultsFile } from '../metrics/result-types.ts';
import { TRANSPORTS } from '../scenarios/constants.ts';
import { connectionRateText, connectionsOutcomeText, cpuColumnText, limitName, onConnectionsAxis } from './capacity-words.ts';
import { MISSING, formatCount, formatMs } from './format.ts';
import { INDENT, renderTable, type Cell, type Column, type Paint } from './text-table.ts';

const sloText = (slo: CapacityResult['slo']): string => `p99 <= ${slo.p99Ms} ms, loss <= ${slo.maxLoss}`;

function outcomeCell(result: CapacityResult): Cell {
  const text = connectionsOutcomeText(result);
  if (result.stopReason === 'client-bound') return { text, style: 'yellow' };
  if (result.stopReason === 'all-steps-passed') return { text, style: 'green' };
  if (result.stopReason === 'interrupted' || result.stopReason === 'failed') return { text, style: 'red' };
  return { text };
}

export function connectionCapacityLines(results: ResultsFile, paint: Paint): string[] {
  const searches = results.capacity
    .filter(onConnectionsAxis)
    .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.encoding.localeCompare(b.encoding) || TRANSPORTS.indexOf(a.transport) - TRANSPORTS.indexOf(b.transport));
  if (searches.length === 0) return [];
  const slos = new Set(searches.map((c) => sloText(c.slo)));
  const sharedSlo = slos.size === 1 ? [...slos][0] : undefined;
  const withLimit = searches.some((c) => c.broke?.limit !== undefined);
  const columns: (Column<CapacityResult> | null)[] = [
    { header: 'transport', align: 'left', cell: (c) => c.transport },
    { header: 'scenario', align: 'left', cell: (c) => c.scenario },
    { header: 'encoding', align: 'left', cell: (c) => c.encoding },
    sharedSlo === undefined ? { header: 'SLO', align: 'left', cell: (c) => sloText(c.slo) } : null,
    { header: 'rate/conn', align: 'right', cell: (c) => formatCount(c.connectionRate) },
    { header: 'connections', align: 'right', cell: (c) => formatCount(c.sustained?.connectionCount) },
    { header: 'deliv/s', align: 'right', cell: (c) => formatCount(c.sustained?.deliveriesPerSec) },
    { header: 'p99', align: 'right', cell: (c) => formatMs(c.sustained?.latencyP99Ms) },
    withLimit ? { header: 'limit', align: 'left', cell: (c) => limitName(c) ?? MISSING } : null,
    withLimit ? { header: 'CPU server/client/machine', align: 'right', cell: (c) => (c.broke?.limit === undefined ? MISSING : cpuColumnText(c.broke.limit)) } : null,
    { header: 'outcome', align: 'left', cell: outcomeCell },
  ];
  const rates = [...new Set(searches.map(connectionRateText))].join('; ');
  return [
    paint(sharedSlo === undefined ? 'Capacity in connections' : `Capacity in connections (SLO: ${sharedSlo})`, 'bold'),
    ...renderTable(
      columns.filter((column): column is Column<CapacityResult> => column !== null),
      searches,
      paint,
    ),
    '',
    `${INDENT}connections: the most concurrent connections a step held within the SLO, at rate/conn (${rates}); deliv/s and p99: that step's`,
    `${INDENT}each step ran on a fresh server with every connection opened anew; a connection that failed to open broke its step`,
    `${INDENT}the count doubled while steps held (halved while they broke), then was bisected to the resolution; limit and CPU: at the count that broke`,
  ];
}

/**
 * The report's "Capacity in connections" section (--capacity-axis connections): per transport, the
 * most concurrent connections held within the SLO at a fixed rate per connection, where the count
 * broke and why, and what ran out there with each one's CPU beside it. Counted in connections, not
 * deliveries/s. Absent from files without such a search.
 */
import type { CapacityResult, ResultsFile } from '../../../metrics/result-types.ts';
import { connectionRateText, connectionsOutcomeText, limitText, onConnectionsAxis, precisionText } from '../../capacity-words.ts';
import { MISSING, formatCount, formatMs } from '../../format.ts';
import { escapeHtml, renderTable } from '../html.ts';
import type { DataTable } from '../types.ts';

export const CONNECTION_CAPACITY_SECTION_ID = 'capacity-connections';
export const CONNECTION_CAPACITY_TITLE = 'Capacity in connections';

const count = (value: number | undefined): string => (value === undefined ? MISSING : formatCount(value));

export function connectionCapacityTable(searches: CapacityResult[]): DataTable {
  return {
    caption: 'the most connections a step held within the SLO, and the count that broke it; each step on a fresh server, every connection opened anew',
    columns: ['transport', 'scenario', 'encoding', 'rate per connection', 'connections held', 'deliveries/s', 'p99 (ms)', 'broke at (connections)', 'outcome', 'limit', 'precision'],
    rows: searches.map((c) => [
      c.transport,
      c.scenario,
      c.encoding,
      connectionRateText(c),
      count(c.sustained?.connectionCount),
      c.sustained === null ? MISSING : formatCount(c.sustained.deliveriesPerSec),
      c.sustained === null ? MISSING : formatMs(c.sustained.latencyP99Ms),
      count(c.broke?.connectionCount),
      connectionsOutcomeText(c),
      limitText(c) ?? MISSING,
      precisionText(c) ?? MISSING,
    ]),
  };
}

/** The section, or '' when the file has no connections-axis search. */
export function renderConnectionCapacity(results: ResultsFile): string {
  const searches = results.capacity.filter(onConnectionsAxis);
  if (searches.length === 0) return '';
  const slos = [...new Set(searches.map((c) => `p99 ≤ ${formatMs(c.slo.p99Ms)} ms, ${c.slo.maxLoss === 0 ? 'no loss' : `loss ≤ ${formatCount(c.slo.maxLoss)}`}`))].join('; ');
  return [
    `<section id="${CONNECTION_CAPACITY_SECTION_ID}">`,
    `<h2>${escapeHtml(CONNECTION_CAPACITY_TITLE)}</h2>`,
    `<p class="lede">${escapeHtml(
      `How many concurrent connections each transport holds within the SLO (${slos}) at a fixed rate per connection. ` +
        'The count doubled while steps held, halved while they broke, then was bisected between the most that held and the fewest that broke. ' +
        'Each step started a fresh server and opened every connection anew, spread over the load workers; a connection that failed to open broke its step.',
    )}</p>`,
    renderTable(connectionCapacityTable(searches), { className: 'capacity-connections' }),
    '</section>',
  ].join('\n');
}

/**
 * The report's "Reconnect (browser clients)" section: the server cut every connection at once and
 * the pages came back; a row per transport, the reading and the caveats. The figures are computed
 * by ../reconnect.ts. Absent from files with no browser run at all (they could not have one).
 */
import type { ResultsFile } from '../../../metrics/result-types.ts';
import { badge, escapeHtml, flagBadge, renderTable } from '../html.ts';
import { reconnectView } from '../reconnect.ts';

export const RECONNECT_SECTION_ID = 'reconnect';
export const RECONNECT_TITLE = 'Reconnect (browser clients)';

/** The section, or '' when the file has neither a reconnect run nor any browser run. */
export function renderReconnect(results: ResultsFile): string {
  const view = reconnectView(results);
  if (view === null && !results.runs.some((run) => run.client === 'browser')) return '';
  const parts = [
    `<section id="${RECONNECT_SECTION_ID}">`,
    `<h2>${escapeHtml(RECONNECT_TITLE)}</h2>`,
    '<p class="lede">During a fixed-load window the server cut every connection at once (POST /drop), as a network failure would. ' +
      'Each page then came back the way its transport does (page code for WebSocket and long-poll, the browser itself for EventSource) ' +
      'and resumed from its position.</p>',
  ];
  if (view === null) {
    parts.push(`<p class="missing-reason">${badge('not measured', 'muted')} no reconnect run in this results file</p>`, '</section>');
    return parts.join('\n');
  }
  parts.push(
    `<p class="scenario-load">${escapeHtml(view.load)}</p>`,
    `<p class="reading">${escapeHtml(view.reading)}</p>`,
    view.flags.length === 0 ? '' : `<ul class="flags">${view.flags.map((flag) => `<li>${flagBadge(flag)}</li>`).join('')}</ul>`,
    renderTable(view.table, { className: 'reconnect' }),
    '</section>',
  );
  return parts.filter((part) => part !== '').join('\n');
}

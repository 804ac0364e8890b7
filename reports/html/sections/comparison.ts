/**
 * The report's "WebSocket vs SSE vs long polling" section: the seed notes' claims as a table
 * (rows = features, columns = transports), each cell with this run's evidence. The rows are
 * computed by ../comparison.ts; this module only renders them.
 */
import { TRANSPORTS } from '../../../scenarios/constants.ts';
import { badge, escapeHtml } from '../html.ts';
import type { ComparisonRow } from '../types.ts';
import { transportLabel } from './labels.ts';

/** The seed notes' claims (rows = features, columns = transports), each with this run's evidence. */
export function renderComparison(rows: ComparisonRow[]): string {
  const parts = [
    '<section id="comparison">',
    '<h2>WebSocket vs SSE vs long polling</h2>',
    '<p class="lede">The usual claims about each transport, and under each claim what this run measured for it. ' +
      'Claims this run could not check are marked "not measured in this run".</p>',
  ];
  if (rows.length === 0) {
    parts.push('<p class="muted">No comparison rows were computed.</p>', '</section>');
    return parts.join('\n');
  }
  const head =
    '<tr><th scope="col">Feature</th>' +
    TRANSPORTS.map((transport) => `<th scope="col">${escapeHtml(transportLabel(transport))} <span class="muted small">(${escapeHtml(transport)})</span></th>`).join('') +
    '</tr>';
  const body = rows.map((row) => {
    const cells = TRANSPORTS.map((transport) => {
      const cell = row.cells[transport];
      if (cell === undefined) return `<td class="not-measured">${badge('not measured in this run', 'muted')}</td>`;
      const measured = cell.support === 'measured';
      if (measured) {
        return `<td class="measured"><div class="claim">${escapeHtml(cell.claim)}</div><div class="evidence">${escapeHtml(cell.evidence)}</div></td>`;
      }
      // The badge says "not measured in this run"; keep only what the evidence adds to it.
      const rest = cell.evidence.trim().replace(/^not measured in this run\.?\s*/i, '');
      const why = rest === '' ? '' : ` ${escapeHtml(rest)}`;
      return (
        `<td class="not-measured"><div class="claim">${escapeHtml(cell.claim)}</div>` +
        `<div class="evidence">${badge('not measured in this run', 'muted')}${why}</div></td>`
      );
    });
    return `<tr><th scope="row">${escapeHtml(row.feature)}</th>${cells.join('')}</tr>`;
  });
  parts.push(
    '<div class="table-wrap"><table class="comparison"><caption>Claim (above) and this run\'s evidence (below), per transport</caption>\n' +
      `<thead>${head}</thead>\n<tbody>\n${body.join('\n')}\n</tbody></table></div>`,
    '</section>',
  );
  return parts.join('\n');
}

/**
 * The report's "Browser connection limit" section: Chromium's limit of HTTP/1.1 connections per
 * origin, shown with streams opened at once (results.findings), each stream's open time, and why
 * the lab spreads its browser clients over several ports. Absent from files with no browser run
 * and no finding.
 */
import type { ConnectionLimitFinding, ResultsFile } from '../../../metrics/result-types.ts';
import { LAB_REMEDY, connectionLimitFindings, connectionLimitSentence, openedAtOnce } from '../../connection-limit.ts';
import { formatMs } from '../../format.ts';
import { badge, escapeHtml, renderTable } from '../html.ts';
import type { DataTable } from '../types.ts';

export const CONNECTION_LIMIT_SECTION_ID = 'connection-limit';
export const CONNECTION_LIMIT_TITLE = 'Browser connection limit';

/** One row per stream, in creation order: when it opened, and whether it had to wait. */
export function streamTable(finding: ConnectionLimitFinding): DataTable {
  return {
    caption: `${finding.transport}: each stream to one origin, in creation order; opened at once = within the lab's wait of ${formatMs(finding.waitMs)} ms`,
    columns: ['stream', 'opened after (ms)', 'status'],
    rows: finding.openMs.map((ms, i) => [
      String(i + 1),
      ms === null ? 'never opened' : formatMs(ms),
      ms === null ? 'never opened' : openedAtOnce(ms, finding.waitMs) ? 'opened at once' : 'waited for a free connection',
    ]),
  };
}

/** The section, or '' when the file has neither a finding nor any browser run. */
export function renderConnectionLimit(results: ResultsFile): string {
  const findings = connectionLimitFindings(results);
  if (findings.length === 0 && !results.runs.some((run) => run.client === 'browser')) return '';
  const parts = [
    `<section id="${CONNECTION_LIMIT_SECTION_ID}">`,
    `<h2>${escapeHtml(CONNECTION_LIMIT_TITLE)}</h2>`,
    '<p class="lede">A measured fact about the browser rather than a run: how many streams Chromium opens to one origin (host:port) at once, ' +
      'since an SSE stream or a waiting long poll holds an HTTP/1.1 connection for as long as it is open.</p>',
  ];
  if (findings.length === 0) {
    parts.push(`<p class="missing-reason">${badge('not measured', 'muted')} no connection-limit finding in this results file</p>`, '</section>');
    return parts.join('\n');
  }
  for (const finding of findings) {
    parts.push(`<p class="reading">${escapeHtml(connectionLimitSentence(finding))}</p>`, renderTable(streamTable(finding), { className: 'streams' }));
  }
  parts.push(`<p>${escapeHtml(LAB_REMEDY)}</p>`, '</section>');
  return parts.join('\n');
}

/**
 * The parts of the terminal summary that only browser clients produce: the reconnect runs (the
 * server cut every connection; how the pages came back) and Chromium's connections-per-origin
 * finding. Each is empty for files without them, so older summaries read as before.
 */
import type { ResultsFile } from '../metrics/result-types.ts';
import { LAB_REMEDY, connectionLimitFindings, connectionLimitSentence } from './connection-limit.ts';
import { MISSING, formatCount, formatMs } from './format.ts';
import { attemptsText, hasReconnectFigures, reconnectRuns, sawDropCaveat, type ReconnectRun } from './reconnect-words.ts';
import { INDENT, renderTable, type Cell, type Column, type Paint } from './text-table.ts';

const countCell = (value: number, bad: boolean): Cell => (bad && value > 0 ? { text: formatCount(value), style: 'red' } : { text: formatCount(value) });

/** Per reconnect run: who saw the drop, how soon pages reopened and messages resumed, what was missed. */
export function reconnectLines(results: ResultsFile, paint: Paint): string[] {
  const all = reconnectRuns(results);
  if (all.length === 0) return [];
  const runs = all.filter(hasReconnectFigures);
  const varies = (key: (run: ReconnectRun) => string): boolean => new Set(runs.map(key)).size > 1;
  const scenario = varies((r) => r.scenario);
  const encoding = varies((r) => r.encoding);
  const columns: Column<ReconnectRun>[] = [
    { header: 'transport', align: 'left', cell: (r) => [r.transport, scenario ? r.scenario : '', encoding ? r.encoding : ''].filter(Boolean).join(' ') },
    { header: 'clients', align: 'right', cell: (r) => formatCount(r.reconnect.clients) },
    { header: 'saw drop', align: 'right', cell: (r) => formatCount(r.reconnect.sawDisconnect) },
    { header: 'reopened', align: 'right', cell: (r) => formatCount(r.reconnect.reopened) },
    { header: 'reopen p50', align: 'right', cell: (r) => formatMs(r.reconnect.reopen?.p50) },
    { header: 'resume p50', align: 'right', cell: (r) => formatMs(r.reconnect.resume?.p50) },
    { header: 'resume p99', align: 'right', cell: (r) => formatMs(r.reconnect.resume?.p99) },
    { header: 'not resumed', align: 'right', cell: (r) => countCell(r.reconnect.notResumed, true) },
    { header: 'attempts', align: 'right', cell: attemptsText },
    { header: 'missed', align: 'right', cell: (r) => countCell(r.reconnect.missed, true) },
    { header: 'recovered', align: 'right', cell: (r) => formatCount(r.reconnect.recovered) },
    { header: 'dup', align: 'right', cell: (r) => (r.reconnect.duplicates > 0 ? { text: formatCount(r.reconnect.duplicates), style: 'yellow' } : formatCount(r.reconnect.duplicates)) },
  ];
  const lines = [paint('Reconnect (browser clients; the server cut every connection at once)', 'bold')];
  if (runs.length > 0) lines.push(...renderTable(columns, runs, paint), '');
  for (const run of runs) {
    const caveat = sawDropCaveat(run);
    if (caveat !== null) lines.push(`${INDENT}${run.transport}: ${caveat}`);
  }
  const without = all.filter((run) => !hasReconnectFigures(run));
  if (without.length > 0) lines.push(`${INDENT}no reconnect figures recorded: ${without.map((run) => run.id).join(', ')}`);
  lines.push(
    `${INDENT}reopen: page noticed the loss -> open again, ms; resume: drop -> first message published after it, ms (the outage a user sees); ${MISSING} : not measured`,
    `${INDENT}attempts: reconnects by page code ("not counted": the EventSource retries by itself); missed/recovered: published before the reopen, lost / delivered through the resume`,
  );
  return lines;
}

/** One line per connections-per-origin finding, and why the lab spreads browser clients over ports. */
export function findingLines(results: ResultsFile, paint: Paint): string[] {
  const findings = connectionLimitFindings(results);
  if (findings.length === 0) return [];
  return [...findings.map((finding) => `${paint('Finding:', 'bold')} ${connectionLimitSentence(finding)}`), `${INDENT}${LAB_REMEDY}`];
}

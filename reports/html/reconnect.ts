/**
 * The reconnect runs (browser clients; the server cut every connection during the window) as the
 * report shows them: a row per run, a reading computed from the figures, caveats, the loads, and
 * the evidence for the comparison table's "Auto-reconnect" row (pure).
 */
import type { TransportName } from '../../scenarios/constants.ts';
import type { ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { attemptsText, hasReconnectFigures, reconnectRuns, sawDropCaveat, type ReconnectRun } from '../reconnect-words.ts';
import { formatCount, formatMs } from '../format.ts';
import { NOT_MEASURED, compareRuns, formatRatio, joinWords, runFlags, runName } from './charts/chart-kit.ts';
import type { DataTable } from './types.ts';
import { scenarioOf } from '../../scenarios/registry.ts';

export interface ReconnectView {
  /** The runs' loads and when the drop came, in words. */
  load: string;
  reading: string;
  flags: string[];
  table: DataTable;
}

/** "ws", or "ws feed binary" when the runs differ in scenario or encoding. */
function labels(runs: RunRecord[]): string[] {
  const varies = (key: (run: RunRecord) => string): boolean => new Set(runs.map(key)).size > 1;
  const scenario = varies((r) => r.scenario);
  const encoding = varies((r) => r.encoding);
  return runs.map((run) => [run.transport, scenario ? run.scenario : '', encoding ? run.encoding : ''].filter(Boolean).join(' '));
}

const ms = (value: number): string => `${formatMs(value)} ms`;

/** "feed json, 100 browser clients, 100 msg/s per topic; every connection cut 1,000 ms into a 10 s window". */
function loadOf(run: RunRecord): string {
  const rate =
    scenarioOf(run.scenario).pace === 'senders'
      ? `${formatCount(run.load.sendRatePerMember)} msg/s sent per member`
      : `${formatCount(run.load.publishRatePerSec)} msg/s per topic`;
  const drop = run.reconnect === undefined ? '' : `; every connection cut ${ms(run.reconnect.dropAtMs)} into a ${formatMs(run.load.durationMs / 1000)} s window`;
  return `${run.scenario} ${run.encoding}, ${formatCount(run.load.connections)} browser clients, ${rate}${drop}`;
}

function resumeClause(entries: { label: string; run: ReconnectRun }[]): string | null {
  const ranked = entries
    .filter((entry) => entry.run.reconnect.resume !== null)
    .sort((a, b) => (a.run.reconnect.resume?.p99 ?? 0) - (b.run.reconnect.resume?.p99 ?? 0));
  const best = ranked[0];
  if (best === undefined) return entries.length > 0 ? 'No client received a message published after the drop before the run was collected' : null;
  const resume = best.run.reconnect.resume as NonNullable<ReconnectRun['reconnect']['resume']>;
  let text =
    ranked.length === 1
      ? `Messages reached ${best.label} clients again p50 ${ms(resume.p50)} and p99 ${ms(resume.p99)} after the drop`
      : `Messages flowed again soonest over ${best.label}: p50 ${ms(resume.p50)} and p99 ${ms(resume.p99)} after the drop`;
  const others = ranked.slice(1).map((entry) => {
    const p99 = entry.run.reconnect.resume?.p99 ?? 0;
    return `${entry.label} p99 ${ms(p99)}${resume.p99 > 0 ? ` (${formatRatio(p99 / resume.p99)})` : ''}`;
  });
  if (others.length > 0) text += `; ${joinWords(others)}`;
  return text;
}

function lossClause(entries: { label: string; run: ReconnectRun }[]): string | null {
  if (entries.length === 0) return null;
  const list = (pick: (run: ReconnectRun) => number): string[] =>
    entries.filter((entry) => pick(entry.run) > 0).map((entry) => `${entry.label} ${formatCount(pick(entry.run))}`);
  const missed = list((run) => run.reconnect.missed);
  const recovered = list((run) => run.reconnect.recovered);
  const duplicates = list((run) => run.reconnect.duplicates);
  const parts: string[] = [];
  parts.push(missed.length === 0 ? 'No message published before the reopen was missed' : `Messages published before the reopen were missed: ${joinWords(missed)}`);
  if (recovered.length > 0) parts.push(`the resume recovered ${joinWords(recovered)}`);
  parts.push(duplicates.length === 0 ? 'none arrived twice' : `duplicates: ${joinWords(duplicates)}`);
  return parts.join('; ');
}

/** The reconnect runs as the section shows them, or null when the file has none. */
export function reconnectView(results: ResultsFile): ReconnectView | null {
  const runs = reconnectRuns(results).sort(compareRuns);
  if (runs.length === 0) return null;
  const names = labels(runs);
  const entries = runs.flatMap((run, i) => (hasReconnectFigures(run) ? [{ label: names[i] ?? run.transport, run }] : []));

  const sentences = [resumeClause(entries), lossClause(entries)];
  for (const { label, run } of entries) {
    if (run.reconnect.notResumed > 0) {
      sentences.push(`${formatCount(run.reconnect.notResumed)} of ${formatCount(run.reconnect.clients)} ${label} clients had not resumed when the run was collected`);
    }
    const caveat = sawDropCaveat(run);
    if (caveat !== null) sentences.push(`${label}: ${caveat}`);
  }
  const missing = runs.flatMap((run, i) => (hasReconnectFigures(run) ? [] : [names[i] ?? run.transport]));
  if (missing.length > 0) sentences.push(`No reconnect figures were recorded for ${joinWords(missing)}`);
  const reading = sentences
    .filter((sentence): sentence is string => sentence !== null)
    .map((sentence) => `${sentence}.`)
    .join(' ');

  const flags = runFlags(runs);
  for (const run of runs) if (!hasReconnectFigures(run)) flags.push(`${runName(run)}: no reconnect figures recorded (interrupted before they were collected?)`);

  const row = (run: RunRecord, label: string): string[] => {
    if (!hasReconnectFigures(run)) return [label, formatCount(run.load.connections), ...Array<string>(13).fill(NOT_MEASURED)];
    const r = run.reconnect;
    const reopen = (value: number | undefined): string =>
      value !== undefined ? formatMs(value) : r.sawDisconnect === 0 ? 'no page saw the drop' : NOT_MEASURED;
    const resume = (value: number | undefined): string => (value !== undefined ? formatMs(value) : r.notResumed >= r.clients ? 'none resumed' : NOT_MEASURED);
    return [
      label,
      formatCount(r.clients),
      formatMs(r.dropAtMs),
      formatCount(r.droppedConnections),
      formatCount(r.sawDisconnect),
      formatCount(r.reopened),
      reopen(r.reopen?.p50),
      reopen(r.reopen?.p99),
      resume(r.resume?.p50),
      resume(r.resume?.p99),
      formatCount(r.notResumed),
      attemptsText(run),
      formatCount(r.missed),
      formatCount(r.recovered),
      formatCount(r.duplicates),
    ];
  };

  return {
    load: `Load: ${[...new Set(runs.map(loadOf))].join(' / ')}.`,
    reading,
    flags: [...new Set(flags)],
    table: {
      caption:
        'Reconnect runs (browser clients): the server cut every connection at once (POST /drop). ' +
        'reopen: from the page noticing the loss to its transport open again; resume: from the drop to the first message published after it, the outage as a user sees it. ' +
        'attempts: reconnects made by page code (WebSocket and long-poll back off as the seed notes do); "not counted": the EventSource reconnects by itself, out of sight of page code. ' +
        'missed: published before the reopen and never arrived; recovered: published before the reopen and delivered after it through the resume (cursor, Last-Event-ID).',
      columns: [
        'transport',
        'clients',
        'drop at (ms into the window)',
        'connections cut',
        'saw the drop',
        'reopened',
        'reopen p50 (ms)',
        'reopen p99 (ms)',
        'resume p50 (ms)',
        'resume p99 (ms)',
        'not resumed',
        'reconnect attempts',
        'missed',
        'recovered',
        'duplicates',
      ],
      rows: runs.map((run, i) => row(run, names[i] ?? run.transport)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The comparison table's "Auto-reconnect" row.

/** Who brought the connection back, in the transport's terms. */
const WHO: Record<TransportName, string> = {
  ws: 'page code reopened the WebSocket',
  sse: 'the EventSource reconnected by itself',
  'long-poll': 'page code polled again',
};

/** The reconnect run a transport's evidence uses: feed before chat, json before binary, complete first. */
export function reconnectRunOf(results: ResultsFile, transport: TransportName): ReconnectRun | null {
  const runs = reconnectRuns(results)
    .filter((run): run is ReconnectRun => run.transport === transport && hasReconnectFigures(run))
    .sort(compareRuns);
  return runs.find((run) => run.complete) ?? runs[0] ?? null;
}

/** "browser, feed (json), 100 clients: 100 of 100 pages saw the server cut every connection, ...". */
export function reconnectEvidence(run: ReconnectRun): string {
  const r = run.reconnect;
  const attempts = attemptsText(run);
  const who =
    attempts === 'not counted' ? WHO[run.transport] : r.attempts === 0 ? 'no reconnect attempt by page code' : `${WHO[run.transport]} (${attempts} attempts)`;
  const parts = [
    `browser, ${run.scenario} (${run.encoding}), ${formatCount(r.clients)} clients: ${formatCount(r.sawDisconnect)} of ${formatCount(r.clients)} pages saw the server cut every connection, ${formatCount(r.reopened)} reopened` +
      (r.reopen === null ? '' : ` (p50 ${ms(r.reopen.p50)})`),
    who,
    r.resume === null ? 'no message resumed before the run was collected' : `messages resumed p99 ${ms(r.resume.p99)} after the drop`,
    `${formatCount(r.missed)} missed, ${formatCount(r.recovered)} recovered, ${formatCount(r.duplicates)} duplicates`,
  ];
  const caveat =
    run.transport === 'long-poll' && r.sawDisconnect < r.clients ? ' (Chromium retries a dropped idle poll by itself, so a page may not notice the drop)' : '';
  return `${parts.join('; ')}${caveat}`;
}

/**
 * The report's "Environment" section: the machine, the software, the time, how quiet the machine
 * was, whether the processes' clocks agreed, the resolved configuration and the notices (pure).
 */
import { isNoisyCores } from '../../../metrics/noisy-machine.ts';
import type { ResultsFile, RunRecord } from '../../../metrics/result-types.ts';
import { formatBytes, formatCount } from '../../format.ts';
import { badge, escapeHtml, renderKeyValueTable, renderTable } from '../html.ts';

/** "2026-11-22T07:27:48.539Z" -> "2026-11-22 07:27:48 UTC"; anything else is shown as given. */
export function formatTimestamp(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

/** "2026-11-22 07:27 UTC": the report's date line. */
export function formatDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

/** Seconds between two ISO times as "28 s" or "4 min 12 s"; null when either is unreadable. */
export function formatElapsed(startIso: string, endIso: string): string | null {
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return null;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "0d2a72c" (+ "+dirty"), or "unknown". */
export function shortCommit(results: ResultsFile): string {
  const { gitCommit, gitDirty } = results.environment;
  if (gitCommit === null) return 'unknown';
  return gitCommit.slice(0, 7) + (gitDirty ? '+dirty' : '');
}

// The comparison model reads the profile too, and must not depend on the HTML layer: it owns profileOf.
export { profileOf } from '../../gate/like-for-like.ts';

/** How a configuration value reads in a table cell. */
function configValue(value: unknown): string {
  if (value === null) return 'none';
  if (value === undefined) return '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '(empty)';
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return value.map((item) => (typeof item === 'number' ? formatNumber(item) : String(item))).join(', ');
    }
    return JSON.stringify(value);
  }
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const formatNumber = (value: number): string => (Number.isInteger(value) ? formatCount(value) : String(value));

/** Nested configuration as dotted keys: { feed: { subscribers: 200 } } -> [["feed.subscribers", 200]]. */
export function flattenConfig(config: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(config)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      entries.push(...flattenConfig(value as Record<string, unknown>, path));
    } else {
      entries.push([path, value]);
    }
  }
  return entries;
}

function clockHtml(results: ResultsFile): string {
  const clock = results.clock;
  if (clock === null) return `not performed ${badge('not measured', 'muted')}`;
  const verdict = clock.agreed ? badge('agreed', 'good') : badge('⚠ clocks disagree', 'bad');
  const processes = `${formatCount(clock.samples.length)} ${clock.samples.length === 1 ? 'process' : 'processes'}`;
  const consequence = clock.agreed
    ? ''
    : `<br><span class="small">Latencies measured across processes may be off by up to this much.</span>`;
  return `max |offset| ${escapeHtml(formatCount(clock.maxAbsOffsetUs))} µs over ${escapeHtml(processes)} ${verdict}${consequence}`;
}

function clockSamples(results: ResultsFile): string {
  const clock = results.clock;
  if (clock === null || clock.samples.length === 0) return '';
  const table = renderTable({
    caption: 'Clock offsets from the coordinator',
    columns: ['Process', 'Offset (µs)', '± uncertainty (µs)'],
    rows: clock.samples.map((sample) => [sample.process, formatCount(sample.offsetUs), formatCount(sample.uncertaintyUs)]),
  });
  return `<details><summary>Clock offsets of each process (${escapeHtml(formatCount(clock.samples.length))})</summary>${table}</details>`;
}

function otherLoadHtml(otherCpuCores: number | null): string {
  if (otherCpuCores === null) return `not measured ${badge('not measured', 'muted')}`;
  const text = `${otherCpuCores.toFixed(2)} cores busy outside the lab (average over the measured windows)`;
  return escapeHtml(text) + (isNoisyCores(otherCpuCores) ? ` ${badge('⚠ noisy machine', 'warn')}` : '');
}

function commitHtml(results: ResultsFile): string {
  const { gitCommit, gitDirty } = results.environment;
  if (gitCommit === null) return 'unknown (not a git checkout)';
  const state =
    gitDirty === true
      ? ` ${badge('dirty: uncommitted changes', 'warn')}`
      : gitDirty === false
        ? ' <span class="muted">(clean)</span>'
        : '';
  return `<code>${escapeHtml(gitCommit)}</code>${state}`;
}

function runNotes(runs: RunRecord[]): string {
  const noted = runs.filter((run) => run.notes.length > 0 || run.clientBoundReasons.length > 0);
  if (noted.length === 0) return '';
  const rows = noted.map((run) => {
    const reasons = run.clientBoundReasons.map((reason) => `client-bound: ${reason}`);
    return [run.id, [...reasons, ...run.notes].join('; ')];
  });
  return `<h3>Notes recorded by runs</h3>${renderTable({ caption: '', columns: ['Run', 'Notes'], rows })}`;
}

/** The whole "Environment" section. */
export function renderEnvironment(results: ResultsFile): string {
  const env = results.environment;
  const finished =
    env.finishedAt === null ? `did not finish ${badge('incomplete', 'bad')}` : escapeHtml(formatTimestamp(env.finishedAt));
  const elapsed = env.finishedAt === null ? null : formatElapsed(env.startedAt, env.finishedAt);
  const rows: [string, string][] = [
    ['Machine', `${escapeHtml(env.cpuModel)} × ${escapeHtml(formatCount(env.cpuCount))} ${env.cpuCount === 1 ? 'CPU' : 'CPUs'}`],
    ['Memory', escapeHtml(formatBytes(env.totalMemoryBytes))],
    ['OS', `${escapeHtml(env.platform)} ${escapeHtml(env.osRelease)} (${escapeHtml(env.arch)})`],
    ['Hostname', escapeHtml(env.hostname)],
    ['Node', escapeHtml(env.node)],
    ['Lab version', escapeHtml(env.labVersion)],
    ['Commit', commitHtml(results)],
    ['Started', escapeHtml(formatTimestamp(env.startedAt))],
    ['Finished', finished + (elapsed === null ? '' : ` <span class="muted">(${escapeHtml(elapsed)})</span>`)],
    ['Results', results.complete ? 'complete' : `${badge('INCOMPLETE', 'bad')} ${escapeHtml(results.interruption ?? 'no reason recorded')}`],
    ['Other CPU load', otherLoadHtml(env.otherCpuCores)],
    ['Clock check', clockHtml(results)],
  ];

  const config = flattenConfig(results.config);
  const configTable =
    config.length === 0
      ? '<p class="muted">No configuration recorded.</p>'
      : renderTable(
          { caption: '', columns: ['Setting', 'Value'], rows: config.map(([key, value]) => [key, configValue(value)]) },
          { className: 'config' },
        );
  const configJson = `<details><summary>Configuration as JSON</summary><pre>${escapeHtml(JSON.stringify(results.config, null, 2))}</pre></details>`;

  const notices =
    results.notices.length === 0
      ? '<p class="muted">No notices.</p>'
      : `<ul class="notices">${results.notices.map((notice) => `<li>${escapeHtml(notice)}</li>`).join('')}</ul>`;

  return [
    '<section id="environment">',
    '<h2>Environment</h2>',
    '<p class="lede">Where and how these figures were measured. Figures from different machines, Node versions or profiles are not directly comparable.</p>',
    renderKeyValueTable(rows, 'Machine and run'),
    clockSamples(results),
    '<h3>Configuration</h3>',
    configTable,
    configJson,
    runNotes(results.runs),
    '<h3>Notices</h3>',
    notices,
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

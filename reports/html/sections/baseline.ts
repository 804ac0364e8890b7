/**
 * The report's "Baseline" section: this run's figures beside a baseline's, judged exactly as the
 * CI gate judges them (reports/gate/gate.ts, the same code as `npm run compare` and
 * `npm run bench:ci`): per figure both medians, the ratio head / base, Mann-Whitney's 95 %
 * interval for it, the threshold, the smallest change the runs could have flagged, and the
 * verdict in words and symbols, never colour alone. It decides nothing itself.
 */
import type { ResultsFile } from '../../../metrics/result-types.ts';
import type { FigureUnit } from '../../compare/figures.ts';
import { gate, ALPHA, ALPHA_COMBINED, MIN_RUNS_PER_SIDE, type GateFigure, type GateReport, type GateVerdict, type MissingBenchmark } from '../../gate/gate.ts';
import { formatBytes, formatCount, formatMs } from '../../format.ts';
import type { BaselineInput } from '../types.ts';
import { formatTimestamp, profileOf, shortCommit } from './environment.ts';
import { escapeHtml } from '../html.ts';

const MINUS = '−';

/** "+12.3%" / "−4.0%" / "0.0%", from a percentage. */
export function formatPercent(value: number): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  const text = Math.abs(rounded).toFixed(Math.abs(rounded) >= 100 ? 0 : 1);
  return `${rounded > 0 ? '+' : rounded < 0 ? MINUS : ''}${text}%`;
}

/** A figure with its unit. */
export function formatFigure(value: number, unit: FigureUnit): string {
  switch (unit) {
    case 'per-second':
      return `${formatCount(value)}/s`;
    case 'ms':
      return `${formatMs(value)} ms`;
    case 'us':
      return `${formatMs(value)} µs`;
    case 'bytes':
      return Math.abs(value) < 1024 ? `${formatMs(value)} B` : formatBytes(value);
    case 'count':
      return formatCount(value);
  }
}

/** The verdict as words and a symbol: "regression ▼", "improvement ▲", "no change ≈", "inconclusive ?". */
export function verdictText(verdict: GateVerdict): string {
  switch (verdict) {
    case 'regression':
      return 'regression ▼';
    case 'improvement':
      return 'improvement ▲';
    case 'no change':
      return 'no change ≈';
    case 'inconclusive':
      return 'inconclusive ?';
  }
}

const VERDICT_CLASS: Record<GateVerdict, string> = { regression: 'change change-worse', improvement: 'change change-better', 'no change': 'change change-same', inconclusive: 'change change-same' };

/** A side's median, with its runs' range when there are several: "1.2 ms<br>1.1–1.4, 5 runs". */
function sideCell(median: number | null, values: readonly number[], unit: FigureUnit): string {
  if (median === null || !Number.isFinite(median)) return '<td class="num"><span class="muted">—</span></td>';
  const range =
    values.length < 2
      ? `${values.length} run`
      : `${formatFigure(Math.min(...values), unit)} to ${formatFigure(Math.max(...values), unit)}, ${formatCount(values.length)} runs`;
  return `<td class="num">${escapeHtml(formatFigure(median, unit))}<br><span class="muted small">${escapeHtml(range)}</span></td>`;
}

const ratioText = (value: number | null): string => (value === null ? '—' : value.toFixed(3));

/** A combined figure's two side cells: what it combines, in place of medians it has none of. */
function combinedCells(figure: GateFigure & { combines: string[] }): string {
  return `<td class="num" colspan="2">${escapeHtml(`${formatCount(figure.combines.length)} benchmarks: ${figure.combines.join(', ')}`)}<br><span class="muted small">ratio: the geometric mean of theirs</span></td>`;
}

function figureRow(figure: GateFigure): string {
  const change = figure.ratio === null ? '' : `<br><span class="muted small">${escapeHtml(formatPercent((figure.ratio - 1) * 100))}</span>`;
  const interval = figure.lower === null || figure.upper === null ? '—' : `${ratioText(figure.lower)} to ${ratioText(figure.upper)}`;
  const p = figure.p === null ? (figure.exact ? 'counted' : '—') : `p ${figure.p < 0.001 ? '< 0.001' : figure.p.toFixed(3)}`;
  const detectable = figure.detectable === null ? 'none' : formatPercent(figure.detectable * 100);
  const why = figure.reason === null ? '' : `<span class="muted small why">${escapeHtml(figure.reason)}</span>`;
  return (
    `<tr><th scope="row"><code>${escapeHtml(figure.name)}</code><br><span class="muted small">${escapeHtml(figure.label)} (${figure.better} is better)</span></th>` +
    (figure.combines === undefined ? sideCell(figure.headMedian, figure.head, figure.unit) + sideCell(figure.baseMedian, figure.base, figure.unit) : combinedCells({ ...figure, combines: figure.combines })) +
    `<td class="num">${escapeHtml(ratioText(figure.ratio))}${change}</td>` +
    `<td class="num">${escapeHtml(interval)}<br><span class="muted small">${escapeHtml(p)}</span></td>` +
    `<td class="num">${escapeHtml(formatPercent(figure.threshold * 100).replace(/^\+/, '±'))}</td>` +
    `<td class="num">${escapeHtml(detectable)}</td>` +
    `<td class="${VERDICT_CLASS[figure.verdict]}">${escapeHtml(verdictText(figure.verdict))}${why}</td></tr>`
  );
}

const COLUMNS =
  '<th scope="col">Figure</th><th scope="col" class="num">Current (median)</th><th scope="col" class="num">Baseline (median)</th>' +
  '<th scope="col" class="num">Current / baseline</th><th scope="col" class="num">95 % interval</th><th scope="col" class="num">Threshold</th>' +
  '<th scope="col" class="num">Smallest detectable</th><th scope="col">Verdict</th>';

function figureTable(figures: readonly GateFigure[]): string {
  if (figures.length === 0) return '';
  return (
    '<div class="table-wrap"><table class="baseline"><caption>Every compared figure, regressions first</caption>\n' +
    `<thead><tr>${COLUMNS}</tr></thead>\n<tbody>\n${figures.map(figureRow).join('\n')}\n</tbody></table></div>`
  );
}

function missingList(title: string, missing: readonly MissingBenchmark[], cls: string): string {
  if (missing.length === 0) return '';
  const items = missing.map(
    (entry) =>
      `<li><code>${escapeHtml(entry.benchmark)}</code>: complete in ${escapeHtml(formatCount(entry.base))} baseline and ${escapeHtml(formatCount(entry.head))} current runs` +
      `${entry.why.length === 0 ? '' : `: ${escapeHtml(entry.why.join('; '))}`}</li>`,
  );
  return `<div class="${cls}" role="note"><strong>${escapeHtml(title)}</strong><ul>${items.join('')}</ul></div>`;
}

function banner(title: string, items: readonly string[]): string {
  if (items.length === 0) return '';
  return `<div class="banner banner-warn" role="note"><strong>⚠ ${escapeHtml(title)}</strong><ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul></div>`;
}

function tally(report: GateReport): string {
  const count = (verdict: GateVerdict): number => report.figures.filter((figure) => figure.verdict === verdict).length;
  const parts = (['regression', 'improvement', 'no change', 'inconclusive'] as const).map((verdict) => `${formatCount(count(verdict))} ${verdictText(verdict)}`);
  if (report.failedInHead.length > 0) parts.unshift(`${formatCount(report.failedInHead.length)} failed in the current run`);
  return `<p class="tally"><b>${escapeHtml(formatCount(report.figures.length))} figures compared:</b> ${escapeHtml(parts.join(', '))}.</p>`;
}

/** The section for a gate report; `baseline` is the first file the current run was compared against. */
export function renderGateComparison(report: GateReport, baseline: ResultsFile): string {
  const env = baseline.environment;
  const fewest = Math.min(report.runs.base, report.runs.head);
  const parts: string[] = ['<section id="baseline">', '<h2>Baseline</h2>'];
  parts.push(
    `<p class="lede">${escapeHtml(formatCount(report.runs.head))} current run${report.runs.head === 1 ? '' : 's'} against ${escapeHtml(formatCount(report.runs.base))} baseline run${report.runs.base === 1 ? '' : 's'} ` +
      `of commit <code>${escapeHtml(shortCommit(baseline))}</code>, started ${escapeHtml(formatTimestamp(env.startedAt))}, profile ${escapeHtml(profileOf(baseline) ?? 'unknown')}. ` +
      'Judged as the CI gate judges (<code>npm run bench:ci</code>, <code>npm run compare</code>): one value per run and figure; the ratio of the medians, current / baseline; ' +
      `Mann-Whitney’s 95 % interval for it. A regression ▼ or an improvement ▲ is significant (p &lt; ${ALPHA}, the interval excludes 1), beyond its threshold and beyond the spread of each side’s own runs; ` +
      `the <code>all.*</code> figures combine one figure over every benchmark (van Elteren’s stratified test at p &lt; ${ALPHA_COMBINED}; the geometric mean of their ratios, with a bootstrap interval); ` +
      'no change ≈ has its whole interval within the threshold; anything else is inconclusive ?. ' +
      'Smallest detectable is the smallest change for the worse these runs could have flagged, at the spread they measured.</p>',
  );
  if (fewest < MIN_RUNS_PER_SIDE) {
    parts.push(
      `<div class="banner banner-warn" role="note"><strong>⚠ ${escapeHtml(formatCount(fewest))} run${fewest === 1 ? '' : 's'} on a side: no sampled figure can be judged</strong>` +
        `<p>A verdict needs at least ${MIN_RUNS_PER_SIDE} runs a side: one run’s own seconds miss what moves from run to run. ` +
        `Run both benches with <code>--repeat ${MIN_RUNS_PER_SIDE}</code>, or let <code>npm run bench:ci</code> run base and head side by side. Counted figures (bytes) are judged all the same.</p></div>`,
    );
  }
  parts.push(
    banner('Read with care', report.notes),
    missingList('Failed in the current run (a regression: the baseline completed these)', report.failedInHead, 'banner banner-bad'),
    tally(report),
    figureTable(report.figures),
    missingList('Not compared: measured on one side only, or incomplete in the baseline', report.unmatched, 'muted'),
    '</section>',
  );
  return parts.filter((part) => part !== '').join('\n');
}

/** The whole "Baseline" section: the current run (and any more head runs) compared with the baseline's files. */
export function renderBaseline(current: ResultsFile, baseline: BaselineInput): string {
  const head = baseline.head ?? [current];
  return renderGateComparison(gate(baseline.base, head, { thresholds: baseline.thresholds ?? [] }), baseline.base[0]);
}

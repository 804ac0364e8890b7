/**
 * The headline figures over repeats (--repeat N), pure: for each series of runs (the repeats of one
 * fixed run) and of capacity searches, each figure's median, min, max and every repeat's value; and
 * the one rule every renderer applies before naming a winner: two figures differ beyond noise only
 * when their ranges over the repeats do not overlap. results.json stores the summary (run-bench.ts),
 * and the terminal, the report and its verdicts read it from here, never computing their own.
 *
 * Why min-max and not a confidence interval: with the 2 to 5 repeats a bench affords, a t interval
 * of the mean is either very wide (12.7 x the standard error at 2) or rests on a normality nobody
 * checked; the range is what was seen, and two ranges that do not overlap mean every repeat of one
 * beat every repeat of the other. compare.ts (baseline against current run) keeps its own intervals.
 */
import type { CapacityResult, CapacitySeriesSpread, FigureSpread, RepeatSummary, ResultsFile, RunRecord, RunSeriesSpread, SeriesIdentity, Spread } from '../metrics/result-types.ts';
import { seriesOf } from '../metrics/repeat-id.ts';
import { RUN_FIGURES, type FigureDefinition } from './compare/figures.ts';
import { median } from '../metrics/median.ts';
import { usable } from './format.ts';

export type { FigureSpread, RepeatSummary, Spread } from '../metrics/result-types.ts';

/** The figures shown with their spread, by their id in compare/figures.ts, in the terminal's column order. */
export const HEADLINE_FIGURE_IDS = ['deliveries', 'latency-p50', 'latency-p99', 'rtt-p99', 'bytes', 'server-cpu', 'rss-per-connection', 'idle-rss-per-connection', 'client-cpu'] as const;
export type HeadlineFigureId = (typeof HEADLINE_FIGURE_IDS)[number];

const HEADLINE_FIGURES: readonly FigureDefinition[] = HEADLINE_FIGURE_IDS.map((id) => {
  const figure = RUN_FIGURES.find((candidate) => candidate.id === id);
  if (figure === undefined) throw new Error(`reports/compare/figures.ts defines no figure ${id}`);
  return figure;
});

/** Median, min, max over the values (in the order given); null for none. */
export function spreadOf(values: readonly number[]): Spread | null {
  const measured = values.filter((value) => usable(value));
  if (measured.length === 0) return null;
  return { n: measured.length, median: median(measured), min: Math.min(...measured), max: Math.max(...measured), values: [...measured] };
}

/** One value as a spread of one (no range). */
export const singleValue = (value: number): Spread => ({ n: 1, median: value, min: value, max: value, values: [value] });

/** The spread in another unit (bytes -> KB): every value times `factor`. */
export function scaleSpread(spread: Spread, factor: number): Spread {
  return { n: spread.n, median: spread.median * factor, min: spread.min * factor, max: spread.max * factor, values: spread.values.map((value) => value * factor) };
}

const identityOf = (item: { id: string } & Omit<SeriesIdentity, 'series'>): SeriesIdentity => ({
  series: seriesOf(item.id),
  transport: item.transport,
  scenario: item.scenario,
  client: item.client,
  encoding: item.encoding,
});

/** Items grouped by series, in the order each series first appears. */
function bySeries<T extends { id: string }>(items: readonly T[]): [T, ...T[]][] {
  const groups = new Map<string, [T, ...T[]]>();
  for (const item of items) {
    const series = seriesOf(item.id);
    const group = groups.get(series);
    if (group === undefined) groups.set(series, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

function runSeries(runs: [RunRecord, ...RunRecord[]]): RunSeriesSpread {
  // An interrupted repeat measured part of a window: its figures would widen the range for no reason of the server's.
  const complete = runs.filter((run) => run.complete);
  const used = complete.length > 0 ? complete : runs;
  const figures: FigureSpread[] = [];
  for (const figure of HEADLINE_FIGURES) {
    const spread = spreadOf(used.map((run) => figure.value(run)).filter(usable));
    if (spread !== null) figures.push({ id: figure.id, ...spread });
  }
  return { ...identityOf(runs[0]), kind: runs[0].kind, runIds: used.map((run) => run.id), figures };
}

function capacitySeries(results: [CapacityResult, ...CapacityResult[]]): CapacitySeriesSpread {
  const sustained = spreadOf(results.map((result) => result.sustained?.deliveriesPerSec ?? null).filter(usable));
  return { ...identityOf(results[0]), searchIds: results.map((result) => result.id), sustained };
}

/** The summary of a results file's repeats: fixed and reconnect runs (not capacity steps: their loads differ), and capacity searches. */
export function summarizeRepeats(results: ResultsFile): RepeatSummary {
  const configured = results.config['repeat'];
  const repeats = typeof configured === 'number' && Number.isInteger(configured) && configured >= 1 ? configured : 1;
  return {
    repeats,
    runs: bySeries(results.runs.filter((run) => run.kind !== 'capacity-step')).map(runSeries),
    capacity: bySeries(results.capacity).map(capacitySeries),
  };
}

/** Whether any repeat measured a series twice: only then do renderers show ranges. */
export function hasRepeats(summary: RepeatSummary): boolean {
  return summary.runs.some((series) => series.figures.some((figure) => figure.n > 1)) || summary.capacity.some((series) => (series.sustained?.n ?? 0) > 1);
}

/** The series a run or search belongs to. */
export function seriesSpreadOf(summary: RepeatSummary, item: { id: string }): RunSeriesSpread | undefined {
  const series = seriesOf(item.id);
  return summary.runs.find((entry) => entry.series === series);
}

export function capacitySpreadOf(summary: RepeatSummary, item: { id: string }): CapacitySeriesSpread | undefined {
  const series = seriesOf(item.id);
  return summary.capacity.find((entry) => entry.series === series);
}

export function figureSpread(series: RunSeriesSpread | undefined, id: HeadlineFigureId): FigureSpread | undefined {
  return series?.figures.find((figure) => figure.id === id);
}

/** "130k (124k–138k)" with n > 1; the median alone with one value. */
export function spreadText(spread: Spread, format: (value: number) => string): string {
  if (spread.n <= 1) return format(spread.median);
  return `${format(spread.median)} (${format(spread.min)}–${format(spread.max)})`;
}

/** Whether two ranges share any value (touching ends count: neither is beyond the other). */
export function rangesOverlap(a: Spread, b: Spread): boolean {
  return a.min <= b.max && b.min <= a.max;
}

/**
 * How two figures compare over their repeats, `best` being the one with the better median:
 * - separated: both were measured at least twice and their ranges do not overlap (every repeat of
 *   best beat every repeat of the other);
 * - overlapping: both were measured at least twice and the ranges overlap: a tie within noise;
 * - single run: one of them was measured once, so there is no spread to judge the gap against.
 * ratio: the ratio of the medians, the larger over the smaller (null when either is 0 or below).
 */
export type SpreadComparison = { kind: 'separated' | 'overlapping' | 'single run'; ratio: number | null };

export function compareSpreads(best: Spread, other: Spread): SpreadComparison {
  const [big, small] = [Math.max(best.median, other.median), Math.min(best.median, other.median)];
  const ratio = small > 0 ? big / small : null;
  if (best.n < 2 || other.n < 2) return { kind: 'single run', ratio };
  return { kind: rangesOverlap(best, other) ? 'overlapping' : 'separated', ratio };
}

/**
 * The CI gate's decision (pure): for each gated figure of each transport × scenario × encoding, the
 * values of every base run and every head run (one per results file, or per repeat within one), the
 * ratio of their medians with a bootstrap interval, a Mann-Whitney test, and a verdict:
 *
 * - regression: significant (Mann-Whitney p < 0.01, and its interval for head / base excludes 1)
 *   and the ratio of medians worse than its threshold;
 * - improvement: significant and better than its threshold;
 * - no change: the whole interval lies within ± the threshold;
 * - inconclusive: anything else (too few runs, an interval too wide), or a regression or improvement
 *   measured while other processes kept the machine busy ("noisy machine").
 *
 * Bytes per message are counted, not sampled, for WebSocket and SSE (the same framing for every
 * message): any change is reported, and one beyond the bytes threshold is a regression.
 *
 * A benchmark that every base run completed and a head run lost (its server crashed, its run was
 * cut short) fails the gate too: missing figures must not read as a pass. Each figure also says the
 * smallest regression its runs could have shown, so a pass says how sensitive it was.
 * Figures are read with the comparison module's definitions (reports/compare/figures.ts).
 */
import { NOISY_OTHER_CORES, isNoisyMachine } from '../../metrics/noisy-machine.ts';
import { seriesOf } from '../../metrics/repeat-id.ts';
import type { CapacityResult, ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { CAPACITY_FIGURE, RUN_FIGURES, type Better, type FigureUnit } from '../compare/figures.ts';
import { environmentDifferences } from './like-for-like.ts';
import { median } from '../../metrics/median.ts';
import { sessionLabel } from '../../metrics/session-label.ts';
import { combinedRatio, mannWhitney, ratioInterval, ratioOfMedians, vanElteren } from './stats.ts';

/** The gated figures: their key in names and thresholds, and the comparison module's figure id. */
export const GATED_FIGURES = [
  { key: 'throughput', figureId: 'deliveries' },
  { key: 'p50', figureId: 'latency-p50' },
  { key: 'p99', figureId: 'latency-p99' },
  { key: 'rtt-p99', figureId: 'rtt-p99' },
  { key: 'server-cpu', figureId: 'server-cpu' },
  { key: 'client-cpu', figureId: 'client-cpu' },
  { key: 'rss', figureId: 'rss-per-connection' },
  { key: 'bytes', figureId: 'bytes' },
  // Reconnect runs (browser clients, a dropped connection): how long the page took to resume.
  { key: 'resume-p99', figureId: 'resume-p99' },
] as const;

/** Each gated figure with the comparison module's definition of it, looked up once. */
const DEFINITIONS = GATED_FIGURES.map((gated) => ({ gated, definition: RUN_FIGURES.find((figure) => figure.id === gated.figureId)! }));

export type GateFigureKey = (typeof GATED_FIGURES)[number]['key'] | 'capacity';
export const GATE_FIGURE_KEYS: readonly GateFigureKey[] = [...GATED_FIGURES.map((f) => f.key), 'capacity'];

/** Default thresholds: 10 % for every sampled figure, 1 % for counted bytes. */
export const DEFAULT_THRESHOLD = 0.1;
export const DEFAULT_BYTES_THRESHOLD = 0.01;
/**
 * Server memory per connection: 50 %. In the CI profile's 200 connections it is (RSS − RSS before
 * any client) / 200, and the RSS of a fresh server before its clients moved by a megabyte between
 * runs of the same code (5 KB a connection, a tenth of the figure). A/A gates here found the same
 * code 28 % apart twice (sse.feed.rss, 47.8 against 61.1 KB, every head run above every base run:
 * the head's servers started about 1 MB smaller than the base worktree's, for a reason not yet
 * found). A leak or a doubled buffer still fails; `--threshold rss:+10%` asks for more.
 */
export const DEFAULT_RSS_THRESHOLD = 0.5;
/**
 * Two-sided significance level of the rank test: 1 %. With 5 runs a side that takes all five head
 * runs beyond all five base runs (exact p 0.008). At 5 %, an A/A gate on this machine (the same
 * code on both sides) found long-poll chat server CPU 14 % apart at p 0.03: the gate checks some
 * 40 figures, and 5 % would cry wolf about twice a run.
 */
export const ALPHA = 0.01;
/**
 * Significance level of the combined figures (all.*): 0.1 %. Their test pools some 30 runs a side,
 * so it can reach far below what 5 against 5 can (0.8 %), and 8 combined figures at 1 % would fail
 * about one A/A gate in twelve by chance on top of the per-benchmark figures.
 */
export const ALPHA_COMBINED = 0.001;
/** Fewer runs than this per side cannot reach p < ALPHA with a rank test (4 and 4: p ≥ 0.029). */
export const MIN_RUNS_PER_SIDE = 5;

export type GateVerdict = 'regression' | 'improvement' | 'no change' | 'inconclusive';

export interface GateFigure {
  /** transport.scenario[.encoding][.client][.reconnect].figure, e.g. sse.feed.p99 (json and node are left out). */
  name: string;
  /** The benchmark part of the name (transport.scenario[...]), and the figure's key. */
  benchmark: string;
  key: GateFigureKey;
  label: string;
  unit: FigureUnit;
  better: Better;
  base: number[];
  head: number[];
  baseMedian: number | null;
  headMedian: number | null;
  /** median(head) / median(base) and its 95 % bootstrap interval; null without a base median. */
  ratio: number | null;
  lower: number | null;
  upper: number | null;
  /** Mann-Whitney two-sided p; null when counted exactly or a side has no value. */
  p: number | null;
  exact: boolean;
  /** Relative change in the worse direction that a regression must exceed. */
  threshold: number;
  verdict: GateVerdict;
  /** Why, when the numbers alone do not say: noisy machine, too few runs, counted bytes changed below the threshold. */
  reason: string | null;
  /**
   * The smallest change for the worse that these runs could have shown as a regression: every
   * head run moved by the same factor, at the spread both sides measured (each side divided by its
   * median first, so the change already there does not count). Relative (0.12 = 12 %); never below
   * the threshold; null when the runs are too few for any. Counted figures: their threshold.
   */
  detectable: number | null;
  /** A combined figure (benchmark `all`): the benchmarks it combines; absent for one benchmark's figure. */
  combines?: string[];
}

/** A benchmark (transport.scenario...) that the base measured and the head did not, or the other way round. */
export interface MissingBenchmark {
  benchmark: string;
  /** Complete runs on each side, out of the files given. */
  base: number;
  head: number;
  /** What the head's notices say of it (the lab's "… failed: …" lines), when anything. */
  why: string[];
}

export interface Threshold {
  /** A figure key (p99), or a name pattern with * for any characters within a part (sse.*.p99). */
  pattern: string;
  relative: number;
}

export interface GateOptions {
  thresholds?: readonly Threshold[];
  /** Default threshold for sampled figures (DEFAULT_THRESHOLD). */
  threshold?: number;
  bytesThreshold?: number;
}

export interface GateReport {
  runs: { base: number; head: number };
  figures: GateFigure[];
  regressions: GateFigure[];
  improvements: GateFigure[];
  inconclusive: GateFigure[];
  /**
   * Benchmarks that completed in every base run but not in every head run: the head's run failed
   * (a crashed server, a run cut short). Each is a regression of its own: a head that breaks a
   * transport must not pass because its figures are missing.
   */
  failedInHead: MissingBenchmark[];
  /** Benchmarks measured on one side only, or failing in the base too: listed, not judged. */
  unmatched: MissingBenchmark[];
  /** Files measured while the machine was busy (their figures can only be inconclusive), and other caveats. */
  notes: string[];
}

const THRESHOLD_PATTERN = /^([A-Za-z0-9*.\-_]+):\s*([+-]?)(\d+(?:\.\d+)?)\s*%$/;

/** Parses `name:+15%` (k6-style); throws a message saying what is wrong and what is accepted. */
export function parseThreshold(text: string): Threshold {
  const match = THRESHOLD_PATTERN.exec(text.trim());
  if (match === null) throw new Error(`--threshold ${JSON.stringify(text)} is not NAME:+N%: give a figure name or key and a percentage, e.g. 'sse.feed.p99:+15%' or 'p99:+20%' (keys: ${GATE_FIGURE_KEYS.join(', ')})`);
  const relative = Number(match[3]) / 100;
  if (!(relative > 0 && relative < 10)) throw new Error(`--threshold ${JSON.stringify(text)}: the percentage must be above 0 and below 1000`);
  const pattern = match[1]!;
  if (!pattern.includes('.') && !pattern.includes('*') && !(GATE_FIGURE_KEYS as readonly string[]).includes(pattern)) {
    throw new Error(`--threshold ${JSON.stringify(text)}: ${pattern} is not a figure key (${GATE_FIGURE_KEYS.join(', ')}) nor a name such as sse.feed.p99`);
  }
  return { pattern, relative };
}

function matches(pattern: string, figure: { name: string; key: string }): boolean {
  if (!pattern.includes('.') && !pattern.includes('*')) return pattern === figure.key;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return regex.test(figure.name);
}

function thresholdOf(figure: { name: string; key: string }, exact: boolean, options: GateOptions): number {
  let threshold = exact ? (options.bytesThreshold ?? DEFAULT_BYTES_THRESHOLD) : figure.key === 'rss' ? DEFAULT_RSS_THRESHOLD : (options.threshold ?? DEFAULT_THRESHOLD);
  // The last pattern that matches wins, as later flags override earlier ones.
  for (const t of options.thresholds ?? []) if (matches(t.pattern, figure)) threshold = t.relative;
  return threshold;
}

function benchmarkName(run: { transport: string; scenario: string; encoding: string; client: string; kind?: RunRecord['kind'] }): string {
  const parts = [run.transport, run.scenario, run.encoding === 'json' ? null : run.encoding, run.client === 'node' ? null : run.client, run.kind === 'reconnect' ? 'reconnect' : null];
  return parts.filter((part) => part !== null).join('.');
}

/** The runs the gate judges: fixed-load runs and reconnect runs (capacity steps are judged through their search's answer). */
const judged = (run: RunRecord): boolean => run.kind === 'fixed' || run.kind === 'reconnect';

/** Why a regression or improvement resting on a busy run is only inconclusive. */
const NOISY_REASON = `noisy machine: other processes kept more than ${NOISY_OTHER_CORES} cores busy in a run it rests on`;

interface Collected {
  benchmark: string;
  key: GateFigureKey;
  label: string;
  unit: FigureUnit;
  better: Better;
  /** Counted, not sampled: bytes of WebSocket and SSE. */
  exact: boolean;
  base: number[];
  head: number[];
  noisy: boolean;
  /** Capacity: the search's axis and SLO. */
  searched?: string;
}

function collect(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[]): Collected[] {
  const byName = new Map<string, Collected>();
  const add = (side: 'base' | 'head', file: ResultsFile): void => {
    for (const run of file.runs) {
      if (!judged(run) || !run.complete) continue;
      for (const { gated, definition } of DEFINITIONS) {
        const value = definition.value(run);
        if (value === null || !Number.isFinite(value)) continue;
        const benchmark = benchmarkName(run);
        const name = `${benchmark}.${gated.key}`;
        let entry = byName.get(`${seriesOf(run.id)}|${name}`);
        if (entry === undefined) {
          entry = { benchmark, key: gated.key, label: definition.label, unit: definition.unit, better: definition.better, exact: isExact(run, gated.key), base: [], head: [], noisy: false };
          byName.set(`${seriesOf(run.id)}|${name}`, entry);
        }
        entry[side].push(value);
        if (isNoisyMachine(file)) entry.noisy = true;
      }
    }
    for (const capacity of file.capacity) {
      const value = capacity.sustained?.deliveriesPerSec ?? null;
      // A search the lab's own client stopped says nothing about the server's limit.
      if (value === null || capacity.stopReason === 'interrupted' || capacity.stopReason === 'failed' || capacity.stopReason === 'client-bound') continue;
      const benchmark = benchmarkName(capacity);
      // Searches along different axes or SLOs answer different questions: they never pool.
      const searched = searchOf(capacity);
      const id = `${seriesOf(capacity.id)}|${benchmark}.capacity|${searched}`;
      let entry = byName.get(id);
      if (entry === undefined) {
        entry = { benchmark, key: 'capacity', label: CAPACITY_FIGURE.label, unit: CAPACITY_FIGURE.unit, better: CAPACITY_FIGURE.better, exact: false, base: [], head: [], noisy: false, searched };
        byName.set(id, entry);
      }
      entry[side].push(value);
      if (isNoisyMachine(file)) entry.noisy = true;
    }
  };
  for (const file of baseFiles) add('base', file);
  for (const file of headFiles) add('head', file);
  return [...byName.values()];
}

/** What a capacity search looked for: its axis and SLO, in words. */
function searchOf(capacity: CapacityResult): string {
  const axis = capacity.axis === 'connections' ? `connections at ${capacity.connectionRate ?? '?'}/s each` : 'rate';
  return `searched by ${axis}, SLO p99 ≤ ${capacity.slo.p99Ms} ms and loss ≤ ${capacity.slo.maxLoss}`;
}

function isExact(run: RunRecord, key: GateFigureKey): boolean {
  return key === 'bytes' && run.transport !== 'long-poll';
}

/** Worse by more than the threshold? `ratio` is head / base. */
function beyond(ratio: number, better: Better, threshold: number, direction: 'worse' | 'better'): boolean {
  const worse = better === 'lower' ? ratio > 1 + threshold : ratio < 1 - threshold;
  const improved = better === 'lower' ? ratio < 1 - threshold : ratio > 1 + threshold;
  return direction === 'worse' ? worse : improved;
}

function decide(entry: Collected, options: GateOptions): GateFigure {
  const name = `${entry.benchmark}.${entry.key}`;
  const threshold = thresholdOf({ name, key: entry.key }, entry.exact, options);
  const baseMedian = median(entry.base);
  const headMedian = median(entry.head);
  const common = { name, benchmark: entry.benchmark, key: entry.key, label: entry.label, unit: entry.unit, better: entry.better, base: entry.base, head: entry.head, baseMedian, headMedian, exact: entry.exact, threshold };
  const downgrade = (verdict: GateVerdict): { verdict: GateVerdict; reason: string | null } =>
    entry.noisy && (verdict === 'regression' || verdict === 'improvement')
      ? { verdict: 'inconclusive', reason: NOISY_REASON }
      : { verdict, reason: null };
  if (entry.exact) {
    const ratio = baseMedian === 0 ? null : headMedian / baseMedian;
    const steady = new Set(entry.base).size === 1 && new Set(entry.head).size === 1;
    if (ratio === null) return { ...common, ratio, lower: null, upper: null, p: null, detectable: threshold, verdict: headMedian === 0 ? 'no change' : 'regression', reason: headMedian === 0 ? null : 'counted: none before' };
    const change = `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(2)} %`;
    if (!steady) {
      // Counted figures that still vary between runs are judged as samples below; say so.
      return { ...decideSampled(entry, common, threshold, downgrade), reason: 'counted, yet it varied between runs: judged as a sample' };
    }
    const counted = { ...common, ratio, lower: ratio, upper: ratio, p: null, detectable: threshold };
    if (ratio === 1) return { ...counted, verdict: 'no change', reason: null };
    if (beyond(ratio, entry.better, threshold, 'worse')) return { ...counted, verdict: 'regression', reason: `counted: ${change}` };
    if (beyond(ratio, entry.better, threshold, 'better')) return { ...counted, verdict: 'improvement', reason: `counted: ${change}` };
    return { ...counted, verdict: 'no change', reason: `counted: changed by ${change}, within the ${(threshold * 100).toFixed(1)} % threshold` };
  }
  return decideSampled(entry, common, threshold, downgrade);
}

/** max / min of some positive values: how far apart a side's own runs are (Infinity with a value of 0 or below). */
function rangeOf(values: readonly number[]): number {
  const low = Math.min(...values);
  return low > 0 ? Math.max(...values) / low : Number.POSITIVE_INFINITY;
}

/**
 * Moved by more than either side's own runs are apart (max / min of each side). Five runs a side
 * that land wholly apart happen by chance in 1 test of 126, and the gate runs some 45: on this
 * machine's spread (server CPU per delivery varies by 1.2 to 1.6 times between runs of the same
 * code) such a chance split is usually beyond 10 % too. Requiring the change to exceed each side's
 * own spread as well cuts those false alarms by about four (a simulation of 5 against 5 runs),
 * and costs little where the runs are steady.
 */
function beyondSpread(base: readonly number[], head: readonly number[], ratio: number, better: Better, direction: 'worse' | 'better'): boolean {
  const spread = Math.max(rangeOf(base), rangeOf(head));
  const worseBy = better === 'lower' ? ratio : 1 / ratio;
  return direction === 'worse' ? worseBy > spread : 1 / worseBy > spread;
}

/** Significant by the rank test, with its interval for head / base excluding 1. */
function significantChange(base: readonly number[], head: readonly number[], interval: { lower: number; upper: number }): boolean {
  return mannWhitney(base, head).p < ALPHA && (interval.lower > 1 || interval.upper < 1);
}

/** The largest change the detectable-change probe tries: beyond it, the runs are too spread to detect anything. */
const MAX_PROBED_CHANGE = 20;

/**
 * GateFigure.detectable: each side divided by its own median (the spread stays, the change already
 * there goes), then head moved for the worse by a factor found by bisection until the verdict
 * would be a regression.
 */
function detectableChange(entry: Collected, threshold: number): number | null {
  if (Math.min(entry.base.length, entry.head.length) < MIN_RUNS_PER_SIDE) return null;
  const baseMedian = median(entry.base);
  const headMedian = median(entry.head);
  if (!(baseMedian > 0 && headMedian > 0)) return null;
  const base = entry.base.map((value) => value / baseMedian);
  const head = entry.head.map((value) => value / headMedian);
  const isRegression = (change: number): boolean => {
    const factor = entry.better === 'lower' ? 1 + change : 1 / (1 + change);
    const moved = head.map((value) => value * factor);
    const interval = ratioInterval(base, moved) ?? ratioOfMedians(base, moved);
    const ratio = median(moved) / median(base);
    return interval !== null && significantChange(base, moved, interval) && beyond(ratio, entry.better, threshold, 'worse') && beyondSpread(base, moved, ratio, entry.better, 'worse');
  };
  return smallestFlagged(isRegression);
}

/** The smallest change in [0, MAX_PROBED_CHANGE] that `flags` (monotone), to within 0.1 %: plenty for a figure quoted in whole percent; null when even the largest is not flagged. */
function smallestFlagged(flags: (change: number) => boolean): number | null {
  if (!flags(MAX_PROBED_CHANGE)) return null;
  let held = 0;
  let flagged = MAX_PROBED_CHANGE;
  while (flagged - held > 0.001) {
    const middle = (held + flagged) / 2;
    if (flags(middle)) flagged = middle;
    else held = middle;
  }
  return flagged;
}

function decideSampled(
  entry: Collected,
  common: Omit<GateFigure, 'ratio' | 'lower' | 'upper' | 'p' | 'verdict' | 'reason' | 'detectable'>,
  threshold: number,
  downgrade: (verdict: GateVerdict) => { verdict: GateVerdict; reason: string | null },
): GateFigure {
  // The ratio of medians, with Mann-Whitney's interval for the factor between the sides (it agrees
  // with the test by construction); the bootstrap's, where a value is 0 and logs do not exist.
  const test = mannWhitney(entry.base, entry.head);
  const shift = ratioInterval(entry.base, entry.head);
  const bootstrap = shift === null ? ratioOfMedians(entry.base, entry.head) : null;
  const baseMedian = common.baseMedian ?? 0;
  const detectable = detectableChange(entry, threshold);
  if (baseMedian === 0 || (shift === null && bootstrap === null)) {
    // Both sides all zero (no loss before or after) is no change; a zero base with a non-zero head has no ratio to judge.
    const allZero = [...entry.base, ...entry.head].every((value) => value === 0);
    return { ...common, ratio: null, lower: null, upper: null, p: test.p, detectable, verdict: allZero ? 'no change' : 'inconclusive', reason: allZero ? 'zero on both sides' : 'the base median is 0: no ratio' };
  }
  const interval = shift ?? bootstrap!;
  const numbers = { ratio: (common.headMedian ?? 0) / baseMedian, lower: interval.lower, upper: interval.upper, p: test.p, detectable };
  const fewest = Math.min(entry.base.length, entry.head.length);
  if (fewest < MIN_RUNS_PER_SIDE) {
    return { ...common, ...numbers, verdict: 'inconclusive', reason: `${fewest} run${fewest === 1 ? '' : 's'} on a side, ${MIN_RUNS_PER_SIDE} needed` };
  }
  const significant = significantChange(entry.base, entry.head, interval);
  const spreadOk = (direction: 'worse' | 'better'): boolean => beyondSpread(entry.base, entry.head, numbers.ratio, entry.better, direction);
  if (significant && beyond(numbers.ratio, entry.better, threshold, 'worse') && spreadOk('worse')) return { ...common, ...numbers, ...downgrade('regression') };
  if (significant && beyond(numbers.ratio, entry.better, threshold, 'better') && spreadOk('better')) return { ...common, ...numbers, ...downgrade('improvement') };
  if (interval.lower >= 1 - threshold && interval.upper <= 1 + threshold) return { ...common, ...numbers, verdict: 'no change', reason: null };
  const spread = Math.max(rangeOf(entry.base), rangeOf(entry.head));
  const why = !significant
    ? `the interval is wider than ± ${(threshold * 100).toFixed(0)} %`
    : beyond(numbers.ratio, entry.better, threshold, 'worse') || beyond(numbers.ratio, entry.better, threshold, 'better')
      ? `a significant change of ${((numbers.ratio - 1) * 100).toFixed(1)} %, but within the runs' own spread (a side's runs ${spread.toFixed(2)} times apart)`
      : `a significant change of ${((numbers.ratio - 1) * 100).toFixed(1)} %, but its interval reaches past the ${(threshold * 100).toFixed(0)} % threshold`;
  return { ...common, ...numbers, verdict: 'inconclusive', reason: entry.noisy ? `${why}; noisy machine` : why };
}

/** The benchmark name of the figures that combine every benchmark's runs. */
export const COMBINED = 'all';

type Strata = { a: number[]; b: number[] }[];

/** Each stratum divided by its own medians, head moved for the worse by `change`: for the combined detectable change. */
function movedStrata(entries: readonly Collected[], better: Better, change: number): Strata {
  const factor = better === 'lower' ? 1 + change : 1 / (1 + change);
  return entries.map((entry) => {
    const baseMedian = median(entry.base);
    const headMedian = median(entry.head);
    return { a: entry.base.map((v) => v / baseMedian), b: entry.head.map((v) => (v / headMedian) * factor) };
  });
}

/**
 * One figure key (server-cpu, p99, …) over every benchmark that has it: van Elteren's test (each
 * benchmark a stratum), the geometric mean of the benchmarks' ratios of medians with a bootstrap
 * interval, and the same verdict rules. A change that moves every transport and scenario alike (a
 * slower hub, a costlier codec) shows here with the power of all their runs; a change in one
 * benchmark alone shows in that benchmark's own figure.
 */
function combinedFigure(key: GateFigureKey, entries: readonly Collected[], options: GateOptions): GateFigure {
  const first = entries[0]!;
  const name = `${COMBINED}.${key}`;
  const threshold = thresholdOf({ name, key }, false, options);
  const strata: Strata = entries.map((entry) => ({ a: entry.base, b: entry.head }));
  const test = vanElteren(strata);
  const interval = combinedRatio(strata);
  const fewest = Math.min(...entries.flatMap((entry) => [entry.base.length, entry.head.length]));
  const noisyRuns = entries.some((entry) => entry.noisy);
  const isRegression = (candidate: Strata, ratio: number, lower: number, upper: number): boolean =>
    vanElteren(candidate).p < ALPHA_COMBINED && (lower > 1 || upper < 1) && beyond(ratio, first.better, threshold, 'worse');
  let detectable: number | null = null;
  if (fewest >= MIN_RUNS_PER_SIDE && entries.every((entry) => median(entry.base) > 0 && median(entry.head) > 0)) {
    const probe = (change: number): boolean => {
      const moved = movedStrata(entries, first.better, change);
      const found = combinedRatio(moved, { resamples: 400 });
      return found !== null && isRegression(moved, found.ratio, found.lower, found.upper);
    };
    detectable = smallestFlagged(probe);
  }
  const common = {
    name,
    benchmark: COMBINED,
    key,
    label: `${first.label}, every benchmark`,
    unit: first.unit,
    better: first.better,
    base: [],
    head: [],
    baseMedian: null,
    headMedian: null,
    exact: false,
    threshold,
    p: test.p,
    detectable,
    combines: entries.map((entry) => entry.benchmark),
  };
  if (interval === null) return { ...common, ratio: null, lower: null, upper: null, verdict: 'inconclusive', reason: 'a benchmark’s median is 0: no ratio' };
  const numbers = { ratio: interval.ratio, lower: interval.lower, upper: interval.upper };
  if (fewest < MIN_RUNS_PER_SIDE) return { ...common, ...numbers, verdict: 'inconclusive', reason: `${fewest} run${fewest === 1 ? '' : 's'} on a side, ${MIN_RUNS_PER_SIDE} needed` };
  const significant = test.p < ALPHA_COMBINED && (interval.lower > 1 || interval.upper < 1);
  if (isRegression(strata, interval.ratio, interval.lower, interval.upper)) return { ...common, ...numbers, verdict: noisyRuns ? 'inconclusive' : 'regression', reason: noisyRuns ? NOISY_REASON : null };
  if (significant && beyond(interval.ratio, first.better, threshold, 'better')) return { ...common, ...numbers, verdict: noisyRuns ? 'inconclusive' : 'improvement', reason: noisyRuns ? NOISY_REASON : null };
  if (interval.lower >= 1 - threshold && interval.upper <= 1 + threshold) return { ...common, ...numbers, verdict: 'no change', reason: null };
  return { ...common, ...numbers, verdict: 'inconclusive', reason: significant ? `a significant change of ${((interval.ratio - 1) * 100).toFixed(1)} %, but its interval reaches past the ${(threshold * 100).toFixed(0)} % threshold` : `the interval is wider than ± ${(threshold * 100).toFixed(0)} %` };
}

/** The combined figures: every sampled key measured in two benchmarks or more. */
function combinedFigures(collected: readonly Collected[], options: GateOptions): GateFigure[] {
  const byKey = new Map<GateFigureKey, Collected[]>();
  for (const entry of collected) {
    if (entry.exact || entry.base.length === 0 || entry.head.length === 0) continue;
    const list = byKey.get(entry.key) ?? [];
    list.push(entry);
    byKey.set(entry.key, list);
  }
  return [...byKey].filter(([, entries]) => entries.length >= 2).map(([key, entries]) => combinedFigure(key, entries, options));
}

const ORDER: Record<GateVerdict, number> = { regression: 0, inconclusive: 1, improvement: 2, 'no change': 3 };

/** How many runs each file should hold of every benchmark: one, or its --repeat. */
const repeatsOf = (file: ResultsFile): number => Math.max(1, Number(file.config['repeat'] ?? 1));


/** Benchmarks whose runs did not all complete on a side: failed in the head, or unmatched. */
function missingBenchmarks(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[]): { failedInHead: MissingBenchmark[]; unmatched: MissingBenchmark[] } {
  interface Tally extends MissingBenchmark {
    label: string;
    headIncomplete: number;
  }
  const tallies = new Map<string, Tally>();
  const count = (side: 'base' | 'head', file: ResultsFile): void => {
    for (const run of file.runs) {
      if (!judged(run)) continue;
      const key = seriesOf(run.id);
      let tally = tallies.get(key);
      if (tally === undefined) {
        tally = { benchmark: benchmarkName(run), base: 0, head: 0, why: [], label: sessionLabel(run), headIncomplete: 0 };
        tallies.set(key, tally);
      }
      if (run.complete) tally[side] += 1;
      else if (side === 'head') tally.headIncomplete += 1;
    }
  };
  for (const file of baseFiles) count('base', file);
  for (const file of headFiles) count('head', file);
  const expected = { base: baseFiles.reduce((sum, f) => sum + repeatsOf(f), 0), head: headFiles.reduce((sum, f) => sum + repeatsOf(f), 0) };
  const headNotices = headFiles.flatMap((file) => file.notices);
  const failedInHead: MissingBenchmark[] = [];
  const unmatched: MissingBenchmark[] = [];
  for (const tally of tallies.values()) {
    if (tally.base >= expected.base && tally.head >= expected.head) continue;
    const why = [...new Set(headNotices.filter((notice) => notice.startsWith(`${tally.label} `) && notice.includes(' failed')))];
    const entry: MissingBenchmark = { benchmark: tally.benchmark, base: tally.base, head: tally.head, why };
    // A benchmark the head never ran (another profile, a stored baseline with more in it) is unmatched; one it started and lost is a failure.
    const headFailed = tally.head < expected.head && (tally.headIncomplete > 0 || why.length > 0);
    if (headFailed && tally.base >= expected.base) failedInHead.push(entry);
    else unmatched.push(entry);
  }
  return { failedInHead, unmatched };
}

/** The gate over every base and head results file (each a run of the same profile; repeats within a file count one each). */
export function gate(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[], options: GateOptions = {}): GateReport {
  const collected = collect(baseFiles, headFiles);
  const figures = [...combinedFigures(collected, options), ...collected.filter((entry) => entry.base.length > 0 && entry.head.length > 0).map((entry) => decide(entry, options))];
  figures.sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]);
  const { failedInHead, unmatched } = missingBenchmarks(baseFiles, headFiles);
  for (const entry of collected) {
    if (entry.searched !== undefined && (entry.base.length === 0 || entry.head.length === 0)) {
      unmatched.push({ benchmark: `${entry.benchmark}.capacity`, base: entry.base.length, head: entry.head.length, why: [entry.searched] });
    }
  }
  const notes: string[] = [];
  const differences = environmentDifferences(baseFiles, headFiles);
  if (differences.length > 0) notes.push(`not like for like (${differences.join('; ')}): a difference may come from the environment rather than the code`);
  const busy = [...baseFiles.map((f) => ['base', f] as const), ...headFiles.map((f) => ['head', f] as const)].filter(([, f]) => isNoisyMachine(f));
  if (busy.length > 0) notes.push(`${busy.length} run${busy.length === 1 ? ' was' : 's were'} measured while other processes kept more than ${NOISY_OTHER_CORES} cores busy: the figures resting on them are at most inconclusive`);
  const count = (files: readonly ResultsFile[]) => files.reduce((sum, file) => sum + repeatsOf(file), 0);
  return {
    runs: { base: count(baseFiles), head: count(headFiles) },
    figures,
    regressions: figures.filter((f) => f.verdict === 'regression'),
    improvements: figures.filter((f) => f.verdict === 'improvement'),
    inconclusive: figures.filter((f) => f.verdict === 'inconclusive'),
    failedInHead,
    unmatched,
    notes,
  };
}

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
 * Figures are read with the comparison module's definitions (reports/compare/figures.ts).
 */
import { NOISY_OTHER_CORES } from '../../bench/run-record.ts';
import { seriesOf } from '../../metrics/repeat-id.ts';
import type { ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { RUN_FIGURES, type Better, type FigureUnit } from '../compare/figures.ts';
import { mannWhitney, median, ratioInterval, ratioOfMedians } from './stats.ts';

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
] as const;

/** Each gated figure with the comparison module's definition of it, looked up once. */
const DEFINITIONS = GATED_FIGURES.map((gated) => ({ gated, definition: RUN_FIGURES.find((figure) => figure.id === gated.figureId)! }));

export type GateFigureKey = (typeof GATED_FIGURES)[number]['key'] | 'capacity';
export const GATE_FIGURE_KEYS: readonly GateFigureKey[] = [...GATED_FIGURES.map((f) => f.key), 'capacity'];

/** Default thresholds: 10 % for every sampled figure, 1 % for counted bytes. */
export const DEFAULT_THRESHOLD = 0.1;
export const DEFAULT_BYTES_THRESHOLD = 0.01;
/**
 * Two-sided significance level of the rank test: 1 %. With 5 runs a side that takes all five head
 * runs beyond all five base runs (exact p 0.008). At 5 %, an A/A gate on this machine (the same
 * code on both sides) found long-poll chat server CPU 14 % apart at p 0.03: the gate checks some
 * 40 figures, and 5 % would cry wolf about twice a run.
 */
export const ALPHA = 0.01;
/** Fewer runs than this per side cannot reach p < ALPHA with a rank test (4 and 4: p ≥ 0.029). */
export const MIN_RUNS_PER_SIDE = 5;

export type GateVerdict = 'regression' | 'improvement' | 'no change' | 'inconclusive';

export interface GateFigure {
  /** transport.scenario[.encoding][.client].figure, e.g. sse.feed.p99 (json and node are left out). */
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
  let threshold = exact ? (options.bytesThreshold ?? DEFAULT_BYTES_THRESHOLD) : (options.threshold ?? DEFAULT_THRESHOLD);
  // The last pattern that matches wins, as later flags override earlier ones.
  for (const t of options.thresholds ?? []) if (matches(t.pattern, figure)) threshold = t.relative;
  return threshold;
}

function benchmarkName(run: { transport: string; scenario: string; encoding: string; client: string }): string {
  return [run.transport, run.scenario, run.encoding === 'json' ? null : run.encoding, run.client === 'node' ? null : run.client].filter((part) => part !== null).join('.');
}

const noisy = (file: ResultsFile): boolean => file.environment.otherCpuCores !== null && file.environment.otherCpuCores > NOISY_OTHER_CORES;

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
}

function collect(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[]): Collected[] {
  const byName = new Map<string, Collected>();
  const add = (side: 'base' | 'head', file: ResultsFile): void => {
    for (const run of file.runs) {
      if (run.kind !== 'fixed' || !run.complete) continue;
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
        if (noisy(file)) entry.noisy = true;
      }
    }
    for (const capacity of file.capacity) {
      const value = capacity.sustained?.deliveriesPerSec ?? null;
      if (value === null || capacity.stopReason === 'interrupted' || capacity.stopReason === 'failed') continue;
      const benchmark = benchmarkName(capacity);
      let entry = byName.get(`${seriesOf(capacity.id)}|${benchmark}.capacity`);
      if (entry === undefined) {
        entry = { benchmark, key: 'capacity', label: 'Capacity within the SLO', unit: 'per-second', better: 'higher', exact: false, base: [], head: [], noisy: false };
        byName.set(`${seriesOf(capacity.id)}|${benchmark}.capacity`, entry);
      }
      entry[side].push(value);
      if (noisy(file)) entry.noisy = true;
    }
  };
  for (const file of baseFiles) add('base', file);
  for (const file of headFiles) add('head', file);
  return [...byName.values()].filter((entry) => entry.base.length > 0 && entry.head.length > 0);
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
      ? { verdict: 'inconclusive', reason: `noisy machine: other processes kept more than ${NOISY_OTHER_CORES} cores busy in a run it rests on` }
      : { verdict, reason: null };
  if (entry.exact) {
    const ratio = baseMedian === 0 ? null : headMedian / baseMedian;
    const steady = new Set(entry.base).size === 1 && new Set(entry.head).size === 1;
    if (ratio === null) return { ...common, ratio, lower: null, upper: null, p: null, verdict: headMedian === 0 ? 'no change' : 'regression', reason: headMedian === 0 ? null : 'counted: none before' };
    const change = `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(2)} %`;
    if (!steady) {
      // Counted figures that still vary between runs are judged as samples below; say so.
      return { ...decideSampled(entry, common, threshold, downgrade), reason: 'counted, yet it varied between runs: judged as a sample' };
    }
    if (ratio === 1) return { ...common, ratio, lower: ratio, upper: ratio, p: null, verdict: 'no change', reason: null };
    if (beyond(ratio, entry.better, threshold, 'worse')) return { ...common, ratio, lower: ratio, upper: ratio, p: null, verdict: 'regression', reason: `counted: ${change}` };
    if (beyond(ratio, entry.better, threshold, 'better')) return { ...common, ratio, lower: ratio, upper: ratio, p: null, verdict: 'improvement', reason: `counted: ${change}` };
    return { ...common, ratio, lower: ratio, upper: ratio, p: null, verdict: 'no change', reason: `counted: changed by ${change}, within the ${(threshold * 100).toFixed(1)} % threshold` };
  }
  return decideSampled(entry, common, threshold, downgrade);
}

function decideSampled(
  entry: Collected,
  common: Omit<GateFigure, 'ratio' | 'lower' | 'upper' | 'p' | 'verdict' | 'reason'>,
  threshold: number,
  downgrade: (verdict: GateVerdict) => { verdict: GateVerdict; reason: string | null },
): GateFigure {
  // The ratio of medians, with Mann-Whitney's interval for the factor between the sides (it agrees
  // with the test by construction); the bootstrap's, where a value is 0 and logs do not exist.
  const test = mannWhitney(entry.base, entry.head);
  const shift = ratioInterval(entry.base, entry.head);
  const bootstrap = shift === null ? ratioOfMedians(entry.base, entry.head) : null;
  const baseMedian = common.baseMedian ?? 0;
  if (baseMedian === 0 || (shift === null && bootstrap === null)) return { ...common, ratio: null, lower: null, upper: null, p: test.p, verdict: 'inconclusive', reason: 'the base median is 0: no ratio' };
  const interval = shift ?? bootstrap!;
  const numbers = { ratio: (common.headMedian ?? 0) / baseMedian, lower: interval.lower, upper: interval.upper, p: test.p };
  const fewest = Math.min(entry.base.length, entry.head.length);
  if (fewest < MIN_RUNS_PER_SIDE) {
    return { ...common, ...numbers, verdict: 'inconclusive', reason: `${fewest} run${fewest === 1 ? '' : 's'} on a side, ${MIN_RUNS_PER_SIDE} needed` };
  }
  const significant = test.p < ALPHA && (interval.lower > 1 || interval.upper < 1);
  if (significant && beyond(numbers.ratio, entry.better, threshold, 'worse')) return { ...common, ...numbers, ...downgrade('regression') };
  if (significant && beyond(numbers.ratio, entry.better, threshold, 'better')) return { ...common, ...numbers, ...downgrade('improvement') };
  if (interval.lower >= 1 - threshold && interval.upper <= 1 + threshold) return { ...common, ...numbers, verdict: 'no change', reason: null };
  const why = significant ? `a significant change of ${((numbers.ratio - 1) * 100).toFixed(1)} %, but its interval reaches past the ${(threshold * 100).toFixed(0)} % threshold` : `the interval is wider than ± ${(threshold * 100).toFixed(0)} %`;
  return { ...common, ...numbers, verdict: 'inconclusive', reason: entry.noisy ? `${why}; noisy machine` : why };
}

const ORDER: Record<GateVerdict, number> = { regression: 0, inconclusive: 1, improvement: 2, 'no change': 3 };

/** The gate over every base and head results file (each a run of the same profile; repeats within a file count one each). */
export function gate(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[], options: GateOptions = {}): GateReport {
  const figures = collect(baseFiles, headFiles).map((entry) => decide(entry, options));
  figures.sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]);
  const notes: string[] = [];
  const busy = [...baseFiles.map((f) => ['base', f] as const), ...headFiles.map((f) => ['head', f] as const)].filter(([, f]) => noisy(f));
  if (busy.length > 0) notes.push(`${busy.length} run${busy.length === 1 ? ' was' : 's were'} measured while other processes kept more than ${NOISY_OTHER_CORES} cores busy: the figures resting on them are at most inconclusive`);
  const count = (files: readonly ResultsFile[]) => files.reduce((sum, file) => sum + Math.max(1, Number(file.config['repeat'] ?? 1)), 0);
  return {
    runs: { base: count(baseFiles), head: count(headFiles) },
    figures,
    regressions: figures.filter((f) => f.verdict === 'regression'),
    improvements: figures.filter((f) => f.verdict === 'improvement'),
    inconclusive: figures.filter((f) => f.verdict === 'inconclusive'),
    notes,
  };
}

/**
 * The CI gate's statistics (pure): a two-sided Mann-Whitney U test and a bootstrap interval for the
 * ratio of two medians. The gate compares a handful of interleaved runs per side (5 by default), so
 * it uses tests that assume nothing about the figures' distribution: latency tails and CPU figures
 * on a shared machine are skewed, with the odd run far out, where a t test's mean and variance are
 * pulled by one outlier and a rank test is not.
 *
 * Hand-written because no maintained npm package does either with an exact small-sample p-value
 * and a seeded (reproducible) resampler; both are a few lines, and the tests check them against
 * published tables.
 */
import { median } from '../../metrics/median.ts';
import { mulberry32 } from '../../metrics/seeded-random.ts';

const uCountsMemo = new Map<string, readonly number[]>();

/** uCounts, remembered: the gate asks for the same few sizes many times (once per figure and per detectable-change probe). */
function uCounts(n: number, m: number): readonly number[] {
  const key = `${n}x${m}`;
  let counts = uCountsMemo.get(key);
  if (counts === undefined) {
    counts = countU(n, m);
    uCountsMemo.set(key, counts);
  }
  return counts;
}

/** How many ways `n` values from one side and `m` from the other can give each U (no ties): counts[u]. */
function countU(n: number, m: number): number[] {
  // counts(i, j): the largest of all i + j values is from the first side (it beats all j of the
  // second: U grows by j, and i - 1, j remain) or from the second (U unchanged; i, j - 1 remain).
  const table: number[][][] = [];
  for (let i = 0; i <= n; i++) {
    const row: number[][] = [];
    for (let j = 0; j <= m; j++) {
      const counts = new Array<number>(i * j + 1).fill(0);
      if (i === 0 || j === 0) counts[0] = 1;
      else {
        table[i - 1]![j]!.forEach((c, u) => (counts[u + j] = counts[u + j]! + c));
        row[j - 1]!.forEach((c, u) => (counts[u] = counts[u]! + c));
      }
      row.push(counts);
    }
    table.push(row);
  }
  return table[n]![m]!;
}

/** Standard normal upper tail, P(Z > z) (Abramowitz and Stegun 26.2.17: error below 7.5e-8). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  const t = 1 / (1 + 0.2316419 * z);
  const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return density * poly;
}

export interface RankTest {
  /** U of the first sample: how many (a, b) pairs have a > b, ties counting a half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  exact: boolean;
}

/** Sizes up to which the p-value is exact (the counting table stays small). */
const EXACT_UP_TO = 30;

/**
 * Two-sided Mann-Whitney U test of whether a and b come from the same distribution. Exact when
 * there are no ties and both samples have at most 30 values; otherwise the normal approximation
 * with the tie correction and a continuity correction. Identical samples give p = 1.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): RankTest {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('mannWhitney needs at least one value on each side');
  let u = 0;
  let ties = false;
  for (const x of a) {
    for (const y of b) {
      if (x > y) u += 1;
      else if (x === y) {
        u += 0.5;
        ties = true;
      }
    }
  }
  const meanU = (n * m) / 2;
  if (!ties && n <= EXACT_UP_TO && m <= EXACT_UP_TO) {
    const counts = uCounts(n, m);
    const total = counts.reduce((sum, c) => sum + c, 0);
    const lower = counts.slice(0, Math.floor(u) + 1).reduce((sum, c) => sum + c, 0) / total;
    const upper = counts.slice(Math.ceil(u)).reduce((sum, c) => sum + c, 0) / total;
    return { u, p: Math.min(1, 2 * Math.min(lower, upper)), exact: true };
  }
  // Tie-corrected variance: groups of equal values shrink it.
  const all = [...a, ...b].sort((x, y) => x - y);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j] === all[i]) j++;
    const t = j - i;
    tieTerm += t * t * t - t;
    i = j;
  }
  const total = n + m;
  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  if (variance <= 0) return { u, p: 1, exact: false };
  const z = Math.max(0, Math.abs(u - meanU) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * normalUpperTail(z)), exact: false };
}


export interface RatioInterval {
  /** median(head) / median(base). */
  ratio: number;
  lower: number;
  upper: number;
}

/** The 1-based rank k such that [d(k), d(nm+1-k)] of the n·m pairwise differences is a confidence interval (Mann-Whitney's). */
function shiftRank(n: number, m: number, confidence: number): number {
  const alpha = 1 - confidence;
  if (n <= EXACT_UP_TO && m <= EXACT_UP_TO) {
    const counts = uCounts(n, m);
    const total = counts.reduce((sum, c) => sum + c, 0);
    // The largest k with P(U <= k - 1) <= alpha / 2.
    let below = 0;
    let k = 0;
    while (k < counts.length && (below + counts[k]!) / total <= alpha / 2) {
      below += counts[k]!;
      k++;
    }
    return Math.max(1, k);
  }
  const z = 1.959963984540054;
  return Math.max(1, Math.floor((n * m) / 2 - z * Math.sqrt((n * m * (n + m + 1)) / 12)));
}

export interface ShiftInterval {
  /** The Hodges-Lehmann ratio: exp of the median pairwise difference of logs. */
  ratio: number;
  lower: number;
  upper: number;
  /** The interval's own coverage (exact sizes can only reach some levels: 96.8 % for 5 and 5 at 95 %). */
  coverage: number;
}

/**
 * Mann-Whitney's interval for how much head differs from base by a factor (a shift of the logs):
 * the Hodges-Lehmann estimate and the order statistics of the pairwise differences that the rank
 * test's critical value picks. It excludes 1 exactly when the test rejects at that level, so the
 * interval and the test never disagree. Null when a value is not positive (no logarithm).
 */
export function ratioInterval(base: readonly number[], head: readonly number[], confidence = 0.95): ShiftInterval | null {
  if (base.length === 0 || head.length === 0 || [...base, ...head].some((v) => !(v > 0) || !Number.isFinite(v))) return null;
  const differences: number[] = [];
  for (const b of base) for (const h of head) differences.push(Math.log(h) - Math.log(b));
  differences.sort((x, y) => x - y);
  const k = shiftRank(base.length, head.length, confidence);
  const count = differences.length;
  const lower = differences[Math.min(count - 1, k - 1)]!;
  const upper = differences[Math.max(0, count - k)]!;
  let coverage = confidence;
  if (base.length <= EXACT_UP_TO && head.length <= EXACT_UP_TO) {
    const counts = uCounts(base.length, head.length);
    const total = counts.reduce((sum, c) => sum + c, 0);
    coverage = 1 - (2 * counts.slice(0, k).reduce((sum, c) => sum + c, 0)) / total;
  }
  return { ratio: Math.exp(median(differences)), lower: Math.exp(lower), upper: Math.exp(upper), coverage };
}

/** A bootstrap's draw: the median of one resample (with replacement) of `values`. Seeded: the same inputs give the same interval on every machine. */
function medianResampler(seed = 0x5eed): (values: readonly number[]) => number {
  const random = mulberry32(seed);
  return (values) => {
    const sample = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    return median(sample);
  };
}

/** The central `confidence` share of some bootstrap estimates (sorted here). */
function percentileInterval(estimates: number[], confidence: number): { lower: number; upper: number } {
  estimates.sort((x, y) => x - y);
  const at = (q: number): number => estimates[Math.min(estimates.length - 1, Math.max(0, Math.round(q * (estimates.length - 1))))]!;
  const tail = (1 - confidence) / 2;
  return { lower: at(tail), upper: at(1 - tail) };
}

/**
 * The ratio of medians, head over base, with a percentile bootstrap interval (each side resampled
 * on its own, `resamples` times). Null when the base median is 0 (no ratio exists).
 */
export function ratioOfMedians(base: readonly number[], head: readonly number[], options: { confidence?: number; resamples?: number; seed?: number } = {}): RatioInterval | null {
  const baseMedian = median(base);
  if (!(baseMedian !== 0 && Number.isFinite(baseMedian)) || head.length === 0) return null;
  const ratio = median(head) / baseMedian;
  const resamples = options.resamples ?? 4000;
  const confidence = options.confidence ?? 0.95;
  const draw = medianResampler(options.seed);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const b = draw(base);
    if (b !== 0) ratios.push(draw(head) / b);
  }
  return { ratio, ...percentileInterval(ratios, confidence) };
}

/**
 * Van Elteren's stratified rank test (the Mann-Whitney test combined over strata): within each
 * stratum the second sample's rank sum, weighted by 1 / (size + 1), summed over strata and
 * compared with its expectation by the normal approximation, ties corrected. The gate combines
 * the same figure over every benchmark with it (server CPU of ws feed, sse chat, …): each
 * benchmark keeps its own scale, and a change that moves them all is found with the power of all
 * their runs together. Two-sided p; 1 when every stratum is one value repeated.
 */
export function vanElteren(strata: readonly { a: readonly number[]; b: readonly number[] }[]): { z: number; p: number } {
  let statistic = 0;
  let expected = 0;
  let variance = 0;
  for (const { a, b } of strata) {
    const n = a.length;
    const m = b.length;
    if (n === 0 || m === 0) continue;
    const total = n + m;
    const all = [...a.map((value) => ({ value, second: false })), ...b.map((value) => ({ value, second: true }))].sort((x, y) => x.value - y.value);
    let rankSum = 0;
    let tieTerm = 0;
    for (let i = 0; i < all.length; ) {
      let j = i;
      while (j < all.length && all[j]!.value === all[i]!.value) j++;
      const midRank = (i + 1 + j) / 2;
      for (let k = i; k < j; k++) if (all[k]!.second) rankSum += midRank;
      const t = j - i;
      tieTerm += t * t * t - t;
      i = j;
    }
    const weight = 1 / (total + 1);
    statistic += rankSum * weight;
    expected += ((m * (total + 1)) / 2) * weight;
    variance += ((n * m) / 12) * (total + 1 - (total > 1 ? tieTerm / (total * (total - 1)) : 0)) * weight * weight;
  }
  if (!(variance > 0)) return { z: 0, p: 1 };
  const z = (statistic - expected) / Math.sqrt(variance);
  return { z, p: Math.min(1, 2 * normalUpperTail(Math.abs(z))) };
}

/**
 * The geometric mean over strata of each stratum's ratio of medians (second / first), with a
 * seeded percentile bootstrap interval (every side of every stratum resampled on its own). Null
 * when a stratum's first median is not positive.
 */
export function combinedRatio(strata: readonly { a: readonly number[]; b: readonly number[] }[], options: { confidence?: number; resamples?: number; seed?: number } = {}): RatioInterval | null {
  const usable = strata.filter(({ a, b }) => a.length > 0 && b.length > 0);
  if (usable.length === 0 || usable.some(({ a, b }) => !(median(a) > 0) || !(median(b) > 0))) return null;
  const geometricMean = (ratios: number[]): number => Math.exp(ratios.reduce((sum, r) => sum + Math.log(r), 0) / ratios.length);
  const ratio = geometricMean(usable.map(({ a, b }) => median(b) / median(a)));
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const draw = medianResampler(options.seed);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const each = usable.map(({ a, b }) => draw(b) / draw(a));
    if (each.every((value) => value > 0 && Number.isFinite(value))) ratios.push(geometricMean(each));
  }
  if (ratios.length === 0) return null;
  return { ratio, ...percentileInterval(ratios, confidence) };
}

/**
 * How much a figure moves by itself: a 95 % interval of the mean of a few samples (the per-second
 * values of one measured window, or one value per repeat), and what a comparison uses instead when
 * a figure has no samples.
 *
 * Why Student's t on the mean, and not a bootstrap or a rank test: a window holds 3 (quick profile)
 * to 5 (default) per-second values, and a bootstrap or a Mann-Whitney interval over so few says
 * little (with 3 samples the bootstrap has 10 distinct resamples). Window figures are means of
 * their seconds (deliveries/s exactly; CPU per delivery is a ratio of sums), so the t interval of
 * the mean is the textbook estimate, and with few samples its wide critical value (4.3 for 3
 * samples) keeps it honest. Per-second values of one run are correlated and miss what changes from
 * run to run (another process busy on the machine, a different heap layout), so the interval is a
 * floor, not the whole noise: a comparison also requires a minimum effect, and prefers repeats
 * (one value per run) when a side has 3 or more.
 */

/** Two-sided 95 % critical values of Student's t for 1 to 30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093,
  2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
] as const;

/** t for a 95 % interval; beyond 30 degrees of freedom the value at 30 (2.042, against 1.96 at infinity: slightly wide). */
export function tCritical95(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) throw new RangeError(`degrees of freedom must be a whole number ≥ 1, got ${degreesOfFreedom}`);
  return T_975[Math.min(degreesOfFreedom, T_975.length) - 1] ?? 2.042;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The median; NaN for no values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Standard deviation with n - 1 in the denominator (the samples are a sample, not the population). */
export function sampleStandardDeviation(values: readonly number[]): number {
  const centre = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - centre) ** 2, 0) / (values.length - 1));
}

export interface MeanInterval {
  samples: number;
  mean: number;
  /** Half the width of the 95 % interval of the mean, in the samples' unit. */
  halfWidth: number;
  /** halfWidth / |mean|: 0 when every sample is 0. */
  relative: number;
}

/** The fewest samples an interval is computed from. */
export const MIN_SAMPLES = 2;

/** The 95 % interval of the mean of the samples; null for fewer than MIN_SAMPLES. */
export function meanInterval(samples: readonly number[]): MeanInterval | null {
  if (samples.length < MIN_SAMPLES) return null;
  const centre = mean(samples);
  const halfWidth = (tCritical95(samples.length - 1) * sampleStandardDeviation(samples)) / Math.sqrt(samples.length);
  return { samples: samples.length, mean: centre, halfWidth, relative: centre === 0 ? 0 : halfWidth / Math.abs(centre) };
}

/**
 * How much one side's figure can move by itself, in the figure's unit (halfWidth) and relative to
 * it. measured: from samples (`of` names the sampled quantity when it is not the figure itself);
 * exact: a count, with no sampling noise; assumed: the figure has no samples, so a documented
 * allowance stands in for them.
 */
export type Noise =
  | { kind: 'measured'; source: 'per-second' | 'repeats'; samples: number; relative: number; halfWidth: number; of?: string }
  | { kind: 'exact'; relative: 0; halfWidth: 0; reason: string }
  | { kind: 'assumed'; relative: number; halfWidth: number; reason: string };

/**
 * The noise of a difference between two independent figures: the half-widths added in quadrature
 * (the variance of a difference is the sum of the variances).
 */
export function combinedHalfWidth(a: Noise, b: Noise): number {
  return Math.hypot(a.halfWidth, b.halfWidth);
}

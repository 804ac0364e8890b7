/** The CI gate's statistics (reports/gate/stats.ts) against published values, not against themselves. */
import { describe, expect, it } from 'vitest';
import { combinedRatio, mannWhitney, normalUpperTail, ratioInterval, ratioOfMedians, vanElteren } from '../../reports/gate/stats.ts';

describe('mannWhitney', () => {
  it('gives the exact two-sided p of the published tables for 5 and 5 values', () => {
    // U = 0 (complete separation): 2 of the C(10,5) = 252 orderings are as extreme: p = 2/252.
    expect(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p).toBeCloseTo(2 / 252, 10);
    // U = 2: the two-sided 5 % critical value for 5 and 5 (P(U <= 2) = 4/252, so p = 0.0317).
    expect(mannWhitney([1, 2, 3, 6.5, 4], [5, 6, 7, 8, 9]).u).toBe(2);
    expect(mannWhitney([1, 2, 3, 6.5, 4], [5, 6, 7, 8, 9]).p).toBeCloseTo(8 / 252, 10);
    // U = 3: p = 2 x 7/252 = 0.0556, just above 5 %.
    expect(mannWhitney([1, 2, 3, 4.5, 5.5], [4, 5, 6, 7, 8]).u).toBe(3);
    expect(mannWhitney([1, 2, 3, 4.5, 5.5], [4, 5, 6, 7, 8]).p).toBeCloseTo(14 / 252, 10);
  });

  it('is symmetric, and 1 for identical samples', () => {
    const a = [3.1, 2.9, 3.3, 3.0, 3.2];
    const b = [3.4, 3.5, 3.6, 3.05, 3.7];
    expect(mannWhitney(a, b).p).toBeCloseTo(mannWhitney(b, a).p, 12);
    expect(mannWhitney([4, 4, 4], [4, 4, 4]).p).toBe(1);
  });

  it('falls back to the tie-corrected normal approximation with ties', () => {
    const result = mannWhitney([1, 1, 2, 2, 3], [3, 4, 4, 5, 5]);
    expect(result.exact).toBe(false);
    expect(result.p).toBeGreaterThan(0.005);
    expect(result.p).toBeLessThan(0.03);
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
  });
});

describe('ratioInterval (Mann-Whitney, on logs)', () => {
  it('excludes 1 exactly when the 5 and 5 test rejects at its own coverage (96.8 %)', () => {
    const base = [10, 10.4, 9.8, 10.2, 10.1];
    const slower = base.map((v) => v * 1.2);
    const interval = ratioInterval(base, slower)!;
    expect(interval.coverage).toBeCloseTo(1 - 8 / 252, 10);
    expect(interval.ratio).toBeCloseTo(1.2, 1);
    expect(interval.lower).toBeGreaterThan(1);
    const same = ratioInterval(base, [10.3, 9.9, 10, 10.2, 9.7])!;
    expect(same.lower).toBeLessThan(1);
    expect(same.upper).toBeGreaterThan(1);
  });

  it('is null where a value has no logarithm; the bootstrap then answers, the same on every call', () => {
    expect(ratioInterval([0, 1, 2], [1, 2, 3])).toBeNull();
    const first = ratioOfMedians([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(first).toEqual(ratioOfMedians([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]));
    expect(first!.ratio).toBe(2);
    expect(ratioOfMedians([0, 0, 0], [1, 2, 3])).toBeNull();
  });
});

describe('vanElteren (stratified rank test)', () => {
  it('is the rank-sum z of one stratum: 5 against 5 wholly apart gives z = 12.5 / sqrt(275 / 12)', () => {
    // Rank sum of the second sample 6 + ... + 10 = 40, expected 5 x 11 / 2 = 27.5, variance 5 x 5 x 11 / 12.
    const { z, p } = vanElteren([{ a: [1, 2, 3, 4, 5], b: [6, 7, 8, 9, 10] }]);
    expect(z).toBeCloseTo(12.5 / Math.sqrt(275 / 12), 10);
    expect(p).toBeCloseTo(2 * normalUpperTail(12.5 / Math.sqrt(275 / 12)), 10);
  });

  it('gathers evidence over strata (k alike strata: z times sqrt(k)), whatever each stratum’s scale', () => {
    const one = vanElteren([{ a: [1, 2, 3, 4, 5], b: [6, 7, 8, 9, 10] }]).z;
    const scaled = [1, 1000, 0.001].map((k) => ({ a: [1, 2, 3, 4, 5].map((v) => v * k), b: [6, 7, 8, 9, 10].map((v) => v * k) }));
    expect(vanElteren(scaled).z).toBeCloseTo(one * Math.sqrt(3), 10);
    expect(vanElteren([{ a: [1, 3, 5, 7, 9], b: [2, 4, 6, 8, 10] }, { a: [2, 4, 6, 8, 10], b: [1, 3, 5, 7, 9] }]).z).toBeCloseTo(0, 10);
    expect(vanElteren([{ a: [4, 4, 4], b: [4, 4, 4] }]).p).toBe(1);
  });

  it('combinedRatio is the geometric mean of the strata’s ratios of medians, with an interval around it', () => {
    const found = combinedRatio([
      { a: [10, 10.2, 9.9, 10.1, 10], b: [12, 12.1, 11.9, 12.2, 12] },
      { a: [1, 1.01, 0.99, 1.02, 1], b: [1.5, 1.51, 1.49, 1.52, 1.5] },
    ])!;
    expect(found.ratio).toBeCloseTo(Math.sqrt(1.2 * 1.5), 10);
    expect(found.lower).toBeLessThan(found.ratio);
    expect(found.upper).toBeGreaterThan(found.ratio);
    expect(found.lower).toBeGreaterThan(1.3);
    expect(combinedRatio([{ a: [0, 0, 0], b: [1, 1, 1] }])).toBeNull();
  });
});

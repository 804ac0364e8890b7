/** The CI gate's statistics (reports/gate/stats.ts) against published values, not against themselves. */
import { describe, expect, it } from 'vitest';
import { mannWhitney, normalUpperTail, ratioInterval, ratioOfMedians } from '../../reports/gate/stats.ts';

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

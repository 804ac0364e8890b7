import { describe, expect, it } from 'vitest';
import {
  createHistogram,
  createHotHistogram,
  loadFastHistograms,
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  recordMicros,
  summarize,
  type Histogram,
  type Summary,
} from '../../metrics/histogram.ts';
import { histogramOf } from '../support/results.ts';

/** HDR at 3 significant digits: any reported value is within 0.1 % of the true one. */
const PRECISION = 0.001;

/** 1..n ms in 1 ms steps, in µs. */
function uniformMs(n: number, stepUs = 1000): number[] {
  return Array.from({ length: n }, (_, i) => (i + 1) * stepUs);
}

function expectNear(actual: number, expected: number, relative = PRECISION): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * relative + 0.001);
}

function summaryOf(h: Histogram): Summary {
  const s = summarize(h);
  if (s === null) throw new Error('expected a summary');
  return s;
}

describe('summarize', () => {
  it('is null for an empty histogram (not a distribution of zeros)', () => {
    expect(summarize(createHistogram())).toBeNull();
  });

  it('reports percentiles of 1..1000 ms uniform in ms, within 0.1 %', () => {
    const s = summaryOf(histogramOf(uniformMs(1000)));
    expect(s.count).toBe(1000);
    expectNear(s.p50, 500);
    expectNear(s.p90, 900);
    expectNear(s.p99, 990);
    expectNear(s.p999, 999);
    expectNear(s.max, 1000);
    expectNear(s.mean, 500.5);
    // Ordered, and distinguishable from neighbours one millisecond apart.
    expect(s.p50).toBeLessThan(501);
    expect(s.p50).toBeGreaterThanOrEqual(499.5);
    expect(s.p90).toBeGreaterThan(s.p50);
    expect(s.p99).toBeGreaterThan(s.p90);
    expect(s.p999).toBeGreaterThan(s.p99);
  });

  it('keeps µs resolution for sub-millisecond values', () => {
    // 1..1000 µs: below 2048 µs HDR is exact at 3 digits.
    const s = summaryOf(histogramOf(uniformMs(1000, 1)));
    expect(s.p50).toBe(0.5);
    expect(s.p90).toBe(0.9);
    expect(s.p99).toBe(0.99);
    expect(s.p999).toBe(0.999);
    expect(s.max).toBe(1);
    // The mean, 500.5 µs, rounds to the nearest µs.
    expect(s.mean).toBe(0.501);
    expect(s.count).toBe(1000);
  });

  it('reports a skewed distribution: 990 fast values and a 10-value slow tail', () => {
    const values = [...Array<number>(990).fill(2_000), ...Array<number>(10).fill(250_000)];
    const s = summaryOf(histogramOf(values));
    expect(s.count).toBe(1000);
    expectNear(s.p50, 2);
    expectNear(s.p90, 2);
    expectNear(s.p99, 2);
    expectNear(s.p999, 250);
    expectNear(s.max, 250);
    expectNear(s.mean, (990 * 2 + 10 * 250) / 1000);
  });

  it('rounds fractional microseconds to the nearest µs', () => {
    const s = summaryOf(histogramOf([1500.4, 1500.6]));
    expect(s.count).toBe(2);
    expect(s.p50).toBe(1.5);
    expect(s.max).toBe(1.501);
  });

  it('a lone value is reported as that value', () => {
    const s = summaryOf(histogramOf([1234]));
    expect(s).toEqual({ p50: 1.234, p90: 1.234, p99: 1.234, p999: 1.234, max: 1.234, mean: 1.234, count: 1 });
  });

  it('on the lab path (encode, decode, merge) no percentile exceeds the maximum', () => {
    for (const values of [[500_000], [3_000, 1_000_000], uniformMs(1000, 7_777)]) {
      const s = summaryOf(mergeHistograms([decodeHistogram(encodeHistogram(histogramOf(values)))]));
      expect(s.p50).toBeLessThanOrEqual(s.max);
      expect(s.p99).toBeLessThanOrEqual(s.max);
      expect(s.p999).toBeLessThanOrEqual(s.max);
      expectNear(s.max, Math.max(...values) / 1000);
    }
  });

  // BUG (latent; metrics/histogram.ts summarize, line 77 vs 73-76): percentiles come from
  // getValueAtPercentile, which returns the top of the value's HDR bucket, while max is
  // histogram.maxValue, the raw recorded maximum. Above 2048 µs the two differ, so summarising a
  // histogram that was recorded directly (not decoded) says p50 > max: one value of 500,000 µs gives
  // p50 = p99 = 500.223 ms but max = 500 ms. (A decoded histogram's max is already the bucket top.)
  it('never reports a percentile above the maximum, even for a histogram recorded directly', () => {
    const s = summaryOf(histogramOf([500_000]));
    expect(s.p50).toBeLessThanOrEqual(s.max);
    expect(s.p99).toBeLessThanOrEqual(s.max);
    expect(s.p999).toBeLessThanOrEqual(s.max);
  });
});

describe('recordMicros clamping', () => {
  it('clamps values below 1 µs to 1 µs and counts them', () => {
    const s = summaryOf(histogramOf([0, 0.2, -5, -1e9]));
    expect(s.count).toBe(4);
    expect(s.p50).toBe(0.001);
    expect(s.max).toBe(0.001);
    expect(s.mean).toBe(0.001);
  });

  it('clamps values above 10 minutes to 10 minutes and counts them', () => {
    const h = histogramOf([1_000, 1e12, 600_000_001, Number.MAX_SAFE_INTEGER]);
    const s = summaryOf(h);
    expect(s.count).toBe(4);
    // max is the top of the highest HDR bucket (0.1 % precision), like every percentile.
    expectNear(s.max, 600_000);
    expectNear(s.p999, 600_000);
    expect(h.totalCount).toBe(4);
  });

  it('mixes clamped and ordinary values without dropping any', () => {
    const values = [-1, 0, ...uniformMs(97), 1e15];
    const s = summaryOf(histogramOf(values));
    expect(s.count).toBe(100);
    // The 50th of 100 values: two clamped to 1 µs come first, so it is 48 ms.
    expectNear(s.p50, 48);
    expectNear(s.max, 600_000);
  });
});

describe('encode / decode', () => {
  it('round-trips count and every percentile', () => {
    const original = histogramOf([...uniformMs(1000), 17, 3_000_000, 42_424]);
    const encoded = encodeHistogram(original);
    expect(typeof encoded).toBe('string');
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const decoded = decodeHistogram(encoded);
    expect(decoded.totalCount).toBe(1003);
    const before = summaryOf(original);
    const after = summaryOf(decoded);
    expect({ ...after, max: 0, mean: 0 }).toEqual({ ...before, max: 0, mean: 0 });
    for (const p of [1, 10, 50, 90, 99, 99.9, 99.99, 100]) expect(decoded.getValueAtPercentile(p)).toBe(original.getValueAtPercentile(p));
    // The maximum survives to HDR precision (after decoding it is the top of its bucket).
    expectNear(after.max, 3000);
    expectNear(after.mean, before.mean);
    // A second round trip changes nothing at all.
    expect(summarize(decodeHistogram(encodeHistogram(decoded)))).toEqual(after);
  });

  it('round-trips an empty histogram', () => {
    const decoded = decodeHistogram(encodeHistogram(createHistogram()));
    expect(decoded.totalCount).toBe(0);
    expect(summarize(decoded)).toBeNull();
  });

  it('decodes into the lab layout: clamped extremes still record after decoding', () => {
    const decoded = decodeHistogram(encodeHistogram(histogramOf([5_000])));
    recordMicros(decoded, 1e12);
    recordMicros(decoded, 0);
    const s = summaryOf(decoded);
    expect(s.count).toBe(3);
    expectNear(s.max, 600_000);
    expectNear(s.p50, 5);
    expect(s.p90).toBeGreaterThan(599_000);
  });

  it.each(['', 'hello', 'not base64!!', 'AAAA', '{"p50":1}', Buffer.from('garbage bytes here').toString('base64')])(
    'throws a clear Error on garbage %j',
    (garbage) => {
      expect(() => decodeHistogram(garbage)).toThrow(Error);
      expect(() => decodeHistogram(garbage)).toThrow(/not an encoded HDR histogram/);
    },
  );
});

describe('merging', () => {
  const a = [...uniformMs(500), 250_000, 7];
  const b = [...uniformMs(300, 3_000), 900_000, 1, 0];

  it('merging two encoded histograms equals recording both sets into one', () => {
    const merged = mergeHistograms([decodeHistogram(encodeHistogram(histogramOf(a))), decodeHistogram(encodeHistogram(histogramOf(b)))]);
    const direct = histogramOf([...a, ...b]);
    expect(merged.totalCount).toBe(a.length + b.length);
    for (const p of [0, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) expect(merged.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
    // Same summary as the one histogram would give once it crossed a process boundary too.
    expect(summarize(merged)).toEqual(summarize(decodeHistogram(encodeHistogram(direct))));
    expectNear(summaryOf(merged).max, 900);
  });

  it('is the sum of counts, not an average of percentiles', () => {
    // 900 values at 1 ms and 100 at 100 ms: the merged p90 is 1 ms, p99 100 ms (an average of
    // the two p99s would be ~50 ms).
    const fast = histogramOf(Array<number>(900).fill(1_000));
    const slow = histogramOf(Array<number>(100).fill(100_000));
    const s = summaryOf(mergeHistograms([fast, slow]));
    expect(s.count).toBe(1000);
    expect(s.p90).toBe(1);
    expectNear(s.p99, 100);
    expectNear(s.mean, (900 * 1 + 100 * 100) / 1000);
  });

  it('merging nothing gives an empty histogram; merging leaves the inputs unchanged', () => {
    expect(summarize(mergeHistograms([]))).toBeNull();
    const one = histogramOf([1_000, 2_000]);
    const merged = mergeHistograms([one, one]);
    expect(merged.totalCount).toBe(4);
    expect(one.totalCount).toBe(2);
  });
});

describe('hot histograms (the WebAssembly build the load workers record on)', () => {
  it('record, reset, encode and decode exactly as the TypeScript build does', () => {
    loadFastHistograms();
    const hot = createHotHistogram();
    const plain = createHistogram();
    expect(hot.constructor.name).toBe('WasmHistogram');
    const values = Array.from({ length: 5000 }, (_, i) => 1 + ((i * 7919) % 250_000));
    recordMicros(hot, 999_999_999);
    hot.reset();
    for (const v of values) {
      recordMicros(hot, v);
      recordMicros(plain, v);
    }
    expect(summarize(hot)).toEqual(summarize(plain));
    expect(summarize(decodeHistogram(encodeHistogram(hot)))).toEqual(summarize(plain));
  });
});

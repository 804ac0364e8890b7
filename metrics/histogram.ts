/**
 * HDR histograms for every distribution the lab reports. Values are recorded in microseconds and
 * summarised in milliseconds. Histograms cross process boundaries as compressed base64 (the HDR
 * interchange format, as autocannon does) and are merged by adding, never by averaging percentiles.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** 1 µs to 10 minutes at 3 significant digits: 0.1 % resolution at every scale. */
const LOWEST_US = 1;
const HIGHEST_US = 600_000_000;
const SIGNIFICANT_DIGITS = 3;

export function createHistogram(): Histogram {
  return build(false);
}

function build(useWebAssembly: boolean): Histogram {
  return hdr.build({
    bitBucketSize: 64,
    autoResize: false,
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly,
  });
}

let webAssemblyLoaded = false;

/**
 * Loads the library's WebAssembly build for createHotHistogram. A load worker records two or three
 * values per delivery, over a million deliveries a second: the WebAssembly build records one in
 * about 21 ns, the TypeScript one in about 98 ns (measured on this machine, 2026-12-02), which was
 * a third of the workers' CPU. Without WebAssembly the TypeScript build is used, with the same
 * layout and results.
 */
export function loadFastHistograms(): void {
  if (webAssemblyLoaded) return;
  try {
    hdr.initWebAssemblySync();
    webAssemblyLoaded = true;
  } catch {
    webAssemblyLoaded = false;
  }
}

/**
 * A histogram recorded on a hot path, kept for the life of its process and reused with reset():
 * a WebAssembly histogram's memory is freed only by destroy(), so none is made per window.
 */
export function createHotHistogram(): Histogram {
  return build(webAssemblyLoaded);
}

/** Records a duration in µs. Values outside the trackable range are clamped, so nothing is dropped silently. */
export function recordMicros(histogram: Histogram, micros: number): void {
  histogram.recordValue(micros < LOWEST_US ? LOWEST_US : micros > HIGHEST_US ? HIGHEST_US : Math.round(micros));
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Decodes a histogram written by encodeHistogram; throws with a clear message on anything else. */
export function decodeHistogram(encoded: string): Histogram {
  let decoded: Histogram;
  try {
    decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  } catch (err) {
    throw new Error(`not an encoded HDR histogram (${(err as Error).message})`);
  }
  // Re-home into the lab's fixed layout so every merged histogram has the same range and precision.
  const histogram = createHistogram();
  histogram.add(decoded);
  return histogram;
}

/** Adds every histogram into a new one. */
export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const total = createHistogram();
  for (const h of histograms) total.add(h);
  return total;
}

/** The percentile summary every distribution in results.json uses, in milliseconds. */
export interface Summary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

const ms = (micros: number): number => Math.round(micros) / 1000;

/** null when nothing was recorded: a missing distribution is not a distribution of zeros. */
export function summarize(histogram: Histogram): Summary | null {
  if (histogram.totalCount === 0) return null;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    // The top of the highest bucket, like the percentiles, so max is never below p99.9.
    max: ms(histogram.getValueAtPercentile(100)),
    mean: Math.round(histogram.mean) / 1000,
    count: histogram.totalCount,
  };
}

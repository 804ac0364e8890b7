/**
 * Event-loop lag: how late a 10 ms timer fires, recorded in an HDR histogram (µs). Node's own
 * monitorEventLoopDelay reported the sampling interval itself as the delay on this machine and
 * missed a 50 ms block, so the lab measures lag directly.
 */
import * as hdr from 'hdr-histogram-js';

const INTERVAL_MS = 10;

export class LoopLagMonitor {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;

  start(): void {
    this.expected = performance.now() + INTERVAL_MS;
    const tick = (): void => {
      const now = performance.now();
      this.histogram.recordValue(Math.max(1, Math.round((now - this.expected) * 1000)));
      this.expected = now + INTERVAL_MS;
      this.timer = setTimeout(tick, INTERVAL_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, INTERVAL_MS);
    this.timer.unref();
  }

  /** Percentiles in milliseconds since the last reset. */
  summary(): { p50: number; p90: number; p99: number; max: number; mean: number; count: number } {
    const h = this.histogram;
    const ms = (us: number): number => us / 1000;
    return {
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
      count: h.totalCount,
    };
  }

  reset(): void {
    this.histogram.reset();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

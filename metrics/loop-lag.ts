/**
 * Event-loop lag: how late a 10 ms timer fires, recorded in an HDR histogram (µs). Node's own
 * monitorEventLoopDelay reported the sampling interval itself as the delay on this machine and
 * missed a 50 ms block, so the lab measures lag directly. Platform-free: Node load workers and
 * Chromium pages run this same monitor.
 */
import * as hdr from 'hdr-histogram-js';
import { unrefTimer, type Timer } from '../scenarios/clock.ts';

const INTERVAL_MS = 10;
const HIGHEST_US = 60_000_000;

export class LoopLagMonitor {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  private timer: Timer | undefined;
  private expected = 0;

  start(): void {
    this.expected = performance.now() + INTERVAL_MS;
    const tick = (): void => {
      const now = performance.now();
      // Clamped: a lag beyond the histogram's range (a process frozen for a minute) must not throw.
      this.histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round((now - this.expected) * 1000))));
      this.expected = now + INTERVAL_MS;
      this.timer = setTimeout(tick, INTERVAL_MS);
      unrefTimer(this.timer);
    };
    this.timer = setTimeout(tick, INTERVAL_MS);
    unrefTimer(this.timer);
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

import { performance } from 'node:perf_hooks';

/**
 * The lab's one clock: microseconds of host time, `performance.timeOrigin + performance.now()`,
 * the same expression Chromium pages use, so one-way delays between processes are differences.
 */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

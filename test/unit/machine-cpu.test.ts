/** Machine busy time from /proc/stat: softirq and steal count, idle and iowait do not. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { busyTicksOfProcStat, machineBusyUs } from '../../bench/machine-cpu.ts';

const STAT = [
  'cpu  247185 923 78690 178174 550 7 35132 12465 0 0',
  'cpu0 123000 400 39000 89000 275 3 17500 6200 0 0',
  'intr 123456 0 0',
].join('\n');

describe('busyTicksOfProcStat', () => {
  it('adds user, nice, system, irq, softirq and steal of the all-cores line; leaves idle, iowait and guest out', () => {
    expect(busyTicksOfProcStat(STAT)).toBe(247185 + 923 + 78690 + 7 + 35132 + 12465);
  });

  it('has no answer for a file without a whole cpu line', () => {
    expect(busyTicksOfProcStat('cpu0 1 2 3 4 5 6 7 8\n')).toBeNull();
    expect(busyTicksOfProcStat('cpu  1 2 3 4\n')).toBeNull();
    expect(busyTicksOfProcStat('cpu  1 2 3 x 5 6 7 8\n')).toBeNull();
  });
});

describe('machineBusyUs', () => {
  it('grows while a core is kept busy, by no more than the cores could give', () => {
    const before = machineBusyUs();
    const started = performance.now();
    while (performance.now() - started < 200) {
      // spin: this core is busy for 200 ms
    }
    const elapsedUs = (performance.now() - started) * 1000;
    const busy = machineBusyUs() - before;
    // Ticks are 10 ms: allow two on each side of the spin.
    expect(busy).toBeGreaterThanOrEqual(elapsedUs - 20_000);
    expect(busy).toBeLessThanOrEqual(elapsedUs * availableParallelism() + 20_000);
  });
});

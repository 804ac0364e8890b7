import { describe, expect, it } from 'vitest';
import { nowMicros, wallClockMicros } from '../../scenarios/clock.ts';

/** A host whose wall clock can be stepped while its monotonic clock runs on. */
function fakeHost(offsetMs: number) {
  const host = { monotonicMs: 1_000.25, offsetMs };
  return {
    host,
    wall: () => Math.floor(host.offsetMs + host.monotonicMs),
    monotonic: () => host.monotonicMs,
  };
}

describe('the lab clock', () => {
  it('follows the host wall clock after it steps, so processes started before and after a step agree', () => {
    const { host, wall, monotonic } = fakeHost(1_700_000_000_000);
    const startedBefore = wallClockMicros(wall, monotonic);
    startedBefore();
    host.offsetMs += 8_300; // the wall clock steps forward by 8.3 s
    host.monotonicMs += 10;
    const startedAfter = wallClockMicros(wall, monotonic);
    expect(Math.abs(startedBefore() - startedAfter())).toBeLessThan(1_000);
    host.offsetMs -= 130; // and back by 130 ms
    host.monotonicMs += 10;
    expect(Math.abs(startedBefore() - (host.offsetMs + host.monotonicMs) * 1000)).toBeLessThan(1_000);
  });

  it('resolves below a millisecond although the wall clock reads whole milliseconds', () => {
    const { host, wall, monotonic } = fakeHost(1_700_000_000_000.6);
    const clock = wallClockMicros(wall, monotonic);
    for (let step = 0; step < 20; step++) {
      host.monotonicMs += 0.37;
      clock();
    }
    host.monotonicMs += 0.37;
    expect(Math.abs(clock() - (host.offsetMs + host.monotonicMs) * 1000)).toBeLessThan(150);
  });

  it('does not go back by rounding: successive reads with a steady wall clock never decrease', () => {
    const { host, wall, monotonic } = fakeHost(1_700_000_000_000.9);
    const clock = wallClockMicros(wall, monotonic);
    let last = clock();
    for (let step = 0; step < 1000; step++) {
      host.monotonicMs += 0.013;
      const read = clock();
      expect(read).toBeGreaterThanOrEqual(last);
      last = read;
    }
  });

  it('reads the real host clock: within a millisecond of Date.now()', () => {
    for (let i = 0; i < 100; i++) nowMicros();
    const before = Date.now() * 1000;
    const read = nowMicros();
    const after = (Date.now() + 1) * 1000;
    expect(read).toBeGreaterThanOrEqual(before - 1000);
    expect(read).toBeLessThanOrEqual(after + 1000);
  });
});

describe('the lab clock on a busy machine', () => {
  it('never goes back when the thread is preempted between its reads (the wall clock steady)', () => {
    // A preemption of 3 ms lands between reads of the monotonic clock and the wall clock, at every
    // point of the read: the old single-read anchor took that for a step forward, then stepped back.
    const offsetMs = 1_700_000_000_000.4;
    let monotonicMs = 5_000;
    let preemptAt = -1;
    let call = 0;
    const monotonic = (): number => {
      if (call++ === preemptAt) monotonicMs += 3;
      return monotonicMs;
    };
    const wall = (): number => {
      if (call++ === preemptAt) monotonicMs += 3;
      return Math.floor(offsetMs + monotonicMs);
    };
    const clock = wallClockMicros(wall, monotonic);
    let last = clock();
    for (let read = 0; read < 300; read++) {
      monotonicMs += 0.29;
      if (read % 7 === 3) preemptAt = call + (read % 3);
      const now = clock();
      expect(now).toBeGreaterThanOrEqual(last);
      expect(Math.abs(now - (offsetMs + monotonicMs) * 1000)).toBeLessThan(1_000);
      last = now;
    }
  });
});

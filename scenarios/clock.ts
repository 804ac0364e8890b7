/**
 * The lab's one clock: microseconds of host (wall-clock) time, read through the monotonic
 * `performance.now()` for sub-millisecond resolution. Platform-free (the global `performance` and
 * `Date` of Node and of Chromium pages), so the Node processes and the browser pages read the same
 * clock with the same code, and one-way delays between them are differences.
 *
 * Why not `performance.timeOrigin + performance.now()`: `timeOrigin` is the wall clock read once, when
 * the process (or page) started. When the host's wall clock steps afterwards (a VM restored from a
 * snapshot, NTP correcting a few hundred ms), every process started before the step disagrees with
 * every process started after it by the size of the step, for good. Seen here: 130 ms and 8 s, which
 * put every delivery outside its window. So the anchor that maps monotonic time to wall time is
 * re-derived from `Date.now()` on every read: all processes follow the same kernel clock, and agree
 * with each other within a millisecond whatever it did before they started.
 */
const STEP_BACK_TOLERANCE_MS = 1;

export function wallClockMicros(readWallMs: () => number = Date.now, readMonotonicMs: () => number = () => performance.now()): () => number {
  let anchorMs = Number.NEGATIVE_INFINITY;
  return () => {
    // The wall clock is read between two monotonic reads. Date.now() is whole milliseconds rounded
    // down, so the true offset (wall - monotonic) lies in [wall - after, wall + 1 - before]. The anchor
    // is the largest lower bound seen: it converges on the offset from below, to sub-ms, and a thread
    // preempted between the reads only widens the interval, so it can never push the anchor too far.
    // An upper bound more than 1 ms below the anchor cannot come from rounding, preemption or Chromium's
    // coarsened performance.now() (100 µs): the wall clock stepped back.
    const before = readMonotonicMs();
    const wall = readWallMs();
    const after = readMonotonicMs();
    const lowerMs = wall - after;
    if (lowerMs > anchorMs || wall + 1 - before < anchorMs - STEP_BACK_TOLERANCE_MS) anchorMs = lowerMs;
    return Math.round((anchorMs + after) * 1000);
  };
}

export const nowMicros: () => number = wallClockMicros();

export type Timer = ReturnType<typeof setTimeout>;

/** Lets a Node process exit while this timer is pending; a browser timer (a number) has no such notion. */
export function unrefTimer(timer: Timer): void {
  if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
}

/**
 * Calls `tick(second)` just after each whole second since `originUs` ends, so every process's
 * second n covers the same time. Seconds are counted, not re-derived from the clock: a timer that
 * fires a little early must not report one second twice. Returns a stop function.
 */
export function everySecondSince(originUs: number, tick: (second: number) => void): () => void {
  let next = Math.ceil((nowMicros() - originUs + 1) / 1_000_000);
  let timer: Timer | undefined;
  let stopped = false;
  const schedule = (): void => {
    timer = setTimeout(
      () => {
        const second = next - 1;
        next++;
        tick(second);
        if (!stopped) schedule();
      },
      Math.max(0, (originUs + next * 1_000_000 - nowMicros()) / 1000) + 1,
    );
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

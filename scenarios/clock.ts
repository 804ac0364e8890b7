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
export function wallClockMicros(readWallMs: () => number = Date.now, readMonotonicMs: () => number = () => performance.now()): () => number {
  let anchorMs = readWallMs() - readMonotonicMs();
  return () => {
    const monotonicMs = readMonotonicMs();
    // Date.now() is whole milliseconds rounded down, so wall - monotonic lies in (offset - 1, offset]:
    // the largest value seen converges on the true offset from below, giving sub-ms agreement. A
    // value more than 1 ms below the anchor cannot come from rounding: the wall clock stepped back.
    const candidateMs = readWallMs() - monotonicMs;
    if (candidateMs > anchorMs || candidateMs < anchorMs - 1) anchorMs = candidateMs;
    return Math.round((anchorMs + monotonicMs) * 1000);
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

/**
 * The lab's one clock: microseconds of host time, `performance.timeOrigin + performance.now()`.
 * Platform-free (the global `performance` of Node and of Chromium pages), so the Node processes and
 * the browser pages read the same clock with the same code, and one-way delays between them are
 * differences.
 */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

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

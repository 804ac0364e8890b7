/** Waiting on conditions instead of on the clock: every wait ends as soon as what it waits for holds. */

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Asserts that nothing happens for `windowMs`: `read` (a server counter, say) must return the same
 * value throughout. A negative ("never reconnects") can only be observed over a window; its length is
 * the caller's parameter, and the wait fails as soon as the value moves.
 */
export async function holdsSteady<T>(read: () => Promise<T> | T, what: string, windowMs: number): Promise<T> {
  const first = await read();
  const deadline = Date.now() + windowMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(20, windowMs)));
    const now = await read();
    if (JSON.stringify(now) !== JSON.stringify(first)) throw new Error(`${what} changed from ${JSON.stringify(first)} to ${JSON.stringify(now)} within ${windowMs} ms`);
  }
  return first;
}

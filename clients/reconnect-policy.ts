/**
 * Reconnect delays as the seed notes prescribe: 1 s, 2 s, 4 s ... capped at 30 s, reset after a
 * successful connection. Pure, so it is tested without sockets.
 */
export interface ReconnectOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up after this many failed attempts in a row (Infinity: never). */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: Infinity };

export class BackoffPolicy {
  private attempts = 0;
  constructor(private readonly options: ReconnectOptions = DEFAULT_RECONNECT) {}

  /** The delay before the next attempt, or undefined when the client should give up. */
  next(): number | undefined {
    if (this.attempts >= this.options.maxAttempts) return undefined;
    const delay = Math.min(this.options.initialDelayMs * 2 ** this.attempts, this.options.maxDelayMs);
    this.attempts++;
    return delay;
  }

  reset(): void {
    this.attempts = 0;
  }
}

/**
 * A token bucket: it holds at most `burst` tokens, refills at `ratePerSec`, and each admitted event
 * takes one. Time is passed in (ms, e.g. `performance.now()`), so tests drive it with a fake clock.
 *
 * Hand-written on purpose: it is a few arithmetic operations on the caller's own object, checked once
 * per WebSocket message with no lookup and no allocation. The npm limiters (rate-limiter-flexible,
 * limiter, bottleneck) are keyed stores with promises or timers per call, far heavier than that.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    ratePerSec: number,
    readonly burst: number,
    now: number,
  ) {
    this.perMs = ratePerSec / 1000;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes a token if there is one. */
  take(now: number): boolean {
    const tokens = this.level(now);
    this.last = now;
    if (tokens >= 1) {
      this.tokens = tokens - 1;
      return true;
    }
    this.tokens = tokens;
    return false;
  }

  /** Whole seconds until a token is there again (an HTTP Retry-After), at least 1. */
  retryAfterSeconds(now: number): number {
    const missing = 1 - this.level(now);
    return Math.max(1, Math.ceil(missing / this.perMs / 1000));
  }

  /** Full again: a fresh bucket would behave the same, so there is nothing left to remember. */
  isFull(now: number): boolean {
    return this.level(now) >= this.burst;
  }

  private level(now: number): number {
    return Math.min(this.burst, this.tokens + Math.max(0, now - this.last) * this.perMs);
  }
}

/** A burst of 0 in the options means one second's worth of the rate. */
export function burstOf(ratePerSec: number, burst: number): number {
  return burst > 0 ? burst : ratePerSec;
}

/**
 * One WebSocket connection's message limit, held on the connection's own object so that the check
 * per message is a few arithmetic operations: a token bucket, and a count of refusals within the
 * last second that tells a client over its limit now and then from one that keeps flooding.
 */
import { TokenBucket } from './token-bucket.ts';

/** admit: handle it; refuse: drop it with an error; close: drop it, error, then close 1008; closed: drop it silently (already closing). */
export type MessageVerdict = 'admit' | 'refuse' | 'close' | 'closed';

const STRIKE_WINDOW_MS = 1000;

export class MessageRateLimit {
  private readonly bucket: TokenBucket;
  private strikes = 0;
  private windowStart = -Infinity;
  private closing = false;

  /** `closeAfter`: refusals within one second that are tolerated; the next one closes (0: never close). */
  constructor(
    readonly ratePerSec: number,
    burst: number,
    private readonly closeAfter: number,
    now: number,
  ) {
    this.bucket = new TokenBucket(ratePerSec, burst, now);
  }

  get burst(): number {
    return this.bucket.burst;
  }

  check(now: number): MessageVerdict {
    if (this.closing) return 'closed';
    if (this.bucket.take(now)) return 'admit';
    if (now - this.windowStart >= STRIKE_WINDOW_MS) {
      this.windowStart = now;
      this.strikes = 0;
    }
    this.strikes++;
    if (this.closeAfter > 0 && this.strikes > this.closeAfter) {
      this.closing = true;
      return 'close';
    }
    return 'refuse';
  }

  retryAfterSeconds(now: number): number {
    return this.bucket.retryAfterSeconds(now);
  }
}

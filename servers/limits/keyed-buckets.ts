/**
 * Token buckets by key (a remote address, or a client id at an address), for HTTP requests, where a
 * Map lookup is nothing next to the request itself. Memory stays bounded without a timer: a bucket
 * that has refilled is forgotten (a new one would behave the same), swept at most every few seconds
 * when a new key arrives; and at `maxKeys` live buckets new keys share their overflow key's bucket
 * (their address's), so a client cannot escape its limit, or grow the map, by inventing ids.
 */
import { TokenBucket } from './token-bucket.ts';

export const MAX_TRACKED_KEYS = 100_000;
const SWEEP_INTERVAL_MS = 5000;
/** At the cap, how often a new key may trigger a sweep (each is O(keys)). */
const FULL_SWEEP_INTERVAL_MS = 1000;

export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
    private readonly maxKeys = MAX_TRACKED_KEYS,
  ) {
    this.lastSweep = now;
  }

  /** Takes a token from `key`'s bucket: 0 when admitted, else the whole seconds until one is there (Retry-After). */
  take(key: string, now: number, overflowKey = key): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      const full = this.buckets.size >= this.maxKeys;
      if (now - this.lastSweep >= (full ? FULL_SWEEP_INTERVAL_MS : SWEEP_INTERVAL_MS)) this.sweep(now);
      const shared = this.buckets.size >= this.maxKeys ? overflowKey : key;
      bucket = this.buckets.get(shared);
      if (bucket === undefined) this.buckets.set(shared, (bucket = new TokenBucket(this.ratePerSec, this.burst, now)));
    }
    return bucket.take(now) ? 0 : bucket.retryAfterSeconds(now);
  }

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }
}

/**
 * What one channel published, for GET /published (docs/PROTOCOL.md §10.4): the `ts` of each recent
 * message, by seq. Seqs are contiguous per channel and `ts` never decreases along them (a feed
 * message's due time, a chat message's append time), so the messages of a time range are one seq
 * range, found by binary search. A ring of timestamps rather than the replay buffer: the replay
 * budget may evict messages from that at any time, and a plain Float64Array costs 8 bytes a message
 * outside the heap.
 *
 * Bounded: a message is forgotten PUBLISHED_LOG_HORIZON_US after a newer one's `ts`, and a channel
 * holds at most PUBLISHED_LOG_MAX_MESSAGES (at 100,000 messages/s the horizon shrinks to about 10 s).
 */

/** How far back a channel's log reaches, µs of `ts`. */
export const PUBLISHED_LOG_HORIZON_US = 60_000_000;
/** Messages one channel's log holds at most (8 MiB of timestamps). */
export const PUBLISHED_LOG_MAX_MESSAGES = 1 << 20;
const INITIAL_SLOTS = 16;

/** One channel's messages whose `ts` falls in [from, to). */
export interface PublishedRange {
  /** First and last seq of the range; the count is last - first + 1. */
  first: number;
  last: number;
  count: number;
}

/** What a channel can say about [from, to): its range (null when it published nothing then), or that its log no longer reaches `from`. */
export type PublishedAnswer = { complete: true; range: PublishedRange | null } | { complete: false; oldestTs: number };

export class PublishedLog {
  private ts = new Float64Array(INITIAL_SLOTS);
  /** Slot of the oldest entry held. */
  private head = 0;
  private count = 0;
  private lastSeq = 0;

  constructor(
    private readonly horizonUs = PUBLISHED_LOG_HORIZON_US,
    private readonly maxMessages = PUBLISHED_LOG_MAX_MESSAGES,
  ) {}

  /** Seq of the oldest entry held. */
  private get oldestSeq(): number {
    return this.lastSeq - this.count + 1;
  }

  private tsAt(index: number): number {
    return this.ts[(this.head + index) % this.ts.length]!;
  }

  /** Records message `seq` (the channel's next) with its `ts`. */
  record(seq: number, ts: number): void {
    // A gap cannot happen on the reference hub; if it did, what is held no longer maps to seqs.
    if (this.count > 0 && seq !== this.lastSeq + 1) this.count = 0;
    while (this.count > 0 && (this.count >= this.maxMessages || ts - this.tsAt(0) > this.horizonUs)) {
      this.head = (this.head + 1) % this.ts.length;
      this.count--;
    }
    if (this.count === this.ts.length) this.grow();
    this.ts[(this.head + this.count) % this.ts.length] = ts;
    this.count++;
    this.lastSeq = seq;
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.maxMessages, this.ts.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.tsAt(i);
    this.ts = next;
    this.head = 0;
  }

  /** Index of the first entry held whose ts is at least `us` (count when none is). */
  private firstAtOrAfter(us: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsAt(mid) < us) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The messages with `ts` in [fromUs, toUs). */
  between(fromUs: number, toUs: number): PublishedAnswer {
    if (this.count === 0) return { complete: true, range: null };
    // Messages before the oldest held may have been in the range, unless the log holds seq 1 on.
    if (this.oldestSeq > 1 && this.tsAt(0) >= fromUs) return { complete: false, oldestTs: this.tsAt(0) };
    const start = this.firstAtOrAfter(fromUs);
    const end = this.firstAtOrAfter(toUs);
    if (end <= start) return { complete: true, range: null };
    const first = this.oldestSeq + start;
    return { complete: true, range: { first, last: first + (end - start) - 1, count: end - start } };
  }
}

/**
 * One cap on the bytes held by every replay buffer together, so that what the server keeps for
 * resume is bounded by its configuration, not by how many channels and messages clients create.
 *
 * Messages are charged when appended and queued in append order. Over the cap, the oldest queued
 * message still held is evicted from its channel: the globally oldest message is always the oldest
 * of its own channel, so every channel's buffer stays contiguous and a resume from an evicted seq
 * is announced as REPLAY_TRUNCATED, exactly as when the per-channel cap pushed it out.
 *
 * Messages that leave a buffer another way (pushed out by --replay-size, their room freed) stay
 * queued as dead entries, skipped when reached; the queue is compacted once the dead outnumber the
 * held (plus a floor of 1024), so it stays within about twice the held messages and pins no more
 * dropped messages than it holds. The ring is hand-written: it is some 50 lines on the hot path
 * (up to 100k appends per second, no allocation per append), needs an in-place filter that the
 * deque packages (denque) lack, and a dependency for it would touch the lockfile.
 */

/** What the budget needs of a message. */
export interface Budgeted {
  /** Bytes charged while the message is held, 0 once it is not (heldBytes is never 0: it includes a fixed overhead). */
  charged: number;
  /** What holding it costs now: payload, encodings built so far, fixed overhead. */
  readonly heldBytes: number;
}

/** Drops a held message, which is the oldest of its channel, from its buffer. */
export type Evict<M> = (message: M) => void;

export interface ReplayBudgetStats {
  /** Messages held by every replay buffer together. */
  messages: number;
  /** Bytes charged for them. */
  bytes: number;
  maxBytes: number;
  /** Messages dropped to stay within maxBytes (not those pushed out by a channel's own --replay-size). */
  evicted: number;
}

const MIN_QUEUE_SLOTS = 1024;

/** A ring of slots whose count is a power of two, so an index is a mask, not a division. */
class Ring<T> {
  private slots: (T | undefined)[];
  private head = 0;
  length = 0;

  constructor(slots = MIN_QUEUE_SLOTS) {
    this.slots = Ring.empty(slots);
  }

  static empty<T>(length: number): (T | undefined)[] {
    // Packed, not `new Array(n)`: a holey array this large would be kept in dictionary mode.
    const slots: (T | undefined)[] = [];
    for (let i = 0; i < length; i++) slots.push(undefined);
    return slots;
  }

  push(item: T): void {
    if (this.length === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.length) & (this.slots.length - 1)] = item;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.length--;
    return item;
  }

  /**
   * Keeps the items that pass `keep`, in order, compacted in place (no allocation on the way). The
   * ring then shrinks, but only to the size it would grow back to before the next compaction
   * (twice the kept plus the floor): a feed at its --replay-size compacts every few thousand
   * appends, and must not reallocate its ring each time.
   */
  retain(keep: (item: T) => boolean): void {
    const mask = this.slots.length - 1;
    let kept = 0;
    for (let read = 0; read < this.length; read++) {
      const item = this.slots[(this.head + read) & mask]!;
      if (keep(item)) this.slots[(this.head + kept++) & mask] = item;
    }
    for (let i = kept; i < this.length; i++) this.slots[(this.head + i) & mask] = undefined;
    this.length = kept;
    let size = MIN_QUEUE_SLOTS;
    while (size < kept * 2 + MIN_QUEUE_SLOTS) size *= 2;
    if (size < this.slots.length) this.resize(size);
  }

  private resize(size: number): void {
    const next = Ring.empty<T>(size);
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.length; i++) next[i] = this.slots[(this.head + i) & mask];
    this.slots = next;
    this.head = 0;
  }
}

export class ReplayBudget<M extends Budgeted> {
  readonly maxBytes: number;
  private readonly evict: Evict<M>;
  private readonly queue = new Ring<M>();
  private bytes = 0;
  private messages = 0;
  private evicted = 0;

  constructor(maxBytes: number, evict: Evict<M>) {
    this.maxBytes = maxBytes;
    this.evict = evict;
  }

  /** Entries in the queue, held and dead: at most about twice the held messages, plus 1024. */
  get queued(): number {
    return this.queue.length;
  }

  get stats(): ReplayBudgetStats {
    return { messages: this.messages, bytes: this.bytes, maxBytes: this.maxBytes, evicted: this.evicted };
  }

  /** A message was appended to a buffer. Call `enforce` once the caller is done with it. */
  add(message: M): void {
    message.charged = message.heldBytes;
    this.bytes += message.charged;
    this.messages++;
    this.queue.push(message);
  }

  /** A held message may cost more now (an encoding was built for it): charge the difference. */
  recharge(message: M): void {
    const now = message.heldBytes;
    if (now === message.charged || message.charged === 0) return;
    this.bytes += now - message.charged;
    message.charged = now;
  }

  /** A message left its buffer by other means (pushed out by the channel's cap, its room freed). */
  release(message: M): void {
    if (message.charged === 0) return;
    this.bytes -= message.charged;
    message.charged = 0;
    this.messages--;
  }

  /** Evicts the oldest held messages until the held bytes are within the cap; then drops dead queue entries when they pile up. */
  enforce(): void {
    while (this.bytes > this.maxBytes) {
      const oldest = this.queue.shift();
      if (oldest === undefined) break;
      // Charged means held: every way out of a buffer releases the message.
      if (oldest.charged === 0) continue;
      this.evict(oldest);
      this.release(oldest);
      this.evicted++;
    }
    if (this.queue.length > 2 * this.messages + MIN_QUEUE_SLOTS) this.queue.retain((message) => message.charged !== 0);
  }
}

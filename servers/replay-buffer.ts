/**
 * The last `capacity` messages of one channel, for resume. Sequence numbers are contiguous per
 * channel, so the slot of a seq is computed (seq modulo the slot count), never searched.
 *
 * The slots grow on demand: a buffer starts with a few and doubles when full, up to `capacity`, so
 * a channel costs what it holds rather than `capacity` slots up front (a room with one message
 * must not cost a 64 KiB array). When the server-wide replay budget drops its oldest messages, the
 * slots halve again once at most a quarter of them are used.
 */
export interface Sequenced {
  seq: number;
}

export interface ReplaySlice<M> {
  messages: M[];
  /** Seqs after the cursor that the buffer no longer holds, as [first, last]. */
  missed?: [number, number];
}

/** Slots a new buffer starts with (fewer when its capacity is smaller). */
export const INITIAL_REPLAY_SLOTS = 16;

/**
 * A packed array of `length` empty slots. `new Array(length)` makes a holey array, which V8 keeps
 * in slow dictionary mode beyond a size, and a buffer may grow to millions of slots.
 */
function emptySlots<M>(length: number): (M | undefined)[] {
  const slots: (M | undefined)[] = [];
  for (let i = 0; i < length; i++) slots.push(undefined);
  return slots;
}

export class ReplayBuffer<M extends Sequenced> {
  readonly capacity: number;
  private slots: (M | undefined)[];
  private lastSeq = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.slots = emptySlots(Math.min(capacity, INITIAL_REPLAY_SLOTS));
  }

  get latest(): number {
    return this.lastSeq;
  }

  get oldest(): number {
    return this.lastSeq - this.count + 1;
  }

  /** Messages held. */
  get size(): number {
    return this.count;
  }

  /** Slots allocated now: at least `size`, at most `capacity`. */
  get slotCount(): number {
    return this.slots.length;
  }

  /** The message with this seq, if the buffer still holds it. */
  at(seq: number): M | undefined {
    if (seq < this.oldest || seq > this.lastSeq || seq < 1) return undefined;
    return this.slots[seq % this.slots.length];
  }

  /** Appends the next message; returns the message it pushed out when the buffer was at capacity. */
  push(message: M): M | undefined {
    if (message.seq !== this.lastSeq + 1) throw new RangeError(`replay buffer expected seq ${this.lastSeq + 1}, got ${message.seq}`);
    if (this.count === this.slots.length && this.count < this.capacity) this.resize(Math.min(this.capacity, this.slots.length * 2));
    const slot = message.seq % this.slots.length;
    const dropped = this.count === this.slots.length ? this.slots[slot] : undefined;
    this.slots[slot] = message;
    this.lastSeq = message.seq;
    if (dropped === undefined) this.count++;
    return dropped;
  }

  /** Drops the oldest message held and returns it (the server-wide replay budget evicts this way). */
  dropOldest(): M | undefined {
    if (this.count === 0) return undefined;
    const slot = this.oldest % this.slots.length;
    const dropped = this.slots[slot];
    this.slots[slot] = undefined;
    this.count--;
    if (this.slots.length > INITIAL_REPLAY_SLOTS && this.count <= this.slots.length / 4) {
      this.resize(Math.max(INITIAL_REPLAY_SLOTS, Math.ceil(this.slots.length / 2)));
    }
    return dropped;
  }

  /** Calls `visit` for every message held, oldest first. */
  forEach(visit: (message: M) => void): void {
    for (let seq = this.oldest; seq <= this.lastSeq; seq++) visit(this.slots[seq % this.slots.length]!);
  }

  /** Messages after `afterSeq`, oldest first, up to `maxMessages`. */
  after(afterSeq: number, maxMessages = Infinity): ReplaySlice<M> {
    const slice: ReplaySlice<M> = { messages: [] };
    if (afterSeq >= this.lastSeq) return slice;
    const first = Math.max(afterSeq + 1, this.oldest);
    if (first > afterSeq + 1) slice.missed = [afterSeq + 1, first - 1];
    const last = Math.min(this.lastSeq, first + maxMessages - 1);
    for (let seq = first; seq <= last; seq++) slice.messages.push(this.slots[seq % this.slots.length]!);
    return slice;
  }

  /** Moves the held messages to `length` slots; each keeps its computed slot, seq modulo the new length. */
  private resize(length: number): void {
    const next = emptySlots<M>(length);
    for (let seq = this.oldest; seq <= this.lastSeq; seq++) next[seq % length] = this.slots[seq % this.slots.length];
    this.slots = next;
  }
}

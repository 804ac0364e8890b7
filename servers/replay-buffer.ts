/**
 * The last `capacity` messages of one channel, for resume. Sequence numbers are contiguous per
 * channel, so the slot of a seq is computed, never searched.
 */
export interface Sequenced {
  seq: number;
}

export interface ReplaySlice<M> {
  messages: M[];
  /** Seqs after the cursor that the buffer no longer holds, as [first, last]. */
  missed?: [number, number];
}

export class ReplayBuffer<M extends Sequenced> {
  readonly capacity: number;
  private readonly slots: (M | undefined)[];
  private lastSeq = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.slots = new Array<M | undefined>(capacity);
  }

  get latest(): number {
    return this.lastSeq;
  }

  get oldest(): number {
    return this.lastSeq - this.count + 1;
  }

  /** The message with this seq, if the buffer still holds it. */
  at(seq: number): M | undefined {
    if (seq < this.oldest || seq > this.lastSeq || seq < 1) return undefined;
    return this.slots[seq % this.capacity];
  }

  push(message: M): void {
    if (message.seq !== this.lastSeq + 1) throw new RangeError(`replay buffer expected seq ${this.lastSeq + 1}, got ${message.seq}`);
    this.slots[message.seq % this.capacity] = message;
    this.lastSeq = message.seq;
    if (this.count < this.capacity) this.count++;
  }

  /** Messages after `afterSeq`, oldest first, up to `maxMessages`. */
  after(afterSeq: number, maxMessages = Infinity): ReplaySlice<M> {
    const slice: ReplaySlice<M> = { messages: [] };
    if (afterSeq >= this.lastSeq) return slice;
    const first = Math.max(afterSeq + 1, this.oldest);
    if (first > afterSeq + 1) slice.missed = [afterSeq + 1, first - 1];
    const last = Math.min(this.lastSeq, first + maxMessages - 1);
    for (let seq = first; seq <= last; seq++) slice.messages.push(this.slots[seq % this.capacity]!);
    return slice;
  }
}

/**
 * Deadlines for many held requests that share a few waits (long polls: nearly all wait
 * --poll-timeout-ms): one list and one timer per distinct wait, instead of a Timeout and a closure per
 * held request, which cost about 220 bytes per held poll at 10,000 (heap snapshots). Entries of one
 * wait expire in the order they were added, so a list's first entry is always its earliest deadline.
 *
 * Hand-written: node's own timers are built the same way (a list per duration) but keep a Timeout
 * object per call, which is the cost this avoids.
 */
interface WaitList<T> {
  /** Entry -> its deadline (ms, the clock below), in insertion order. */
  readonly deadlines: Map<T, number>;
  timer: NodeJS.Timeout | undefined;
}

export class DeadlineLists<T> {
  private readonly lists = new Map<number, WaitList<T>>();

  constructor(
    private readonly expired: (entry: T) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** `expired(entry)` runs once `waitMs` have passed, unless `delete(entry, waitMs)` comes first. */
  add(entry: T, waitMs: number): void {
    let list = this.lists.get(waitMs);
    if (list === undefined) this.lists.set(waitMs, (list = { deadlines: new Map(), timer: undefined }));
    list.deadlines.set(entry, this.clock() + waitMs);
    if (list.timer === undefined) list.timer = setTimeout(() => this.fire(waitMs), waitMs);
  }

  delete(entry: T, waitMs: number): void {
    const list = this.lists.get(waitMs);
    if (list === undefined || !list.deadlines.delete(entry) || list.deadlines.size > 0) return;
    clearTimeout(list.timer);
    this.lists.delete(waitMs);
  }

  /** Entries held now, every wait together. */
  get size(): number {
    let size = 0;
    for (const list of this.lists.values()) size += list.deadlines.size;
    return size;
  }

  private fire(waitMs: number): void {
    const list = this.lists.get(waitMs);
    if (list === undefined) return;
    list.timer = undefined;
    const now = this.clock();
    for (const [entry, deadline] of list.deadlines) {
      if (deadline > now) break;
      list.deadlines.delete(entry);
      this.expired(entry);
    }
    // expired() may have deleted the list's last entries (and the list) itself.
    if (this.lists.get(waitMs) !== list) return;
    const next = list.deadlines.values().next();
    if (next.done === true) {
      this.lists.delete(waitMs);
      return;
    }
    // A timer may fire a fraction of a millisecond early by this clock: wait at least 1 ms more.
    list.timer = setTimeout(() => this.fire(waitMs), Math.max(1, Math.ceil(next.value - now)));
  }
}

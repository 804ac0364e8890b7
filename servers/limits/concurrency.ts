/** How many of something each key (a remote address) has going at once, up to a maximum. */
export class ConcurrencyLimit {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  atLimit(key: string): boolean {
    return (this.counts.get(key) ?? 0) >= this.max;
  }

  /** Counts one more for `key`, unless it is at the limit. */
  tryAcquire(key: string): boolean {
    const count = this.counts.get(key) ?? 0;
    if (count >= this.max) return false;
    this.counts.set(key, count + 1);
    return true;
  }

  release(key: string): void {
    const count = this.counts.get(key);
    if (count === undefined) return;
    if (count <= 1) this.counts.delete(key);
    else this.counts.set(key, count - 1);
  }

  /** Keys with anything going (the map never holds a key at 0). */
  get size(): number {
    return this.counts.size;
  }
}

/**
 * Slow-consumer detection. Writes are corked per tick, so a burst larger than the limit is normal
 * within a tick; what marks a slow consumer is backlog still buffered once the kernel has taken
 * what it can. Connections written to in a tick are therefore measured in one sweep after it.
 */

/** A connection the guard watches. */
export interface Watched {
  /**
   * Bytes of catch-up written at connect, which may sit in the buffer without marking a slow
   * consumer. It shrinks to what is still buffered, so once the catch-up drains the full limit applies.
   */
  allowance: number;
}

export class BacklogGuard<C extends Watched> {
  private readonly written = new Set<C>();
  private scheduled = false;

  constructor(
    private readonly buffered: (connection: C) => number,
    private readonly limitBytes: number,
    private readonly onExceeded: (connection: C) => void,
  ) {}

  noteWrite(connection: C): void {
    this.written.add(connection);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.sweep);
    }
  }

  private readonly sweep = (): void => {
    this.scheduled = false;
    for (const connection of this.written) {
      const buffered = this.buffered(connection);
      connection.allowance = Math.min(connection.allowance, buffered);
      if (buffered - connection.allowance > this.limitBytes) this.onExceeded(connection);
    }
    this.written.clear();
  };
}

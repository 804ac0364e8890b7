/**
 * Slow-consumer detection. Writes are corked per tick, so a burst larger than the limit is normal
 * within a tick; what marks a slow consumer is backlog still buffered once the kernel has taken
 * what it can. Connections written to in a tick are therefore measured in one sweep after it.
 */
/**
 * Backlog beyond a connection's allowance (the catch-up written at connect). The allowance shrinks
 * to what is still buffered, so once the catch-up has drained the full limit applies again.
 */
export function backlogOf(connection: { allowance: number }, buffered: number): number {
  connection.allowance = Math.min(connection.allowance, buffered);
  return buffered - connection.allowance;
}

export class BacklogGuard<C> {
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
    for (const connection of this.written) if (this.buffered(connection) > this.limitBytes) this.onExceeded(connection);
    this.written.clear();
  };
}

/**
 * Bytes read and written at TCP sockets, handshakes and HTTP headers included: the one definition
 * of "bytes on the wire" that clients and servers share. Live sockets are read on demand, so
 * counting costs nothing per message.
 */
import type { Socket } from 'node:net';

export interface ByteTotals {
  read: number;
  written: number;
}

/** Sockets tracked beyond twice the count at the last sweep before track() sweeps again. */
const SWEEP_SLACK = 64;

export class SocketBytes {
  private readonly live = new Set<Socket>();
  private closedRead = 0;
  private closedWritten = 0;
  /** live.size after the last sweep. */
  private sweptSize = 0;

  /**
   * No listener is added to the socket: node:http already has two 'close' listeners on each, and a
   * third turned the socket's listener array into a 20-slot one, 176 bytes per connection (heap
   * snapshots at 10,000 idle long-polls). Closed sockets are swept out instead, whenever the counts
   * are read and whenever the set has doubled since the last sweep, so they never pile up.
   */
  track(socket: Socket): void {
    this.live.add(socket);
    if (this.live.size > 2 * this.sweptSize + SWEEP_SLACK) this.sweep();
  }

  /** Moves every destroyed socket's bytes to the closed totals (its counters stay readable after close). */
  private sweep(): void {
    for (const socket of this.live) {
      if (!socket.destroyed) continue;
      this.closedRead += socket.bytesRead;
      this.closedWritten += socket.bytesWritten;
      this.live.delete(socket);
    }
    this.sweptSize = this.live.size;
  }

  get openCount(): number {
    this.sweep();
    return this.live.size;
  }

  openSockets(): IterableIterator<Socket> {
    this.sweep();
    return this.live.values();
  }

  totals(): ByteTotals {
    this.sweep();
    let read = this.closedRead;
    let written = this.closedWritten;
    for (const socket of this.live) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return { read, written };
  }
}

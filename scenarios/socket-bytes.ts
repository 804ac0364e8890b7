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

export class SocketBytes {
  private readonly live = new Set<Socket>();
  private closedRead = 0;
  private closedWritten = 0;

  track(socket: Socket): void {
    this.live.add(socket);
    socket.once('close', () => {
      this.live.delete(socket);
      this.closedRead += socket.bytesRead;
      this.closedWritten += socket.bytesWritten;
    });
  }

  get openCount(): number {
    return this.live.size;
  }

  openSockets(): IterableIterator<Socket> {
    return this.live.values();
  }

  totals(): ByteTotals {
    let read = this.closedRead;
    let written = this.closedWritten;
    for (const socket of this.live) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return { read, written };
  }
}

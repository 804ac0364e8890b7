/** Bytes read and written at a client's TCP sockets, handshakes and HTTP headers included. */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

export interface ByteTotals {
  read: number;
  written: number;
}

export class ByteCounter {
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

/** An undici connector that hands every socket it opens to the counter. */
export function countingConnector(counter: ByteCounter): buildConnector.connector {
  const connect = buildConnector({});
  return (options, callback) => {
    connect(options, (...args) => {
      const [err, socket] = args;
      if (err === null) counter.track(socket as Socket);
      callback(...args);
    });
  };
}

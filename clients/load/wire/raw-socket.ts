/**
 * A TCP socket read through Node's static-buffer path (`onread`): every read lands in one buffer
 * that the worker's connections share, and the callback parses it in place. No Buffer per read, no
 * stream 'data' event per read: with thousands of sockets and hundreds of thousands of deliveries
 * a second, per-read costs are much of what the load client spends per delivery.
 */
import { connect, type Socket } from 'node:net';

/** Large enough for the kernel to hand over a burst in one read; shared, since each read is parsed before the next. */
const READ_BUFFER_BYTES = 64 * 1024;
const sharedReadBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

export interface RawSocketEvents {
  /** Bytes buf[0, length): valid only during the call (the buffer is reused by the next read of any socket). */
  read(buf: Buffer, length: number): void;
  /** The socket closed, with the error that closed it if any. */
  closed(err: Error | undefined): void;
}

/** Opens a TCP connection to http://host:port's host and port; `connected` runs once it is up. */
export function connectRaw(baseUrl: string, events: RawSocketEvents, connected: (socket: Socket) => void): Socket {
  const url = new URL(baseUrl);
  let failure: Error | undefined;
  const socket = connect({
    host: url.hostname,
    port: Number(url.port || 80),
    noDelay: true,
    onread: {
      buffer: sharedReadBuffer,
      callback: (length: number, buf: Uint8Array) => {
        events.read(buf as Buffer, length);
        return true;
      },
    },
  });
  socket.once('connect', () => connected(socket));
  socket.on('error', (err) => (failure = err));
  socket.once('close', () => events.closed(failure));
  return socket;
}

/** host:port for a Host header. */
export function hostHeader(baseUrl: string): string {
  return new URL(baseUrl).host;
}

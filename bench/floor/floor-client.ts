/**
 * The one client `npm run floor` points at both servers, the lab's and the floor (bare-server.ts),
 * so the two differ only in the server. Raw sockets, with the requests the lab's load client makes
 * (clients/load/transports/): a WebSocket upgrade, an SSE GET, and for long-poll the `wait=0`
 * handshake and then held polls, each re-sent with the cursor of its answer.
 */
import { connect, type Socket } from 'node:net';
import { CURSOR_HEADER, PATHS, type TransportName } from '../../scenarios/constants.ts';

const QUERY = 'topic=ticks';
/** Connections opening at once: the lab's own default share per worker is of this order. */
const IN_FLIGHT = 200;
const OPEN_TIMEOUT_MS = 10_000;

function request(path: string, host: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

function hostOf(baseUrl: string): { host: string; port: number } {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: Number(url.port) };
}

/** Opens one idle connection; resolves once the server has it (ws: upgraded; SSE: stream head; long-poll: poll held). */
function openIdle(baseUrl: string, transport: TransportName): Promise<Socket> {
  const { host, port } = hostOf(baseUrl);
  const hostHeader = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const timer = setTimeout(() => fail(new Error(`no answer within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${transport} connection to ${baseUrl} failed: ${err.message}`));
    };
    const opened = (): void => {
      clearTimeout(timer);
      resolve(socket);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      if (transport === 'ws') {
        socket.write(request(`${PATHS.ws}?${QUERY}`, hostHeader, 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'));
        socket.once('data', opened);
      } else if (transport === 'sse') {
        socket.write(request(`${PATHS.sse}?${QUERY}`, hostHeader, 'Accept: text/event-stream\r\n'));
        socket.once('data', opened);
      } else {
        socket.write(request(`${PATHS.poll}?${QUERY}&wait=0`, hostHeader));
        socket.once('data', (chunk: Buffer) => {
          const cursor = cursorOf(chunk.toString('latin1')) ?? 'ticks:0';
          socket.write(request(`${PATHS.poll}?${QUERY}&cursor=${encodeURIComponent(cursor)}`, hostHeader));
          // Nothing comes back while the poll is held: opened once it is written.
          socket.once('data', () => undefined);
          setImmediate(opened);
        });
      }
    });
  });
}

function cursorOf(head: string): string | undefined {
  const match = new RegExp(`${CURSOR_HEADER}: ([^\\r]+)`, 'i').exec(head);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

/** Opens `count` idle connections, IN_FLIGHT at a time; the caller destroys them. */
export async function openIdleConnections(baseUrl: string, transport: TransportName, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    for (let opened = 0; opened < count; opened += IN_FLIGHT) {
      const batch = Math.min(IN_FLIGHT, count - opened);
      sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openIdle(baseUrl, transport)))));
    }
  } catch (err) {
    for (const socket of sockets) socket.destroy();
    throw err;
  }
  return sockets;
}

/** Long-poll clients that re-poll as soon as each answer is whole, counting answers. */
export class PollLoop {
  answers = 0;
  private readonly sockets: Socket[] = [];

  constructor(baseUrl: string, pollers: number) {
    const { host, port } = hostOf(baseUrl);
    const hostHeader = `${host}:${port}`;
    for (let i = 0; i < pollers; i++) {
      const socket = connect(port, host);
      socket.setNoDelay(true);
      // A poll cut by the server at the end is no finding here; the loop's figure is the answers counted.
      socket.on('error', () => undefined);
      let cursor: string | undefined;
      let pending = '';
      const poll = (): void => {
        const query = cursor === undefined ? `${QUERY}&wait=0` : `${QUERY}&cursor=${encodeURIComponent(cursor)}`;
        socket.write(request(`${PATHS.poll}?${query}`, hostHeader));
      };
      socket.once('connect', poll);
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (;;) {
          const headEnd = pending.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const head = pending.slice(0, headEnd);
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (pending.length < headEnd + 4 + length) return;
          pending = pending.slice(headEnd + 4 + length);
          cursor = cursorOf(head) ?? cursor;
          this.answers++;
          poll();
        }
      });
      this.sockets.push(socket);
    }
  }

  stop(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * The one client `npm run floor` points at both servers, the lab's and the floor (bare-server.ts),
 * so the two differ only in the server. Raw sockets, with the requests and the wire helpers of the
 * lab's load client (clients/load/wire/): a WebSocket upgrade, an SSE GET, and for long-poll the
 * `wait=0` handshake and then held polls, each re-sent with the cursor of its answer.
 */
import { connect, type Socket } from 'node:net';
import { CURSOR_HEADER, PATHS, SERVER_DEFAULTS, type TransportName } from '../../scenarios/constants.ts';
import { HttpResponseParser } from '../../clients/load/wire/http-response.ts';
import { hostHeader } from '../../clients/load/wire/raw-socket.ts';
import { newWebSocketKey, upgradeRequest } from '../../clients/load/wire/ws-frames.ts';

/** The lab's server's default topic; the floor server publishes on it too. */
const QUERY = `topic=${SERVER_DEFAULTS.topics[0]!}`;
/** Connections opening at once: the lab's own default share per worker is of this order. */
const IN_FLIGHT = 200;
const OPEN_TIMEOUT_MS = 10_000;

function request(path: string, host: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

function pollPath(cursor: string | undefined): string {
  return `${PATHS.poll}?${QUERY}&${cursor === undefined ? 'wait=0' : `cursor=${encodeURIComponent(cursor)}`}`;
}

function socketTo(baseUrl: string): Socket {
  const url = new URL(baseUrl);
  return connect(Number(url.port), url.hostname);
}

/**
 * Long-poll over one socket: the handshake, then a poll after every answer, each with the cursor of
 * the answer before. `answered` is called once per answer, after the next poll went out.
 */
function pollOn(socket: Socket, host: string, answered: () => void): void {
  let cursor: string | undefined;
  const response = new HttpResponseParser(
    {
      head: (head) => (cursor = head.headers.get(CURSOR_HEADER) ?? cursor),
      body: () => undefined,
      end: () => {
        socket.write(request(pollPath(cursor), host));
        answered();
      },
    },
    [CURSOR_HEADER],
  );
  socket.on('data', (chunk: Buffer) => response.feed(chunk, 0, chunk.length));
  socket.write(request(pollPath(undefined), host));
}

/** Opens one idle connection; resolves once the server has it (ws: upgraded; SSE: stream head; long-poll: poll held). */
function openIdle(baseUrl: string, transport: TransportName): Promise<Socket> {
  const host = hostHeader(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = socketTo(baseUrl);
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
        socket.write(upgradeRequest(`${PATHS.ws}?${QUERY}`, host, newWebSocketKey()));
        socket.once('data', opened);
      } else if (transport === 'sse') {
        socket.write(request(`${PATHS.sse}?${QUERY}`, host, 'Accept: text/event-stream\r\n'));
        socket.once('data', opened);
      } else {
        // Nothing comes back while the held poll is held: opened once the handshake's answer is in
        // and the held poll is written. (No message is published while idle memory is measured.)
        pollOn(socket, host, opened);
      }
    });
  });
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
    const host = hostHeader(baseUrl);
    for (let i = 0; i < pollers; i++) {
      const socket = socketTo(baseUrl);
      socket.setNoDelay(true);
      // A poll cut by the server at the end is no finding here; the loop's figure is the answers counted.
      socket.on('error', () => undefined);
      socket.once('connect', () => pollOn(socket, host, () => this.answers++));
      this.sockets.push(socket);
    }
  }

  stop(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

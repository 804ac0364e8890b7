/**
 * Shared by the hardening tests: a real server with a well-behaved subscriber connected throughout,
 * raw bytes over a `net` socket (what a hostile client sends is not something a library client can
 * be made to send), and the checks that the server is still serving after it.
 */
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import type { TransportName } from '../../../scenarios/constants.ts';
import type { RunningServer } from '../../../servers/server.ts';
import type { ServerOptionsInput } from '../../../servers/options.ts';
import { makeClient, publishMany, startTestServer, waitFor, type Cleanup, type Recorder } from '../../support/harness.ts';

export interface GuardedServer {
  server: RunningServer;
  subscriber: Recorder;
  /** /stats `errors`, read over HTTP as the bench reads them. */
  errors(): Promise<Record<string, number>>;
  /** /health answers, the subscriber receives what is published now, and no error was counted as INTERNAL. */
  expectStillServing(): Promise<void>;
}

export async function startGuardedServer(cleanup: Cleanup, transport: TransportName, overrides: Partial<ServerOptionsInput> = {}): Promise<GuardedServer> {
  const server = cleanup.add(await startTestServer(transport, overrides));
  const subscriber = makeClient(server, 'json', { topics: ['ticks'], token: overrides.token });
  cleanup.add(subscriber.client);
  await subscriber.client.connect();
  const tokenQuery = overrides.token === undefined ? '' : `?token=${overrides.token}`;
  const errors = async (): Promise<Record<string, number>> => {
    const response = await fetch(`${server.baseUrl}/stats${tokenQuery}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { errors: Record<string, number> }).errors;
  };
  return {
    server,
    subscriber,
    errors,
    async expectStillServing(): Promise<void> {
      const health = await fetch(`${server.baseUrl}/health`);
      expect(health.status).toBe(200);
      const before = subscriber.messages.length;
      await publishMany(server, 3);
      await waitFor(() => subscriber.messages.length >= before + 3, 'the subscriber to receive 3 more feed messages');
      expect(subscriber.client.reconnects).toBe(0);
      expect(await errors()).not.toHaveProperty('INTERNAL');
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits one HTTP/1.1 response head from what follows it; undefined until the head is complete. */
function parseHead(received: Buffer): { status: number; headers: Record<string, string>; rest: Buffer } | undefined {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, rest: received.subarray(end + 4) };
}

/**
 * Writes `bytes` on a fresh connection and reads one HTTP response (by its content-length, or to the
 * end of the connection). A server that never answers fails the test within `timeoutMs`, not at the
 * test's own timeout.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 2000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms, after ${JSON.stringify(received.toString('latin1'))}`));
    }, timeoutMs);
    socket.on('close', () => clearTimeout(timer));
    const finish = (): boolean => {
      const head = parseHead(received);
      if (head === undefined) return false;
      const length = head.headers['content-length'];
      if (length !== undefined && head.rest.length < Number(length)) return false;
      socket.destroy();
      resolve({ status: head.status, headers: head.headers, body: head.rest.toString('utf8') });
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on('close', () => {
      if (!finish()) reject(new Error(`the connection closed without a complete answer, after ${JSON.stringify(received.toString('latin1'))}`));
    });
    socket.on('error', () => {});
  });
}

/** The upgrade request a WebSocket client sends, by hand. */
export function upgradeRequest(path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

/** Resolves when the socket has closed. */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

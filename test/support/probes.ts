/**
 * Raw wire probes: bad input sent the way a buggy or hostile client would, below our client
 * library, returning the error code the server answered with.
 */
import { createConnection, type Socket } from 'node:net';
import WebSocket from 'ws';
import { PATHS, type TransportName } from '../../scenarios/constants.ts';
import type { RunningServer } from '../../servers/server.ts';

export interface Probe {
  /** Sends one client message body as is; resolves with the error code the server answered. */
  sendRaw(body: Buffer | string, binary: boolean): Promise<string>;
  /** Connects with this query string (and headers); resolves with the refusal's error code. */
  connectRaw(query: string, headers?: Record<string, string>): Promise<string>;
}

function wsProbe(server: RunningServer): Probe {
  const url = server.connectUrl;
  return {
    sendRaw: (body, binary) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url}?topic=${server.options.topics[0]}`);
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (isBinary) return;
          const msg = JSON.parse(data.toString()) as { type: string; code?: string };
          if (msg.type === 'welcome') ws.send(body, { binary });
          else if (msg.type === 'error') {
            resolve(msg.code ?? '');
            ws.close();
          }
        });
        ws.on('close', (code) => resolve(code === 1009 ? 'MESSAGE_TOO_LARGE' : `CLOSE_${code}`));
        ws.on('error', (err) => (err.message.includes('1009') ? undefined : reject(err)));
      }),
    connectRaw: (query, headers) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url}?${query}`, { headers });
        const errors: string[] = [];
        ws.on('message', (data: Buffer) => {
          const msg = JSON.parse(data.toString()) as { type: string; code?: string };
          if (msg.type === 'error' && msg.code) errors.push(msg.code);
          if (msg.type !== 'error') errors.push(`DATA:${msg.type}`);
        });
        ws.on('close', (code, reason) => resolve(code === 4001 ? `UNAUTHORIZED${errors.length ? '+' + errors.join('+') : ''}` : reason.toString() || `CLOSE_${code}`));
        ws.on('error', reject);
      }),
  };
}

function httpProbe(server: RunningServer, path: string): Probe {
  return {
    async sendRaw(body, binary) {
      const response = await fetch(`${server.baseUrl}${PATHS.messages}?client=probe`, {
        method: 'POST',
        headers: { 'content-type': binary ? 'application/octet-stream' : 'application/json' },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
      if (response.status < 400) return `HTTP_${response.status}`;
      return ((await response.json()) as { code: string }).code;
    },
    async connectRaw(query, headers) {
      const abort = new AbortController();
      const response = await fetch(`${server.baseUrl}${path}?${query}`, { headers, signal: abort.signal });
      if (response.status < 400) {
        abort.abort();
        return `HTTP_${response.status}`;
      }
      return ((await response.json()) as { code: string }).code;
    },
  };
}

export function probeFor(server: RunningServer): Probe {
  const paths: Record<TransportName, string> = { ws: PATHS.ws, sse: PATHS.sse, 'long-poll': PATHS.poll };
  return server.transport === 'ws' ? wsProbe(server) : httpProbe(server, paths[server.transport]);
}

/**
 * A client that sends its request and then never reads: the server's writes pile up in its
 * outgoing buffer, which is what a slow consumer looks like from the server.
 */
export function stalledReader(server: RunningServer, query: string): Promise<Socket> {
  const path = server.transport === 'ws' ? PATHS.ws : PATHS.sse;
  const upgrade = server.transport === 'ws' ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' : 'Accept: text/event-stream\r\n';
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port: server.port, noDelay: true }, () => {
      socket.write(`GET ${path}?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}\r\n`);
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      });
    });
    socket.on('error', reject);
  });
}

/**
 * Raw wire probes: bad input sent the way a buggy or hostile client would, below the library
 * clients, returning the error code the server answered with.
 */
import { createConnection, type Socket } from 'node:net';
import WebSocket from 'ws';
import { CLOSE_CODES, PATHS, type TransportName } from '../scenarios/constants.ts';

/** Where a probe connects: the target's URL and transport, and the token it presents when sending. */
export interface ProbeTarget {
  baseUrl: string;
  transport: TransportName;
  token: string | null;
  topic: string;
}

export interface Probe {
  /** Sends one client message body as is (with the token); resolves with the error code the server answered. */
  sendRaw(body: Buffer | string, binary: boolean): Promise<string>;
  /** Connects with exactly this query string (and headers); resolves with the refusal's error code. */
  connectRaw(query: string, headers?: Record<string, string>): Promise<string>;
}

const CONNECT_PATHS: Record<TransportName, string> = { ws: PATHS.ws, sse: PATHS.sse, 'long-poll': PATHS.poll };

function tokenQuery(target: ProbeTarget): string {
  return target.token === null ? '' : `&token=${encodeURIComponent(target.token)}`;
}

function wsProbe(target: ProbeTarget): Probe {
  const url = target.baseUrl.replace(/^http/, 'ws') + PATHS.ws;
  return {
    sendRaw: (body, binary) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url}?topic=${target.topic}${tokenQuery(target)}`, { perMessageDeflate: false });
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (isBinary) return;
          const msg = JSON.parse(data.toString()) as { type: string; code?: string };
          if (msg.type === 'welcome') ws.send(body, { binary });
          else if (msg.type === 'error') {
            resolve(msg.code ?? '');
            ws.close();
          }
        });
        ws.on('close', (code) => resolve(code === CLOSE_CODES.messageTooBig ? 'MESSAGE_TOO_LARGE' : `CLOSE_${code}`));
        // ws reports the server's 1009 close as an error too; the close handler answers it.
        ws.on('error', (err) => (err.message.includes(String(CLOSE_CODES.messageTooBig)) ? undefined : reject(err)));
      }),
    connectRaw: (query, headers) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url}?${query}`, { headers, perMessageDeflate: false });
        const received: string[] = [];
        ws.on('message', (data: Buffer) => {
          const msg = JSON.parse(data.toString()) as { type: string; code?: string };
          if (msg.type === 'error' && msg.code) received.push(msg.code);
          if (msg.type !== 'error') received.push(`DATA:${msg.type}`);
        });
        // A refused token is a 4001 close with nothing before it; anything received is appended, so it shows.
        ws.on('close', (code, reason) =>
          resolve(code === CLOSE_CODES.unauthorized ? `UNAUTHORIZED${received.length ? '+' + received.join('+') : ''}` : reason.toString() || `CLOSE_${code}`),
        );
        ws.on('error', reject);
      }),
  };
}

function httpProbe(target: ProbeTarget): Probe {
  return {
    async sendRaw(body, binary) {
      // Anonymous: an SSE server takes a send under a client id only with the key of that client's stream (§6.4).
      const response = await fetch(`${target.baseUrl}${PATHS.messages}?_probe=1${tokenQuery(target)}`, {
        method: 'POST',
        headers: { 'content-type': binary ? 'application/octet-stream' : 'application/json' },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
      if (response.status < 400) {
        await response.body?.cancel();
        return `HTTP_${response.status}`;
      }
      return errorCode(response);
    },
    async connectRaw(query, headers) {
      const abort = new AbortController();
      const response = await fetch(`${target.baseUrl}${CONNECT_PATHS[target.transport]}?${query}`, { headers, signal: abort.signal });
      if (response.status < 400) {
        abort.abort();
        return `HTTP_${response.status}`;
      }
      return errorCode(response);
    },
  };
}

/** The `code` of a protocol error body (docs/PROTOCOL.md §8); undefined when the body is not one. */
export function codeInBody(text: string): unknown {
  try {
    return (JSON.parse(text) as { code?: unknown } | null)?.code;
  } catch {
    return undefined;
  }
}

/** The code of a protocol error body, or what came instead, so a failed check shows it. */
async function errorCode(response: Response): Promise<string> {
  const text = await response.text();
  const code = codeInBody(text);
  return typeof code === 'string' ? code : `HTTP_${response.status}:${text.slice(0, 80)}`;
}

export function probeFor(target: ProbeTarget): Probe {
  return target.transport === 'ws' ? wsProbe(target) : httpProbe(target);
}

/**
 * A client that sends its request and then never reads: the server's writes pile up in its
 * outgoing buffer, which is what a slow consumer looks like from the server.
 */
export function stalledReader(target: ProbeTarget, query: string): Promise<Socket> {
  const url = new URL(target.baseUrl);
  const path = target.transport === 'ws' ? PATHS.ws : PATHS.sse;
  const upgrade = target.transport === 'ws' ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' : 'Accept: text/event-stream\r\n';
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80), noDelay: true }, () => {
      socket.write(`GET ${path}?${query}${tokenQuery(target)} HTTP/1.1\r\nHost: ${url.host}\r\n${upgrade}\r\n`);
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      });
    });
    socket.on('error', reject);
  });
}

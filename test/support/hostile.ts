/**
 * Hostile senders for the bad-input corpus and the fuzzer: raw TCP bytes, HTTP requests a library
 * would refuse to shape, and WebSocket frames no WebSocket library would write. Each returns what
 * came back (statuses, error codes, close codes) so a test can judge it; none of them throws on a
 * reset or a refused connection, because that is one of the answers being judged.
 */
import { randomBytes } from 'node:crypto';
import { request, type Agent, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import * as wsLibrary from 'ws';

export interface Endpoint {
  host: string;
  port: number;
}

export function endpointOf(baseUrl: string): Endpoint {
  const url = new URL(baseUrl);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Status codes of every HTTP response head in `text` (pipelined requests are answered one after the other). */
export function statusesIn(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

/** `code` fields of the JSON error bodies in `text`, in order. */
export function codesIn(text: string): string[] {
  return [...text.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1]!);
}

// ---------------------------------------------------------------------------------------------
// Raw TCP: for requests node:http (and every HTTP client) refuses to write, such as `GET //[`,
// headers over the parser's limit, pipelined garbage or a body that never ends.

export interface TcpOutcome {
  received: Buffer;
  statuses: number[];
  /** The server ended or reset the connection before the client gave up on it. */
  closedByServer: boolean;
  error: string | undefined;
}

export interface TcpOptions {
  /** Pause between chunks (slowloris). */
  gapMs?: number;
  /** Stop writing after this long, even with chunks left. */
  writeForMs?: number;
  /** Once an answer has started, give up when nothing more has arrived for this long (the connection may be kept alive). */
  settleMs?: number;
  /** Never wait longer than this in all (also when no answer comes). */
  maxMs?: number;
}

export function tcpExchange(endpoint: Endpoint, chunks: readonly (string | Buffer)[], options: TcpOptions = {}): Promise<TcpOutcome> {
  const { gapMs = 0, writeForMs = Infinity, settleMs = 60, maxMs = 1500 } = options;
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let closedByServer = false;
    let error: string | undefined;
    let writingDone = false;
    let settled = false;
    let quiet: NodeJS.Timeout | undefined;
    const socket: Socket = connect({ ...endpoint, noDelay: true });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(quiet);
      clearTimeout(deadline);
      socket.destroy();
      const all = Buffer.concat(received);
      resolve({ received: all, statuses: statusesIn(all.toString('latin1')), closedByServer, error });
    };
    // Quiet is counted from the first answer on: before it, a loaded server is given until maxMs.
    const armQuiet = (): void => {
      clearTimeout(quiet);
      if (writingDone && received.length > 0) quiet = setTimeout(finish, settleMs);
    };
    const deadline = setTimeout(finish, maxMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      armQuiet();
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', (err: Error & { code?: string }) => {
      error = err.code ?? err.message;
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') closedByServer = true;
    });
    socket.on('close', finish);
    socket.on('connect', async () => {
      const stopAt = performance.now() + writeForMs;
      for (const chunk of chunks) {
        if (settled || closedByServer || performance.now() > stopAt) break;
        socket.write(chunk);
        if (gapMs > 0) await sleep(gapMs);
      }
      writingDone = true;
      armQuiet();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP through node:http: well-formed requests with hostile content, aborted and trickled bodies.

export interface HttpOutcome {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  /** At most the first 64 KiB of the body. */
  body: string;
  /** The whole body was read (false for streams and held polls cut by the timeout). */
  complete: boolean;
  error: string | undefined;
}

export interface HttpProbeRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Write only this many bytes of the body, then destroy the connection (an aborted upload). */
  abortAfterBytes?: number;
  /** Write only this many bytes of the body, then wait for the answer without ending it (a refusal by its headers). */
  stallAfterBytes?: number;
  /** Write the body one byte every `gapMs`, for at most `forMs`, then destroy the connection if it is not done. */
  trickle?: { gapMs: number; forMs: number };
  /** Give up on the answer after this long (an SSE stream or a held poll never ends by itself). */
  timeoutMs?: number;
  /** A keep-alive agent for floods of requests; by default each request has its own connection. */
  agent?: Agent;
}

const MAX_BODY_KEPT = 64 * 1024;

export function httpExchange(endpoint: Endpoint, spec: HttpProbeRequest): Promise<HttpOutcome> {
  const { timeoutMs = 1500 } = spec;
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  return new Promise((resolve) => {
    let status: number | undefined;
    let headers: IncomingHttpHeaders = {};
    let text = '';
    let complete = false;
    let error: string | undefined;
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A keep-alive request that was answered in full leaves its connection to the agent.
      if (!(complete && spec.agent !== undefined)) req?.destroy();
      resolve({ status, headers, body: text, complete, error });
    };
    const timer = setTimeout(finish, timeoutMs);
    try {
      req = request({ ...endpoint, method: spec.method, path: spec.path, headers: spec.headers, agent: spec.agent ?? false }, (res) => {
        status = res.statusCode;
        headers = res.headers;
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_BODY_KEPT) text += chunk.slice(0, MAX_BODY_KEPT - text.length);
          // A stream's head and first bytes are the answer; reading on would only wait for the timeout.
          if (String(res.headers['content-type']).startsWith('text/event-stream')) finish();
        });
        res.on('end', () => {
          complete = true;
          finish();
        });
        res.on('error', finish);
      });
    } catch (err) {
      // node:http refuses to write some paths and header values at all: nothing was sent.
      error = `not sent: ${(err as Error).message}`;
      finish();
      return;
    }
    const sending = req;
    sending.on('error', (err: Error & { code?: string }) => {
      error = err.code ?? err.message;
      finish();
    });
    if (body === undefined) sending.end();
    else if (spec.abortAfterBytes !== undefined) {
      sending.write(body.subarray(0, spec.abortAfterBytes));
      // Long enough for the bytes to reach the server, so it is mid-body when the connection goes;
      // an answer already on its way (a refusal by content-length) is read to its end.
      setTimeout(() => {
        if (status === undefined) finish();
      }, 50);
    } else if (spec.stallAfterBytes !== undefined) {
      sending.write(body.subarray(0, spec.stallAfterBytes));
    } else if (spec.trickle !== undefined) {
      const { gapMs, forMs } = spec.trickle;
      void (async () => {
        const stopAt = performance.now() + forMs;
        for (let i = 0; i < body.length && !settled; i++) {
          if (performance.now() > stopAt) return finish();
          sending.write(body.subarray(i, i + 1));
          await sleep(gapMs);
        }
        if (!settled) sending.end();
      })();
    } else sending.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames, built by hand because they must be wrong in ways ws refuses to write.

export interface FrameSpec {
  opcode: number;
  payload?: string | Buffer;
  /** Default true. */
  fin?: boolean;
  /** RSV1-3 as a 3-bit number (0 unless testing the server's extension checks). */
  rsv?: number;
  /** Client frames must be masked (RFC 6455 §5.3); default true. */
  mask?: boolean;
  /** The length the header announces, when it should disagree with the payload sent. */
  declaredLength?: number | bigint;
  /** Force the 16- or 64-bit length form even for short payloads. */
  lengthForm?: 7 | 16 | 64;
}

export function wsFrame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? '');
  const declared = BigInt(spec.declaredLength ?? payload.length);
  const masked = spec.mask ?? true;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  const form = spec.lengthForm ?? (declared < 126n ? 7 : declared < 65536n ? 16 : 64);
  let header: Buffer;
  if (form === 7) header = Buffer.from([first, maskBit | Number(declared & 0x7fn)]);
  else if (form === 16) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(declared & 0xffffn), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt.asUintN(64, declared), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([header, key, body]);
}

/** A close frame's payload: a 2-byte code and a reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code & 0xffff, 0);
  payload.write(reason, 2);
  return payload;
}

export const OPCODES = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** What the server sent on a raw WebSocket, decoded by ws's own Receiver (the server's frames are well-formed). */
export interface ServerFrame {
  text: string | undefined;
  binary: Buffer | undefined;
}

type ReceiverLike = Writable & {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): ReceiverLike;
  on(event: 'conclude', listener: (code: number, reason: Buffer) => void): ReceiverLike;
  on(event: 'error', listener: (err: Error) => void): ReceiverLike;
  on(event: string, listener: (...args: unknown[]) => void): ReceiverLike;
};
// Receiver is exported by ws (index.js, wrapper.mjs) but missing from @types/ws.
const { Receiver } = wsLibrary as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => ReceiverLike };

/**
 * A WebSocket spoken over a raw socket: the upgrade request is written by hand, the server's frames
 * are decoded with ws's Receiver, and anything at all can be written after the handshake.
 */
export class RawWebSocket {
  /** Status of the handshake answer (101, or the HTTP error the server answered with); undefined if none came. */
  status: number | undefined;
  /** The handshake answer when it was not 101 (head and body). */
  refusal = '';
  readonly messages: ServerFrame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  /** The server ended the TCP connection (or reset it) before this side did. */
  closedByServer = false;
  ended = false;
  /** This side half-closed first (finish()): an end that follows is the server answering it. */
  clientEnded = false;
  error: string | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: Socket) {}

  /** Connects and writes the upgrade request; resolves when the handshake is answered (or fails). */
  static open(endpoint: Endpoint, pathAndQuery: string, headers: Record<string, string> = {}, timeoutMs = 2000): Promise<RawWebSocket> {
    const socket = connect({ ...endpoint, noDelay: true });
    const ws = new RawWebSocket(socket);
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const key = randomBytes(16).toString('base64');
    socket.on('connect', () => {
      socket.write(
        `GET ${pathAndQuery} HTTP/1.1\r\nHost: ${endpoint.host}:${endpoint.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    return new Promise((resolve) => {
      let head = Buffer.alloc(0);
      let receiver: ReceiverLike | undefined;
      const timer = setTimeout(() => resolve(ws), timeoutMs);
      const answered = (): void => {
        clearTimeout(timer);
        resolve(ws);
      };
      socket.on('data', (chunk: Buffer) => {
        if (receiver !== undefined) {
          receiver.write(chunk);
          return;
        }
        if (ws.status !== undefined && ws.status !== 101) {
          ws.refusal += chunk.toString('latin1');
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headText = head.subarray(0, end).toString('latin1');
        ws.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
        const rest = head.subarray(end + 4);
        if (ws.status !== 101) {
          ws.refusal = head.toString('latin1');
          answered();
          return;
        }
        receiver = new Receiver({ isServer: false, maxPayload: 0 });
        receiver.on('message', (data: Buffer, isBinary: boolean) => {
          ws.messages.push(isBinary ? { text: undefined, binary: Buffer.from(data) } : { text: data.toString('utf8'), binary: undefined });
          ws.notify();
        });
        receiver.on('conclude', (code: number, reason: Buffer) => {
          ws.closeCode = code;
          ws.closeReason = reason.toString('utf8');
          ws.notify();
        });
        receiver.on('error', (err: Error) => {
          ws.error = `server frame: ${err.message}`;
        });
        answered();
        if (rest.length > 0) receiver.write(rest);
      });
      socket.on('end', () => {
        if (!ws.ended && !ws.clientEnded) ws.closedByServer = true;
      });
      socket.on('error', (err: Error & { code?: string }) => {
        ws.error ??= err.code ?? err.message;
        if (err.code === 'ECONNRESET') ws.closedByServer = true;
      });
      socket.on('close', () => {
        if (!ws.ended && !ws.clientEnded) ws.closedByServer = true;
        ws.ended = true;
        ws.notify();
        answered();
      });
    });
  }

  get open(): boolean {
    return !this.ended && this.status === 101;
  }

  /** JSON control messages the server sent, parsed (data messages and non-JSON text are skipped). */
  controls(): { type: string; code?: string; message?: string }[] {
    return this.messages.flatMap((m) => {
      if (m.text === undefined || !m.text.startsWith('{"type":"') || m.text.startsWith('{"type":"feed"') || m.text.startsWith('{"type":"chat"')) return [];
      try {
        return [JSON.parse(m.text) as { type: string; code?: string; message?: string }];
      } catch {
        return [];
      }
    });
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Resolves true as soon as `condition` holds, false after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        clear();
        resolve(true);
      };
      const clear = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        clear();
        resolve(false);
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Waits up to `graceMs` for the server to end the connection, then ends this side and waits as long again. */
  async finish(graceMs: number): Promise<void> {
    await this.waitFor(() => this.ended, graceMs);
    if (this.ended) return;
    this.clientEnded = true;
    this.socket.end();
    await this.waitFor(() => this.ended, graceMs);
    this.destroy();
  }

  /** Ends this side at once (what was written is read by the server first) and waits up to `timeoutMs` for the server to close. */
  async endAndWait(timeoutMs: number): Promise<void> {
    if (!this.ended) {
      this.clientEnded = true;
      this.socket.end();
      await this.waitFor(() => this.ended, timeoutMs);
    }
    this.destroy();
  }

  destroy(): void {
    if (!this.ended) {
      this.ended = true;
      this.socket.destroy();
      this.notify();
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

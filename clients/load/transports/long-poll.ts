/**
 * Long-poll load connection: one keep-alive raw socket per client, polling again as soon as each
 * answer arrives. The first poll (wait=0) is the handshake that returns the starting cursor. The
 * GET is written by hand and the answer read by clients/load/wire/http-response.ts from the shared
 * read buffer: with undici a poll cost 61 to 80 µs of client CPU on this 2-core machine (1,000
 * clients, about one message per poll), this code 45 to 52 µs, most of it now the kernel's
 * loopback write of the request.
 */
import type { EndCause } from '../../../metrics/integrity.ts';
import type { Socket } from 'node:net';
import { nowMicros } from '../../../scenarios/clock.ts';
import { CURSOR_HEADER, PATHS } from '../../../scenarios/constants.ts';
import { newPeekedData, peekBinaryRange, peekJsonBytesAt, type PeekedData } from '../../../scenarios/peek.ts';
import { SocketBytes } from '../../../scenarios/socket-bytes.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from '../load-connection.ts';
import { HttpResponseParser, type HttpHead } from '../wire/http-response.ts';
import { connectRaw, hostHeader } from '../wire/raw-socket.ts';

const peeked = newPeekedData();
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Fills `out` from one element of a JSON batch; false when it is not a data message. */
function readJsonMessage(item: unknown, out: PeekedData): boolean {
  if (typeof item !== 'object' || item === null) return false;
  const m = item as Record<string, unknown>;
  const chat = m.type === 'chat';
  if (!chat && m.type !== 'feed') return false;
  const channel = chat ? m.room : m.topic;
  if (typeof channel !== 'string' || typeof m.seq !== 'number' || typeof m.ts !== 'number') return false;
  out.chat = chat;
  out.channel = channel;
  out.seq = m.seq;
  out.ts = m.ts;
  out.from = chat && typeof m.from === 'string' ? m.from : '';
  out.mid = chat && typeof m.mid === 'number' ? m.mid : -1;
  return true;
}

/** The `code` of an error answer's JSON body (docs/PROTOCOL.md §8), else the status. */
function errorCodeOf(status: number, body: Buffer | undefined, start: number, end: number): string {
  if (body !== undefined) {
    try {
      const code = (JSON.parse(body.toString('utf8', start, end)) as { code?: unknown }).code;
      if (typeof code === 'string') return code;
    } catch {
      // not JSON: the status says what there is
    }
  }
  return `HTTP ${status}`;
}

export class LongPollLoadConnection implements LoadConnection {
  slot: unknown;
  private readonly counter = new SocketBytes();
  private socket: Socket | undefined;
  private opened = false;
  private closing = false;
  private failed = false;
  private basePath = '';
  private host = '';
  /** Receive time of the read that completed the answer. */
  private readAt = 0;
  private status = 0;
  private cursor: string | undefined;
  /** The server will close this socket after the answer: the next poll goes on a new one. */
  private reconnect = false;
  /** The body, while it is only in the read buffer (no copy for an answer that arrives in one read). */
  private bodySource: Buffer | undefined;
  private bodyStart = 0;
  private bodyEnd = 0;
  private own: Buffer | undefined;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private readonly response = new HttpResponseParser({
    head: (head) => this.onHead(head),
    body: (buf, start, end) => this.onBody(buf, start, end),
    end: () => this.onAnswer(),
  }, [CURSOR_HEADER]);

  constructor(
    readonly spec: LoadConnectionSpec,
    private readonly context: LoadContext,
  ) {}

  open(): Promise<void> {
    this.basePath = `${PATHS.poll}?${this.context.connectQuery(this.spec, false).toString()}`;
    this.host = hostHeader(this.context.endpoint.baseUrl);
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.connect();
    });
  }

  private connect(): void {
    const socket = connectRaw(
      this.context.endpoint.baseUrl,
      {
        read: (buf, length) => {
          if (socket === this.socket) this.read(buf, length);
        },
        closed: (err) => {
          if (socket === this.socket) this.closed(err);
        },
      },
      () => this.poll(),
    );
    this.socket = socket;
    this.counter.track(socket);
  }

  private poll(): void {
    const cursor = this.cursor;
    const path = this.basePath + (cursor === undefined ? '&wait=0' : `&cursor=${encodeURIComponent(cursor)}${this.opened ? '' : '&wait=0'}`);
    this.socket!.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\n\r\n`);
  }

  private read(buf: Buffer, length: number): void {
    if (this.failed || this.closing) return;
    this.readAt = nowMicros();
    try {
      this.response.feed(buf, 0, length);
    } catch (err) {
      this.fail((err as Error).message);
    }
    // The read buffer is reused after this call: a body still arriving moves to own storage.
    if (this.bodySource !== undefined && this.bodySource !== this.own) this.keepBody();
  }

  private onHead(head: HttpHead): void {
    this.status = head.status;
    const cursor = head.headers.get(CURSOR_HEADER);
    this.cursor = cursor ?? this.cursor;
    this.nextCursorMissing = cursor === undefined;
    this.reconnect = (head.headers.get('connection') ?? '').toLowerCase() === 'close';
    this.bodySource = undefined;
    this.bodyStart = 0;
    this.bodyEnd = 0;
  }

  private nextCursorMissing = false;

  private onBody(buf: Buffer, start: number, end: number): void {
    if (this.bodySource === undefined) {
      this.bodySource = buf;
      this.bodyStart = start;
      this.bodyEnd = end;
      return;
    }
    if (this.bodySource !== this.own) this.keepBody();
    this.append(buf, start, end);
  }

  private keepBody(): void {
    const source = this.bodySource!;
    const start = this.bodyStart;
    const end = this.bodyEnd;
    this.bodyStart = 0;
    this.bodyEnd = 0;
    this.append(source, start, end);
  }

  private append(buf: Buffer, start: number, end: number): void {
    const needed = this.bodyEnd + (end - start);
    if (this.own === undefined || this.own.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(1024, needed * 2));
      if (this.own !== undefined && this.bodySource === this.own) this.own.copy(grown, 0, 0, this.bodyEnd);
      this.own = grown;
    }
    this.bodySource = this.own;
    this.bodyEnd += buf.copy(this.own, this.bodyEnd, start, end);
  }

  private onAnswer(): void {
    const body = this.bodySource;
    const start = this.bodyStart;
    const end = this.bodyEnd;
    this.bodySource = undefined;
    if (this.status !== 200) {
      // An error answer is the server ending the poll loop on purpose, with a code; anything else failed.
      return this.fail(`GET /poll answered ${this.status}: ${body === undefined ? '' : body.toString('utf8', start, Math.min(end, start + 200))}`, { kind: 'server-cut', code: errorCodeOf(this.status, body, start, end) });
    }
    if (this.nextCursorMissing) return this.fail(`a poll answer has no ${CURSOR_HEADER} header`);
    if (body !== undefined && end > start) this.deliver(body, start, end);
    if (!this.opened) {
      this.opened = true;
      this.settle?.resolve();
    }
    if (this.closing || this.failed) return;
    if (this.reconnect) {
      const old = this.socket;
      this.connect();
      old?.destroy();
    } else this.poll();
  }

  private deliver(body: Buffer, start: number, end: number): void {
    const { sink, endpoint } = this.context;
    const at = this.readAt;
    try {
      if (endpoint.encoding === 'binary') {
        for (let offset = start; offset < end; ) {
          offset = peekBinaryRange(body, offset, end, peeked);
          sink.data(this, peeked, at);
        }
        return;
      }
      const delivered = this.deliverJsonFast(body, start, end, at);
      if (delivered >= 0) this.deliverJsonSlow(body, start, end, at, delivered);
    } catch (err) {
      sink.problem(this, 'decode', (err as Error).message);
    }
  }

  /**
   * A batch as the reference server writes it (`[msg,msg]`, no spaces), read from its bytes.
   * Returns -1 when it read it all, else how many messages it delivered before it met something
   * the fast path does not read (the full parse takes over from there).
   */
  private deliverJsonFast(body: Buffer, start: number, end: number, at: number): number {
    const { sink } = this.context;
    if (body[start] !== OPEN_BRACKET) return 0;
    let i = start + 1;
    let delivered = 0;
    if (body[i] === CLOSE_BRACKET) return i + 1 === end ? -1 : 0;
    for (;;) {
      const next = peekJsonBytesAt(body, i, end, peeked, false);
      if (next < 0) return delivered;
      const separator = body[next];
      if (separator !== COMMA && separator !== CLOSE_BRACKET) return delivered;
      if (separator === CLOSE_BRACKET && next + 1 !== end) return delivered;
      sink.data(this, peeked, at);
      delivered++;
      if (separator === CLOSE_BRACKET) return -1;
      i = next + 1;
    }
  }

  private deliverJsonSlow(body: Buffer, start: number, end: number, at: number, skip: number): void {
    const { sink } = this.context;
    const items: unknown = JSON.parse(body.toString('utf8', start, end));
    if (!Array.isArray(items)) throw new Error('a long-poll JSON body must be an array');
    for (let n = skip; n < items.length; n++) {
      const item: unknown = items[n];
      if (readJsonMessage(item, peeked)) sink.data(this, peeked, at);
      else sink.problem(this, 'decode', `not a data message: ${JSON.stringify(item).slice(0, 80)}`);
    }
  }

  /** The connection cannot go on: before open the connect fails, after it the sink hears why. */
  private fail(why: string, cause: EndCause = { kind: 'failed' }): void {
    if (this.failed) return;
    this.failed = true;
    if (!this.opened) this.settle?.reject(new Error(why));
    else if (!this.closing) this.context.sink.lost(this, why, cause);
    this.socket?.destroy();
  }

  private closed(err: Error | undefined): void {
    if (this.closing || this.failed) return;
    if (this.response.closed()) return;
    this.fail(err?.message ?? 'the server closed the connection during a poll');
  }

  send(room: string, mid: number, payload: string): void {
    this.context.post(this, room, mid, payload);
  }

  close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  bytes(): { read: number; written: number } {
    return this.counter.totals();
  }
}

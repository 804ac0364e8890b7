/**
 * SSE load connection on a raw socket: the GET is written by hand, the response read by
 * clients/load/wire/http-response.ts (which undoes the chunked encoding) and the events split by
 * clients/load/wire/sse-events.ts, all from the shared read buffer. node:http and
 * eventsource-parser (a stream, a string per read, per line and per event) cost 7.5 µs of client
 * CPU per delivery at 150k deliveries/s (1,000 subscribers) on this 2-core machine, and left the
 * workers client-bound; this code took 3.6 to 5.0 µs in the same conditions.
 */
import type { Socket } from 'node:net';
import { nowMicros } from '../../../scenarios/clock.ts';
import { PATHS } from '../../../scenarios/constants.ts';
import { newPeekedData, peekBinaryRange, peekJsonBytes } from '../../../scenarios/peek.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from '../load-connection.ts';
import { decodeBase64Into } from '../wire/base64.ts';
import { HttpResponseParser, type HttpHead } from '../wire/http-response.ts';
import { connectRaw, hostHeader } from '../wire/raw-socket.ts';
import { SseEventParser } from '../wire/sse-events.ts';

const peeked = newPeekedData();
/** Decoded binary data events; shared, since each is peeked before the next is decoded. */
let binaryScratch = Buffer.allocUnsafe(4096);
const ERROR_BODY_LIMIT = 200;

export class SseLoadConnection implements LoadConnection {
  slot: unknown;
  private socket: Socket | undefined;
  private opened = false;
  private ended = false;
  private closing = false;
  /** The stream's key, from its welcome: the server takes sends under this connection's id only with it. */
  private key: string | undefined;
  /** The code of the stream's `error` event: the server ending the stream says why in one just before. */
  private errorCode: string | undefined;
  /** Receive time of the read being parsed: every event in one read arrived together. */
  private readAt = 0;
  private status = 0;
  private errorBody = '';
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private readonly events = new SseEventParser({ event: (name, buf, start, end) => this.onEvent(name, buf, start, end) });
  private readonly response = new HttpResponseParser({
    head: (head) => this.onHead(head),
    body: (buf, start, end) => {
      if (this.status === 200) this.events.feed(buf, start, end);
      else if (this.errorBody.length < ERROR_BODY_LIMIT) this.errorBody += buf.toString('utf8', start, end);
    },
    end: () => this.onEnd(),
  });

  constructor(
    readonly spec: LoadConnectionSpec,
    private readonly context: LoadContext,
  ) {}

  open(): Promise<void> {
    const { endpoint } = this.context;
    const path = `${PATHS.sse}?${this.context.connectQuery(this.spec, true).toString()}`;
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.socket = connectRaw(
        endpoint.baseUrl,
        { read: (buf, length) => this.read(buf, length), closed: (err) => this.closed(err) },
        (socket) => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader(endpoint.baseUrl)}\r\nAccept: text/event-stream\r\n\r\n`),
      );
    });
  }

  private read(buf: Buffer, length: number): void {
    if (this.ended) return;
    this.readAt = nowMicros();
    try {
      this.response.feed(buf, 0, length);
    } catch (err) {
      this.end((err as Error).message);
    }
  }

  private onHead(head: HttpHead): void {
    this.status = head.status;
    if (head.status !== 200) return;
    this.opened = true;
    this.settle?.resolve();
  }

  private onEnd(): void {
    if (this.status === 200) this.end('the event stream ended');
    else this.end(`GET /sse answered ${this.status}: ${this.errorBody.slice(0, ERROR_BODY_LIMIT)}`);
  }

  /** The stream is over: before it opened the connect fails with `why`, after it the sink hears it. */
  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.opened) this.settle?.reject(new Error(why));
    else if (!this.closing) this.context.sink.lost(this, why, this.errorCode === undefined ? { kind: 'failed' } : { kind: 'server-cut', code: this.errorCode });
    this.socket?.destroy();
  }

  private closed(err: Error | undefined): void {
    if (this.response.closed()) return;
    this.end(err?.message ?? (this.opened ? 'the event stream ended' : 'the server closed the connection before answering GET /sse'));
  }

  private onEvent(name: string, buf: Buffer, start: number, end: number): void {
    const { sink, endpoint } = this.context;
    try {
      if (name === '') {
        if (endpoint.encoding === 'binary') {
          const room = ((end - start) * 3) / 4;
          if (binaryScratch.length < room) binaryScratch = Buffer.allocUnsafe(room * 2);
          const length = decodeBase64Into(buf, start, end, binaryScratch);
          if (length < 0) throw new Error(`a binary data event is not base64: ${buf.toString('utf8', start, Math.min(end, start + 80))}`);
          if (peekBinaryRange(binaryScratch, 0, length, peeked) !== length) throw new Error('a data event holds more than one binary message');
        } else if (!peekJsonBytes(buf, start, end, peeked)) throw new Error(`a data event is not a data message: ${buf.toString('utf8', start, Math.min(end, start + 80))}`);
        sink.data(this, peeked, this.readAt);
      } else if (name === 'welcome') {
        const key = (JSON.parse(buf.toString('utf8', start, end)) as { key?: unknown }).key;
        this.key = typeof key === 'string' ? key : undefined;
      } else if (name === 'error') {
        const text = buf.toString('utf8', start, end);
        sink.problem(this, 'server-error', text);
        // The server ending the stream says why in an error event just before: its code names the cut.
        const code = (JSON.parse(text) as { code?: unknown }).code;
        if (typeof code === 'string') this.errorCode = code;
      }
    } catch (err) {
      sink.problem(this, 'decode', (err as Error).message);
    }
  }

  send(room: string, mid: number, payload: string): void {
    // The welcome comes in the stream's first bytes, long before the first send of a run.
    this.context.post(this, room, mid, payload, this.key);
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
    return { read: this.socket?.bytesRead ?? 0, written: this.socket?.bytesWritten ?? 0 };
  }
}

/** SSE load connection: node:http (its native parser undoes the chunked encoding) and eventsource-parser for the events. */
import { get, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { nowMicros } from '../../../scenarios/clock.ts';
import { PATHS } from '../../../scenarios/constants.ts';
import { newPeekedData, peekBinary, peekJson } from '../../../scenarios/peek.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from '../load-connection.ts';

const peeked = newPeekedData();

export class SseLoadConnection implements LoadConnection {
  slot: unknown;
  private request: ClientRequest | undefined;
  private socket: Socket | undefined;
  private closing = false;
  /** The stream's key, from its welcome: the server takes sends under this connection's id only with it. */
  private key: string | undefined;
  /** The code of the stream's `error` event: the server ending the stream says why in one just before. */
  private errorCode: string | undefined;
  /** Receive time of the chunk being parsed: every event in one read arrived together. */
  private chunkAt = 0;

  constructor(
    readonly spec: LoadConnectionSpec,
    private readonly context: LoadContext,
  ) {}

  private onEvent(event: EventSourceMessage): void {
    const { sink, endpoint } = this.context;
    try {
      if (event.event === undefined) {
        if (endpoint.encoding === 'binary') peekBinary(Buffer.from(event.data, 'base64'), 0, peeked);
        else if (!peekJson(event.data, peeked)) throw new Error(`a data event is not a data message: ${event.data.slice(0, 80)}`);
        sink.data(this, peeked, this.chunkAt);
      } else if (event.event === 'welcome') {
        const key = (JSON.parse(event.data) as { key?: unknown }).key;
        this.key = typeof key === 'string' ? key : undefined;
      } else if (event.event === 'error') {
        sink.problem(this, 'server-error', event.data);
        const code = (JSON.parse(event.data) as { code?: unknown }).code;
        if (typeof code === 'string') this.errorCode = code;
      }
    } catch (err) {
      sink.problem(this, 'decode', (err as Error).message);
    }
  }

  open(): Promise<void> {
    const { endpoint, sink } = this.context;
    const url = `${endpoint.baseUrl}${PATHS.sse}?${this.context.connectQuery(this.spec, true).toString()}`;
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      const parser = createParser({ onEvent: (event) => this.onEvent(event) });
      const request = get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
        if (response.statusCode !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (text: string) => (body += text));
          response.on('end', () => reject(new Error(`GET /sse answered ${response.statusCode}: ${body.slice(0, 200)}`)));
          return;
        }
        opened = true;
        resolve();
        response.setEncoding('utf8');
        response.on('data', (text: string) => {
          this.chunkAt = nowMicros();
          parser.feed(text);
        });
        response.on('close', () => {
          if (!this.closing) sink.lost(this, 'the event stream ended', this.errorCode === undefined ? { kind: 'failed' } : { kind: 'server-cut', code: this.errorCode });
        });
      });
      request.on('socket', (socket) => (this.socket = socket));
      request.on('error', (err) => {
        if (!opened) reject(err);
        else if (!this.closing) sink.lost(this, err.message, this.errorCode === undefined ? { kind: 'failed' } : { kind: 'server-cut', code: this.errorCode });
      });
      this.request = request;
    });
  }

  send(room: string, mid: number, payload: string): void {
    // The welcome comes in the stream's first bytes, long before the first send of a run.
    this.context.post(this, room, mid, payload, this.key);
  }

  close(): Promise<void> {
    this.closing = true;
    this.request?.destroy();
    return Promise.resolve();
  }

  bytes(): { read: number; written: number } {
    return { read: this.socket?.bytesRead ?? 0, written: this.socket?.bytesWritten ?? 0 };
  }
}

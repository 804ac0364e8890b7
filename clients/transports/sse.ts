/**
 * SSE client adapter: an undici stream parsed by eventsource-parser. Like a browser's EventSource it
 * waits the server's `retry:` before reconnecting and resumes with Last-Event-ID.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Pool } from 'undici';
import { decodeControl } from '../../scenarios/codec-json.ts';
import { decodeData } from '../../scenarios/codec.ts';
import { PATHS, type TransportName } from '../../scenarios/constants.ts';
import type { ClientMessage } from '../../scenarios/envelope.ts';
import { BaseClient, ClientError, type ClientOptions } from '../client.ts';
import { isFinalErrorCode } from '../reconnect-policy.ts';
import { createPool, errorFromResponse, postMessage } from './http-common.ts';

/** Without a byte for this long (four missed default heartbeats) the stream is presumed dead. */
const STREAM_IDLE_TIMEOUT_MS = 60_000;

export class SseClient extends BaseClient {
  readonly transport: TransportName = 'sse';
  private readonly pool: Pool;
  private abort: AbortController | undefined;
  private serverRetryMs: number | undefined;
  /** The open stream's key (its welcome): POSTs under this client's id present it. A new stream brings a new one. */
  private streamKey: string | undefined;
  /** An error event after which the stream's end is final (TOKEN_EXPIRED, BANNED): no reconnect until the token is refreshed. */
  private finalError: ClientError | undefined;

  constructor(options: ClientOptions) {
    super(options);
    this.pool = createPool(options.url, this.counter, STREAM_IDLE_TIMEOUT_MS);
  }

  protected async openConnection(cursor: string | undefined): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const query = this.connectQuery(undefined);
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (cursor !== undefined) headers['last-event-id'] = cursor;
    const response = await this.pool.request({ path: `${PATHS.sse}?${query.toString()}`, method: 'GET', headers, signal: abort.signal });
    if (response.statusCode !== 200) throw await errorFromResponse(response);
    const parser = createParser({
      onEvent: (event) => this.onEvent(event),
      onRetry: (ms) => {
        this.serverRetryMs = ms;
      },
    });
    const decoder = new TextDecoder();
    this.finalError = undefined;
    (async () => {
      try {
        for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
        this.connectionLost(this.finalError ?? new ClientError('STREAM_ENDED', 'the server ended the event stream', false));
      } catch (err) {
        this.connectionLost(err as Error);
      }
    })();
  }

  private onEvent(event: EventSourceMessage): void {
    try {
      if (event.event === undefined || event.event === 'message') {
        this.delivered(decodeData(event.data, this.encoding));
      } else {
        const message = decodeControl(event.data);
        if (message.type === 'welcome') this.streamKey = message.key;
        if (message.type === 'error' && isFinalErrorCode(message.code)) this.finalError = new ClientError(message.code, message.message, true);
        this.control(message);
      }
    } catch (err) {
      this.reportError(err as Error);
    }
  }

  protected override reconnectDelay(): number | undefined {
    const backoff = super.reconnectDelay();
    return backoff === undefined ? undefined : (this.serverRetryMs ?? backoff);
  }

  /**
   * Join and leave replies also arrive on the stream (with the stream's new cursor); that copy is the
   * one used. With a client id, the server takes them (and sends under that id) only with the key of
   * an open stream: before the first welcome, or against a server that sends none, there is none to give.
   */
  protected async transmit(message: ClientMessage): Promise<void> {
    await postMessage(this.pool, message, this.encoding, this.clientId, this.options.token, this.streamKey);
  }

  protected async closeConnection(): Promise<void> {
    this.abort?.abort();
    await this.pool.destroy();
  }
}

/**
 * Long-poll client adapter over an undici keep-alive pool. The first poll (wait=0) is the
 * handshake; then it polls again as soon as each answer arrives, carrying the cursor it was given.
 */
import type { Pool } from 'undici';
import { decodeBatch } from '../../scenarios/codec.ts';
import { CURSOR_HEADER, PATHS, SERVER_DEFAULTS, type TransportName } from '../../scenarios/constants.ts';
import type { ClientMessage } from '../../scenarios/envelope.ts';
import { BaseClient, ClientError, type ClientOptions } from '../client.ts';
import { createPool, errorFromResponse, postMessage } from './http-common.ts';

export class LongPollClient extends BaseClient {
  readonly transport: TransportName = 'long-poll';
  private readonly pool: Pool;
  private abort: AbortController | undefined;
  private cursor: string | undefined;

  constructor(options: ClientOptions) {
    super(options);
    this.pool = createPool(options.url, this.counter, SERVER_DEFAULTS.pollTimeoutMs + 30_000);
  }

  /** One poll: emits what it brought and returns the cursor to continue from. */
  private async poll(cursor: string | undefined, wait: number | undefined): Promise<string> {
    const query = this.connectQuery(cursor);
    query.delete('client');
    if (wait !== undefined) query.set('wait', String(wait));
    const response = await this.pool.request({ path: `${PATHS.poll}?${query.toString()}`, method: 'GET', signal: this.abort?.signal });
    if (response.statusCode !== 200) throw await errorFromResponse(response);
    const next = response.headers[CURSOR_HEADER];
    if (typeof next !== 'string') throw new ClientError('BAD_RESPONSE', `poll answer has no ${CURSOR_HEADER} header`, true);
    const body = new Uint8Array(await response.body.arrayBuffer());
    for (const envelope of decodeBatch(body, this.encoding)) this.delivered(envelope);
    return next;
  }

  protected async openConnection(cursor: string | undefined): Promise<void> {
    this.abort = new AbortController();
    this.cursor = await this.poll(cursor, 0);
    this.opened(this.cursor);
    void this.loop(this.abort);
  }

  private async loop(abort: AbortController): Promise<void> {
    try {
      while (!abort.signal.aborted) this.cursor = await this.poll(this.cursor, undefined);
    } catch (err) {
      if (!abort.signal.aborted) this.connectionLost(err as Error);
      else this.connectionLost(new ClientError('CLOSED', 'closed by the client', true));
    }
  }

  protected async transmit(message: ClientMessage): Promise<void> {
    await postMessage(this.pool, message, this.encoding, this.clientId, this.options.token);
  }

  protected async closeConnection(): Promise<void> {
    this.abort?.abort();
    await this.pool.destroy();
  }
}

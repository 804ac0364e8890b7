/**
 * Long-poll load connection: one undici keep-alive connection per client, polling again as soon as
 * each answer arrives. The first poll (wait=0) is the handshake that returns the starting cursor.
 */
import { Client } from 'undici';
import { nowMicros } from '../../../scenarios/clock.ts';
import { CURSOR_HEADER, PATHS } from '../../../scenarios/constants.ts';
import { newPeekedData, peekBinary, type PeekedData } from '../../../scenarios/peek.ts';
import { SocketBytes } from '../../../scenarios/socket-bytes.ts';
import { countingConnector } from '../../byte-counter.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from '../load-connection.ts';

const peeked = newPeekedData();

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

export class LongPollLoadConnection implements LoadConnection {
  slot: unknown;
  private readonly counter = new SocketBytes();
  private client: Client | undefined;
  private closing = false;
  private basePath = '';

  constructor(
    readonly spec: LoadConnectionSpec,
    private readonly context: LoadContext,
  ) {}

  private async poll(cursor: string | undefined, wait0: boolean): Promise<string> {
    const path = this.basePath + (cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`) + (wait0 ? '&wait=0' : '');
    const response = await this.client!.request({ method: 'GET', path });
    const body = Buffer.from(await response.body.arrayBuffer());
    const at = nowMicros();
    if (response.statusCode !== 200) throw new Error(`GET /poll answered ${response.statusCode}: ${body.toString().slice(0, 200)}`);
    const next = response.headers[CURSOR_HEADER];
    if (typeof next !== 'string') throw new Error(`a poll answer has no ${CURSOR_HEADER} header`);
    this.deliver(body, at);
    return next;
  }

  private deliver(body: Buffer, at: number): void {
    const { sink, endpoint } = this.context;
    if (body.length === 0) return;
    try {
      if (endpoint.encoding === 'binary') {
        for (let offset = 0; offset < body.length; ) {
          offset = peekBinary(body, offset, peeked);
          sink.data(this, peeked, at);
        }
        return;
      }
      const items: unknown = JSON.parse(body.toString());
      if (!Array.isArray(items)) throw new Error('a long-poll JSON body must be an array');
      for (const item of items) {
        if (readJsonMessage(item, peeked)) sink.data(this, peeked, at);
        else sink.problem(this, 'decode', `not a data message: ${JSON.stringify(item).slice(0, 80)}`);
      }
    } catch (err) {
      sink.problem(this, 'decode', (err as Error).message);
    }
  }

  async open(): Promise<void> {
    const { endpoint } = this.context;
    this.basePath = `${PATHS.poll}?${this.context.connectQuery(this.spec, false).toString()}`;
    this.client = new Client(endpoint.baseUrl, { pipelining: 1, connect: countingConnector(this.counter), bodyTimeout: 0, headersTimeout: 0 });
    const cursor = await this.poll(undefined, true);
    void this.loop(cursor);
  }

  private async loop(start: string): Promise<void> {
    let cursor = start;
    try {
      while (!this.closing) cursor = await this.poll(cursor, false);
    } catch (err) {
      if (!this.closing) this.context.sink.lost(this, (err as Error).message);
    }
  }

  send(room: string, mid: number, payload: string): void {
    this.context.post(this, room, mid, payload);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client?.destroy();
  }

  bytes(): { read: number; written: number } {
    return this.counter.totals();
  }
}

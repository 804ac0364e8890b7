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

/** The `code` of an error answer's JSON body (docs/PROTOCOL.md §8), else the status. */
function errorCodeOf(status: number, body: Buffer): string {
  try {
    const code = (JSON.parse(body.toString()) as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  } catch {
    // not JSON: the status says what there is
  }
  return `HTTP ${status}`;
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

  /**
   * One poll through undici's dispatch API: the body is collected from raw chunks, with no stream
   * object per response (a poll's client cost is what bounds long-poll throughput).
   */
  private poll(cursor: string | undefined, wait0: boolean): Promise<string> {
    const path = this.basePath + (cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`) + (wait0 ? '&wait=0' : '');
    return new Promise<string>((resolve, reject) => {
      let status = 0;
      let next: unknown;
      const chunks: Buffer[] = [];
      // undici 7's Client checks for the classic handler methods (onConnect, onHeaders, ...).
      this.client!.dispatch(
        { method: 'GET', path },
        {
          onConnect: () => undefined,
          onHeaders: (statusCode: number, rawHeaders: Buffer[]) => {
            status = statusCode;
            for (let i = 0; i < rawHeaders.length; i += 2) {
              if (rawHeaders[i]!.length === CURSOR_HEADER.length && rawHeaders[i]!.toString('latin1').toLowerCase() === CURSOR_HEADER) next = rawHeaders[i + 1]!.toString('latin1');
            }
            return true;
          },
          onData: (chunk: Buffer) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () => {
            const at = nowMicros();
            const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            if (status !== 200) return reject(Object.assign(new Error(`GET /poll answered ${status}: ${body.toString().slice(0, 200)}`), { serverCode: errorCodeOf(status, body) }));
            if (typeof next !== 'string') return reject(new Error(`a poll answer has no ${CURSOR_HEADER} header`));
            this.deliver(body, at);
            resolve(next);
          },
          onError: (err: Error) => reject(err),
        },
      );
    });
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
      // An error answer is the server ending the poll loop on purpose; anything else failed.
      const serverCode = (err as { serverCode?: string }).serverCode;
      if (!this.closing) this.context.sink.lost(this, (err as Error).message, serverCode === undefined ? { kind: 'failed' } : { kind: 'server-cut', code: serverCode });
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

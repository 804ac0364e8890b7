/**
 * A page client over fetch: a handshake (wait=0, with the held cursor on a resume), then polls,
 * each with the cursor of the answer before (docs/PROTOCOL.md, long-poll).
 */
import { nowMicros } from '../../../../scenarios/clock.ts';
import { CURSOR_HEADER, PATHS } from '../../../../scenarios/constants.ts';
import { PageClient } from './client.ts';

export class LongPollPageClient extends PageClient {
  private abort: AbortController | undefined;
  /** The cursor of the latest answer: the next poll's, and a resume's. */
  private cursor: string | undefined;

  protected openTransport(): void {
    this.abort = new AbortController();
    void this.loop(this.abort.signal);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const base = `${this.spec.url}${PATHS.poll}?${this.connectQuery({ withClientId: false }).toString()}`;
    let handshake = true;
    let retry = true;
    try {
      while (!this.closing) {
        const url = base + (this.cursor === undefined ? '' : `&cursor=${encodeURIComponent(this.cursor)}`) + (handshake ? '&wait=0' : '');
        const response = await fetch(url, { signal, cache: 'no-store' });
        const body = await response.text();
        const atUs = nowMicros();
        if (response.status !== 200) {
          // A 4xx will not get better by retrying (a bad cursor after a server restart, a bad token).
          retry = response.status >= 500;
          throw new Error(`GET ${PATHS.poll} answered ${response.status}: ${body.slice(0, 200)}`);
        }
        const cursor = response.headers.get(CURSOR_HEADER);
        if (cursor === null) throw new Error(`a poll answer has no ${CURSOR_HEADER} header (is it exposed by CORS?)`);
        this.cursor = cursor;
        if (handshake) {
          handshake = false;
          retry = this.holdCursor(cursor);
          if (!retry) throw new Error(`a poll answer's ${CURSOR_HEADER} header is not a cursor: ${cursor.slice(0, 120)}`);
          this.opened(atUs);
        }
        this.deliver(body, atUs);
      }
    } catch (err) {
      this.ended((err as Error).message, retry);
    }
  }

  private deliver(body: string, atUs: number): void {
    let items: unknown;
    try {
      items = JSON.parse(body);
    } catch (err) {
      this.host.problem(this, 'decode', (err as Error).message);
      return;
    }
    if (!Array.isArray(items)) this.host.problem(this, 'decode', 'a long-poll JSON body must be an array');
    else for (const item of items) this.data(item, atUs);
  }

  send(room: string, mid: number, payload: string): void {
    this.post(room, mid, payload);
  }

  override close(): void {
    super.close();
    this.abort?.abort();
  }
}

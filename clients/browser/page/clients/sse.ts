/**
 * A page client over the browser's own EventSource. It reconnects by itself after the server's
 * retry:, sending Last-Event-ID, so this client never retries: it only notes the loss and the reopen.
 */
import { nowMicros } from '../../../../scenarios/clock.ts';
import { PATHS } from '../../../../scenarios/constants.ts';
import { isFinalErrorCode } from '../../../reconnect-policy.ts';
import { PageClient } from './client.ts';

/** A string field of a control event's JSON; message() reports an undecodable one. */
function fieldOf(text: string, name: 'key' | 'code'): string | undefined {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
const keyOf = (welcome: string): string | undefined => fieldOf(welcome, 'key');
const codeOf = (error: string): string | undefined => fieldOf(error, 'code');

export class SsePageClient extends PageClient {
  private source: EventSource | undefined;
  /** The open stream's key, from its welcome (each reconnect brings a new one): sends under this client's id present it. */
  private key: string | undefined;

  protected openTransport(): void {
    const source = (this.source = new EventSource(`${this.spec.url}${PATHS.sse}?${this.connectQuery({ withClientId: true }).toString()}`));
    source.onopen = () => this.opened();
    // Data events have no event: field; control events are named.
    source.onmessage = (event: MessageEvent<string>) => this.message(event.data, nowMicros());
    source.addEventListener('welcome', (event: MessageEvent<string>) => {
      this.key = keyOf(event.data);
      this.message(event.data, nowMicros());
    });
    source.addEventListener('error', (event: Event) => {
      // An 'event: error' control message from the server, not a connection failure.
      if (event instanceof MessageEvent && typeof event.data === 'string') {
        this.message(event.data, nowMicros());
        // The EventSource would reconnect by itself after the stream ends: after these it must not (docs/PROTOCOL.md §7).
        const code = codeOf(event.data);
        if (code !== undefined && isFinalErrorCode(code)) {
          source.close();
          this.ended(`the server ended the stream with ${code}`, false);
        }
        return;
      }
      if (source.readyState === EventSource.CLOSED) this.ended('the EventSource gave up (an HTTP error or not an event stream)', false);
      else {
        if (!this.host.plan.reconnect) source.close();
        this.ended('the stream ended; the EventSource reconnects by itself', false);
      }
    });
  }

  send(room: string, mid: number, payload: string): void {
    this.post(room, mid, payload, this.key);
  }

  override close(): void {
    super.close();
    this.source?.close();
  }
}

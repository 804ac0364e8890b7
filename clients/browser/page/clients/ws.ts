/** A page client over the browser's own WebSocket (JSON text frames). */
import { encodeClientJson } from '../../../../scenarios/codec-json.ts';
import { nowMicros } from '../../../../scenarios/clock.ts';
import { CLOSE_CODES, PATHS } from '../../../../scenarios/constants.ts';
import { isFinalCloseCode } from '../../../reconnect-policy.ts';
import { PageClient } from './client.ts';

export class WsPageClient extends PageClient {
  private ws: WebSocket | undefined;

  protected openTransport(): void {
    this.host.webSockets.whenFree(() => this.openWebSocket());
  }

  private openWebSocket(): void {
    if (this.closing) {
      this.host.webSockets.release();
      return;
    }
    this.restartConnectTime();
    // A reconnect resumes from what the client holds: channel:seq,...
    const query = this.connectQuery({ withClientId: true, resume: true });
    const ws = (this.ws = new WebSocket(`${this.spec.url.replace(/^http/, 'ws')}${PATHS.ws}?${query.toString()}`));
    let handshaking = true;
    const settle = (): void => {
      if (handshaking) this.host.webSockets.release();
      handshaking = false;
    };
    // Opened on its welcome (PageClient.message), not here: see there.
    ws.onopen = () => settle();
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') this.message(event.data, nowMicros());
      else this.host.problem(this, 'decode', 'a binary frame on a json connection');
    };
    ws.onclose = (event: CloseEvent) => {
      settle();
      this.ended(`closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`, !isFinalCloseCode(event.code));
    };
  }

  send(room: string, mid: number, payload: string): void {
    if (!this.open || this.ws === undefined) this.host.problem(this, 'send', 'the WebSocket is not open');
    else this.ws.send(encodeClientJson({ type: 'send', room, mid, payload }));
  }

  override close(): void {
    super.close();
    this.ws?.close(CLOSE_CODES.normal);
  }
}

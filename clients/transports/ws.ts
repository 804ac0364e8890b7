/** WebSocket client adapter over the ws library. Control frames are JSON text; data is text or binary. */
import { createConnection, type NetConnectOpts } from 'node:net';
import WebSocket from 'ws';
import { decodeDataBinary } from '../../scenarios/codec-binary.ts';
import { decodeControl, decodeDataJson, isDataJson } from '../../scenarios/codec-json.ts';
import { encodeClient } from '../../scenarios/codec.ts';
import { CLOSE_CODES, PATHS, type TransportName } from '../../scenarios/constants.ts';
import type { ClientMessage } from '../../scenarios/envelope.ts';
import { BaseClient, ClientError } from '../client.ts';
import { isFinalCloseCode } from '../reconnect-policy.ts';

const CLOSE_CODE_NAMES: Record<number, string> = {
  [CLOSE_CODES.goingAway]: 'SHUTTING_DOWN',
  [CLOSE_CODES.messageTooBig]: 'MESSAGE_TOO_LARGE',
  [CLOSE_CODES.unauthorized]: 'UNAUTHORIZED',
  [CLOSE_CODES.tokenExpired]: 'TOKEN_EXPIRED',
  [CLOSE_CODES.forbidden]: 'BANNED',
  [CLOSE_CODES.slowConsumer]: 'SLOW_CONSUMER',
};

export class WsClient extends BaseClient {
  readonly transport: TransportName = 'ws';
  private socket: WebSocket | undefined;

  protected openConnection(cursor: string | undefined): Promise<void> {
    const url = this.options.url.replace(/^http/, 'ws') + PATHS.ws + '?' + this.connectQuery(cursor).toString();
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        createConnection: (options: NetConnectOpts) => {
          const socket = createConnection(options);
          this.counter.track(socket);
          return socket;
        },
      } as WebSocket.ClientOptions);
      this.socket = ws;
      let established = false;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        try {
          if (isBinary) this.delivered(decodeDataBinary(data).envelope);
          else {
            const text = data.toString('utf8');
            if (isDataJson(text)) this.delivered(decodeDataJson(text));
            else {
              const control = decodeControl(text);
              this.control(control);
              // Established once welcomed: the server accepts every upgrade and refuses a bad token with a
              // 4001 close right after (docs/PROTOCOL.md §7), so the upgrade alone proves nothing.
              if (!established && control.type === 'welcome') {
                established = true;
                resolve();
              }
            }
          }
        } catch (err) {
          this.reportError(err as Error);
        }
      });
      ws.on('error', (err) => {
        if (!established) reject(err);
        else this.reportError(err);
      });
      ws.on('close', (code: number, reason: Buffer) => {
        if (this.socket === ws) this.socket = undefined;
        const name = CLOSE_CODE_NAMES[code] ?? (reason.length > 0 ? reason.toString() : `CLOSE_${code}`);
        const err = new ClientError(name, `connection closed with code ${code}${reason.length > 0 ? ` (${reason.toString()})` : ''}`, isFinalCloseCode(code));
        if (!established) reject(err);
        else this.connectionLost(err);
      });
    });
  }

  protected transmit(message: ClientMessage): Promise<void> {
    const ws = this.socket;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return Promise.reject(new ClientError('NOT_CONNECTED', 'the WebSocket is not open', false));
    return new Promise((resolve, reject) => ws.send(encodeClient(message, this.encoding), (err) => (err ? reject(err) : resolve())));
  }

  protected closeConnection(): Promise<void> {
    const ws = this.socket;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close(CLOSE_CODES.normal);
    });
  }
}

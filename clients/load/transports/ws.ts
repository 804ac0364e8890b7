/** WebSocket load connection: the ws library with compression and UTF-8 validation off (the lab reads only header fields). */
import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import WebSocket from 'ws';
import { encodeClient } from '../../../scenarios/codec.ts';
import { nowMicros } from '../../../scenarios/clock.ts';
import { PATHS } from '../../../scenarios/constants.ts';
import { newPeekedData, peekBinary, peekJson } from '../../../scenarios/peek.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from '../load-connection.ts';
import { describeControl } from './control.ts';

const peeked = newPeekedData();

export class WsLoadConnection implements LoadConnection {
  slot: unknown;
  private ws: WebSocket | undefined;
  private socket: Socket | undefined;
  private closing = false;

  constructor(
    readonly spec: LoadConnectionSpec,
    private readonly context: LoadContext,
  ) {}

  open(): Promise<void> {
    const { endpoint, sink } = this.context;
    const url = endpoint.baseUrl.replace(/^http/, 'ws') + PATHS.ws + '?' + this.context.connectQuery(this.spec, true).toString();
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        createConnection: (options: NetConnectOpts) => (this.socket = createConnection(options)),
      } as WebSocket.ClientOptions);
      this.ws = ws;
      let opened = false;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const at = nowMicros();
        // Open once welcomed: the server accepts every upgrade and refuses a bad token with a 4001
        // close right after (docs/PROTOCOL.md §7), so the upgrade alone does not mean the client can receive.
        if (!opened) {
          if (!isBinary && isWelcome(data.toString())) {
            opened = true;
            resolve();
          }
          return;
        }
        try {
          if (isBinary) {
            peekBinary(data, 0, peeked);
            sink.data(this, peeked, at);
            return;
          }
          const text = data.toString();
          if (peekJson(text, peeked)) sink.data(this, peeked, at);
          else {
            const problem = describeControl(text);
            if (problem !== undefined) sink.problem(this, 'server-error', problem);
          }
        } catch (err) {
          sink.problem(this, 'decode', (err as Error).message);
        }
      });
      ws.on('error', (err) => {
        if (!opened) reject(err);
      });
      ws.on('unexpected-response', (_req, res) => {
        reject(new Error(`the server answered the upgrade with HTTP ${res.statusCode}`));
        res.resume();
        ws.terminate();
      });
      ws.on('close', (code: number, reason: Buffer) => {
        if (!opened) reject(new Error(`closed during the handshake with code ${code} ${reason.toString()}`));
        // 1006: no close frame came (a reset, a drop); any other code is the server's own close.
        else if (!this.closing) sink.lost(this, `closed by the server with code ${code}${reason.length > 0 ? ` (${reason.toString()})` : ''}`, code === 1006 ? { kind: 'failed' } : { kind: 'server-cut', code: `${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}` });
      });
    });
  }

  send(room: string, mid: number, payload: string): void {
    const ws = this.ws;
    const { endpoint, sink } = this.context;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
      sink.problem(this, 'send', 'the WebSocket is not open');
      return;
    }
    ws.send(encodeClient({ type: 'send', room, mid, payload: endpoint.encoding === 'binary' ? Buffer.from(payload) : payload }, endpoint.encoding));
  }

  close(): Promise<void> {
    this.closing = true;
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000);
    });
  }

  bytes(): { read: number; written: number } {
    return { read: this.socket?.bytesRead ?? 0, written: this.socket?.bytesWritten ?? 0 };
  }
}

/** The first message of a WS connection, parsed once per connection (field order is not assumed). */
function isWelcome(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'welcome';
  } catch {
    return false;
  }
}

/**
 * WebSocket load connection on a raw socket: the upgrade and the frames are read by
 * clients/load/wire/ws-frames.ts straight from the shared read buffer, and data messages are
 * peeked from their bytes. With the ws library (Receiver, EventEmitter, a Buffer and a string per
 * message) the lab spent 4.1 µs of client CPU per delivery at 300k deliveries/s (1,000
 * subscribers) on this 2-core machine, and 2.0 µs with this code in the same conditions; see
 * clients/load/wire/ for what replaced each part.
 */
import type { EndCause } from '../../../metrics/integrity.ts';
import type { Socket } from 'node:net';
import { encodeClient } from '../../../scenarios/codec.ts';
import { nowMicros } from '../../../scenarios/clock.ts';
import { PATHS } from '../../../scenarios/constants.ts';
import { newPeekedData, peekBinaryRange, peekJsonBytes } from '../../../scenarios/peek.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from '../load-connection.ts';
import { parseHead } from '../wire/http-response.ts';
import { connectRaw, hostHeader } from '../wire/raw-socket.ts';
import { OPCODE, WsFrameParser, acceptFor, clientFrame, newWebSocketKey, upgradeRequest } from '../wire/ws-frames.ts';
import { describeControl } from './control.ts';

const peeked = newPeekedData();
/** Close code of a connection that ended without a close frame (RFC 6455 §7.1.5). */
const ABNORMAL_CLOSURE = 1006;
const CLOSE_TIMEOUT_MS = 2000;

type Phase = 'connecting' | 'upgrading' | 'welcoming' | 'open' | 'closed';

export class WsLoadConnection implements LoadConnection {
  slot: unknown;
  private socket: Socket | undefined;
  private phase: Phase = 'connecting';
  private closing = false;
  /** A close frame went out: RFC 6455 allows one per side. */
  private closeSent = false;
  private headCarry: Buffer | undefined;
  private key = '';
  private closeCode = ABNORMAL_CLOSURE;
  private closeReason = '';
  /** Receive time of the read being parsed: every message in one read arrived together. */
  private readAt = 0;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private readonly frames = new WsFrameParser({
    message: (opcode, buf, start, end) => this.message(opcode, buf, start, end),
    ping: (buf, start, end) => this.write(OPCODE.pong, Buffer.from(buf.subarray(start, end))),
    close: (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason;
      // Echo the close (RFC 6455 §5.5.1) and let the server end the TCP connection.
      this.write(OPCODE.close, closePayload(code === 1005 ? undefined : code));
    },
  });

  constructor(
    readonly spec: LoadConnectionSpec,
    private readonly context: LoadContext,
  ) {}

  open(): Promise<void> {
    const { endpoint } = this.context;
    const path = PATHS.ws + '?' + this.context.connectQuery(this.spec, true).toString();
    this.key = newWebSocketKey();
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.socket = connectRaw(
        endpoint.baseUrl,
        { read: (buf, length) => this.read(buf, length), closed: (err) => this.closed(err) },
        (socket) => {
          this.phase = 'upgrading';
          socket.write(upgradeRequest(path, hostHeader(endpoint.baseUrl), this.key));
        },
      );
    });
  }

  private read(buf: Buffer, length: number): void {
    this.readAt = nowMicros();
    try {
      if (this.phase === 'upgrading') {
        const at = this.readUpgrade(buf, length);
        if (at < 0) return;
        this.frames.feed(buf, at, length);
      } else if (this.phase === 'welcoming' || this.phase === 'open') this.frames.feed(buf, 0, length);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** The 101 answer; returns where the frames begin in `buf`, or -1 while the head is incomplete. */
  private readUpgrade(buf: Buffer, length: number): number {
    const carried = this.headCarry;
    const source = carried === undefined ? buf.subarray(0, length) : Buffer.concat([carried, buf.subarray(0, length)]);
    const terminator = source.indexOf('\r\n\r\n', 0, 'latin1');
    if (terminator < 0) {
      this.headCarry = Buffer.from(source);
      return -1;
    }
    this.headCarry = undefined;
    const head = parseHead(source.toString('latin1', 0, terminator));
    if (head.status !== 101) throw new Error(`the server answered the upgrade with HTTP ${head.status}`);
    if (head.headers.get('sec-websocket-accept') !== acceptFor(this.key)) throw new Error('the server answered the upgrade with a wrong Sec-WebSocket-Accept');
    if (head.headers.has('sec-websocket-extensions')) throw new Error('the server negotiated an extension the client did not offer');
    this.phase = 'welcoming';
    return terminator + 4 - (carried?.length ?? 0);
  }

  private message(opcode: number, buf: Buffer, start: number, end: number): void {
    const { sink } = this.context;
    // Open once welcomed: the server accepts every upgrade and refuses a bad token with a 4001
    // close right after (docs/PROTOCOL.md §7), so the upgrade alone does not mean the client can receive.
    if (this.phase === 'welcoming') {
      if (opcode === OPCODE.text && isWelcome(buf.toString('utf8', start, end))) {
        this.phase = 'open';
        this.settle?.resolve();
      }
      return;
    }
    try {
      if (opcode === OPCODE.binary) {
        if (peekBinaryRange(buf, start, end, peeked) !== end) throw new Error('a binary frame holds more than one data message');
        sink.data(this, peeked, this.readAt);
        return;
      }
      if (peekJsonBytes(buf, start, end, peeked)) sink.data(this, peeked, this.readAt);
      else {
        const problem = describeControl(buf.toString('utf8', start, end));
        if (problem !== undefined) sink.problem(this, 'server-error', problem);
      }
    } catch (err) {
      sink.problem(this, 'decode', (err as Error).message);
    }
  }

  /** A connection the client must give up: before open the connect fails, after it the sink hears why. */
  private fail(err: Error): void {
    if (this.phase !== 'open') this.settle?.reject(err);
    else if (!this.closing) this.context.sink.lost(this, `the WebSocket failed: ${err.message}`, { kind: 'failed' });
    this.phase = 'closed';
    this.socket?.destroy();
  }

  private closed(err: Error | undefined): void {
    const was = this.phase;
    this.phase = 'closed';
    const ending = `code ${this.closeCode}${this.closeReason.length > 0 ? ` (${this.closeReason})` : ''}`;
    if (was === 'connecting' && err !== undefined) this.settle?.reject(err);
    else if (was !== 'open' && was !== 'closed') this.settle?.reject(new Error(`closed during the handshake with ${ending}`));
    // 1006: no close frame came (a reset, a drop); any other code is the server's own close.
    else if (was === 'open' && !this.closing) {
      const cause: EndCause = this.closeCode === ABNORMAL_CLOSURE ? { kind: 'failed' } : { kind: 'server-cut', code: `${this.closeCode}${this.closeReason.length > 0 ? ` ${this.closeReason}` : ''}` };
      this.context.sink.lost(this, `closed by the server with ${ending}`, cause);
    }
  }

  private write(opcode: number, payload: Buffer): void {
    const socket = this.socket;
    if (this.closeSent) return;
    if (opcode === OPCODE.close) this.closeSent = true;
    if (socket !== undefined && !socket.destroyed && socket.writable) socket.write(clientFrame(opcode, payload));
  }

  send(room: string, mid: number, payload: string): void {
    const { endpoint, sink } = this.context;
    if (this.phase !== 'open' || this.closing) {
      sink.problem(this, 'send', 'the WebSocket is not open');
      return;
    }
    const message = encodeClient({ type: 'send', room, mid, payload: endpoint.encoding === 'binary' ? Buffer.from(payload) : payload }, endpoint.encoding);
    if (typeof message === 'string') this.write(OPCODE.text, Buffer.from(message));
    else this.write(OPCODE.binary, message);
  }

  close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.phase === 'open' || this.phase === 'welcoming') this.write(OPCODE.close, closePayload(1000));
      else socket.destroy();
    });
  }

  bytes(): { read: number; written: number } {
    return { read: this.socket?.bytesRead ?? 0, written: this.socket?.bytesWritten ?? 0 };
  }
}

function closePayload(code: number | undefined): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const payload = Buffer.allocUnsafe(2);
  payload.writeUInt16BE(code, 0);
  return payload;
}

/** The first message of a WS connection, parsed once per connection (field order is not assumed). */
function isWelcome(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'welcome';
  } catch {
    return false;
  }
}

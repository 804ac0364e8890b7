/**
 * The client side of RFC 6455 for the load client: the upgrade request and its check, server
 * frames parsed straight from the socket's read buffer, and masked client frames. Hand-written
 * because ws's Receiver (a Writable stream, a Buffer list and an EventEmitter 'message' per frame)
 * is per-message machinery the lab would report as its own cost: replacing it halved the client
 * CPU per WebSocket delivery (figures in transports/ws.ts). No extension is negotiated (docs/PROTOCOL.md §6.1), so RSV bits are refused.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Longest message the load client accepts; far above the server's 64 KiB default. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export class WsProtocolError extends Error {}

export interface WsFrameHandler {
  /** A whole text (1) or binary (2) message, buf[start, end), valid only during the call. */
  message(opcode: number, buf: Buffer, start: number, end: number): void;
  ping(buf: Buffer, start: number, end: number): void;
  /** A close frame: its code (1005 when it had none) and reason. */
  close(code: number, reason: string): void;
}

export function newWebSocketKey(): string {
  return randomBytes(16).toString('base64');
}

export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function upgradeRequest(path: string, host: string, key: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

export class WsFrameParser {
  /** Bytes of a frame that straddles reads. */
  private carry: Buffer | undefined;
  /** A fragmented message being assembled. */
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOpcode = -1;
  private closed = false;

  constructor(private readonly handler: WsFrameHandler) {}

  /** Parses buf[start, end); throws WsProtocolError on a frame a client must refuse. */
  feed(buf: Buffer, start: number, end: number): void {
    if (this.closed) return;
    let source = buf;
    let i = start;
    let stop = end;
    if (this.carry !== undefined) {
      source = Buffer.concat([this.carry, buf.subarray(start, end)]);
      this.carry = undefined;
      i = 0;
      stop = source.length;
    }
    while (i < stop && !this.closed) {
      const next = this.frame(source, i, stop);
      if (next < 0) {
        this.carry = Buffer.from(source.subarray(i, stop));
        return;
      }
      i = next;
    }
  }

  /** Handles the frame at `at`; returns the offset past it, or -1 when it is not all there yet. */
  private frame(buf: Buffer, at: number, end: number): number {
    if (end - at < 2) return -1;
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) throw new WsProtocolError('a frame has RSV bits set, but no extension was negotiated');
    if ((b1 & 0x80) !== 0) throw new WsProtocolError('a server frame is masked');
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (end - at < 4) return -1;
      length = buf.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (end - at < 10) return -1;
      const high = buf.readUInt32BE(at + 2);
      if (high > 0x1f_ffff) throw new WsProtocolError('a frame is longer than 2^53 bytes');
      length = high * 0x1_0000_0000 + buf.readUInt32BE(at + 6);
      header = 10;
    }
    if (length > MAX_MESSAGE_BYTES) throw new WsProtocolError(`a frame of ${length} bytes is longer than the load client takes (${MAX_MESSAGE_BYTES})`);
    const start = at + header;
    const stop = start + length;
    if (stop > end) return -1;
    if (opcode >= 0x8) {
      if (!fin || length > 125) throw new WsProtocolError('a control frame is fragmented or longer than 125 bytes');
      if (opcode === OPCODE.close) {
        this.closed = true;
        if (length === 1) throw new WsProtocolError('a close frame has a 1-byte payload');
        this.handler.close(length >= 2 ? buf.readUInt16BE(start) : 1005, buf.toString('utf8', start + 2 > stop ? stop : start + 2, stop));
      } else if (opcode === OPCODE.ping) this.handler.ping(buf, start, stop);
      else if (opcode !== OPCODE.pong) throw new WsProtocolError(`unknown control opcode 0x${opcode.toString(16)}`);
      return stop;
    }
    if (opcode === OPCODE.continuation) {
      if (this.fragmentOpcode < 0) throw new WsProtocolError('a continuation frame without a message to continue');
      this.addFragment(buf, start, stop);
      if (fin) {
        const whole = Buffer.concat(this.fragments, this.fragmentBytes);
        const kind = this.fragmentOpcode;
        this.fragments = [];
        this.fragmentBytes = 0;
        this.fragmentOpcode = -1;
        this.handler.message(kind, whole, 0, whole.length);
      }
      return stop;
    }
    if (opcode !== OPCODE.text && opcode !== OPCODE.binary) throw new WsProtocolError(`unknown opcode 0x${opcode.toString(16)}`);
    if (this.fragmentOpcode >= 0) throw new WsProtocolError('a new message began inside a fragmented one');
    if (fin) this.handler.message(opcode, buf, start, stop);
    else {
      this.fragmentOpcode = opcode;
      this.addFragment(buf, start, stop);
    }
    return stop;
  }

  private addFragment(buf: Buffer, start: number, stop: number): void {
    this.fragmentBytes += stop - start;
    if (this.fragmentBytes > MAX_MESSAGE_BYTES) throw new WsProtocolError(`a fragmented message is longer than the load client takes (${MAX_MESSAGE_BYTES})`);
    this.fragments.push(Buffer.from(buf.subarray(start, stop)));
  }
}

const maskPool = Buffer.allocUnsafe(4096);
let maskAt = maskPool.length;

/** One masked client frame (RFC 6455 §5.3: a client masks every frame with a fresh random key). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 0x1_0000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | length;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (maskAt + 4 > maskPool.length) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  maskPool.copy(frame, header, maskAt, maskAt + 4);
  maskAt += 4;
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ frame[header + (i & 3)]!;
  return frame;
}

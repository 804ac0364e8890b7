/**
 * The compact binary encoding (byte layout in docs/PROTOCOL.md §Binary encoding). Integers are
 * big-endian; 64-bit fields hold non-negative integers below 2^53 written as two 32-bit halves.
 */
import type { ClientMessage, DataKind, Envelope } from './envelope.ts';
import { WireError } from './errors.ts';
import { validateName } from './names.ts';

export const DATA_TYPE = { feed: 0x01, chat: 0x02 } as const;
export const CLIENT_TYPE = { send: 0x10, join: 0x11, leave: 0x12 } as const;
/** flags bit 0: the payload is raw bytes, not UTF-8 text. */
export const FLAG_BINARY_PAYLOAD = 0x01;
/** type, flags, channel length, seq (8), ts (8), payload length (4). */
export const DATA_HEADER_BYTES = 23;
const TWO_32 = 0x1_0000_0000;

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buf: Uint8Array, offset: number): number {
  const hi = ((buf[offset]! << 24) >>> 0) + (buf[offset + 1]! << 16) + (buf[offset + 2]! << 8) + buf[offset + 3]!;
  const lo = ((buf[offset + 4]! << 24) >>> 0) + (buf[offset + 5]! << 16) + (buf[offset + 6]! << 8) + buf[offset + 7]!;
  return hi * TWO_32 + lo;
}

function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) >>> 0) + (buf[offset + 1]! << 16) + (buf[offset + 2]! << 8) + buf[offset + 3]!;
}

export interface EncodableData {
  kind: DataKind;
  channel: string;
  seq: number;
  ts: number;
  from?: string | undefined;
  mid?: number | undefined;
  payload: Buffer;
  binaryPayload: boolean;
}

export function encodeDataBinary(msg: EncodableData): Buffer {
  const channelLength = Buffer.byteLength(msg.channel);
  const fromLength = msg.kind === 'chat' ? Buffer.byteLength(msg.from ?? '') : 0;
  const chatBytes = msg.kind === 'chat' ? 1 + fromLength + 4 : 0;
  const buf = Buffer.allocUnsafe(DATA_HEADER_BYTES + channelLength + chatBytes + msg.payload.length);
  buf[0] = DATA_TYPE[msg.kind];
  buf[1] = msg.binaryPayload ? FLAG_BINARY_PAYLOAD : 0;
  buf[2] = channelLength;
  writeU64(buf, msg.seq, 3);
  writeU64(buf, msg.ts, 11);
  buf.writeUInt32BE(msg.payload.length, 19);
  let offset = DATA_HEADER_BYTES + buf.write(msg.channel, DATA_HEADER_BYTES, 'latin1');
  if (msg.kind === 'chat') {
    buf[offset] = fromLength;
    offset += 1 + buf.write(msg.from ?? '', offset + 1, 'latin1');
    buf.writeUInt32BE(msg.mid ?? 0, offset);
    offset += 4;
  }
  msg.payload.copy(buf, offset);
  return buf;
}

function truncated(what: string): WireError {
  return new WireError('BAD_BINARY', `binary message ends inside its ${what}`);
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function ascii(buf: Uint8Array, start: number, end: number): string {
  return latin1.decode(buf.subarray(start, end));
}

/**
 * Decodes one data message starting at `offset` and returns it with the offset just past it,
 * so a long-poll batch (messages back to back) decodes in one pass.
 */
export function decodeDataBinary(buf: Uint8Array, offset = 0): { envelope: Envelope; next: number } {
  if (buf.length - offset < DATA_HEADER_BYTES) throw truncated('header');
  const type = buf[offset]!;
  const kind: DataKind | undefined = type === DATA_TYPE.feed ? 'feed' : type === DATA_TYPE.chat ? 'chat' : undefined;
  if (kind === undefined) throw new WireError('UNKNOWN_TYPE', `binary data message type 0x${type.toString(16)} is unknown`);
  const flags = buf[offset + 1]!;
  const channelLength = buf[offset + 2]!;
  const seq = readU64(buf, offset + 3);
  const ts = readU64(buf, offset + 11);
  const payloadLength = readU32(buf, offset + 19);
  let at = offset + DATA_HEADER_BYTES;
  if (at + channelLength > buf.length) throw truncated('channel name');
  const channel = ascii(buf, at, at + channelLength);
  at += channelLength;
  const envelope: Envelope = { kind, channel, seq, ts, payload: '' };
  if (kind === 'chat') {
    if (at + 1 > buf.length) throw truncated('sender id length');
    const fromLength = buf[at]!;
    if (at + 1 + fromLength + 4 > buf.length) throw truncated('sender id');
    envelope.from = ascii(buf, at + 1, at + 1 + fromLength);
    at += 1 + fromLength;
    envelope.mid = readU32(buf, at);
    at += 4;
  }
  if (at + payloadLength > buf.length) throw truncated('payload');
  const payloadBytes = buf.subarray(at, at + payloadLength);
  envelope.payload = flags & FLAG_BINARY_PAYLOAD ? payloadBytes : decodeUtf8Payload(payloadBytes);
  return { envelope, next: at + payloadLength };
}

function decodeUtf8Payload(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WireError('BAD_BINARY', 'binary message says its payload is UTF-8 text, but it is not');
  }
}

export function encodeClientBinary(msg: ClientMessage): Buffer {
  const roomLength = Buffer.byteLength(msg.room);
  if (msg.type !== 'send') {
    const buf = Buffer.allocUnsafe(3 + roomLength);
    buf[0] = CLIENT_TYPE[msg.type];
    buf[1] = 0;
    buf[2] = roomLength;
    buf.write(msg.room, 3, 'latin1');
    return buf;
  }
  const payload = typeof msg.payload === 'string' ? Buffer.from(msg.payload) : msg.payload;
  const buf = Buffer.allocUnsafe(11 + roomLength + payload.byteLength);
  buf[0] = CLIENT_TYPE.send;
  buf[1] = typeof msg.payload === 'string' ? 0 : FLAG_BINARY_PAYLOAD;
  buf[2] = roomLength;
  buf.writeUInt32BE(msg.mid, 3);
  buf.writeUInt32BE(payload.byteLength, 7);
  buf.write(msg.room, 11, 'latin1');
  buf.set(payload, 11 + roomLength);
  return buf;
}

/** Decodes a client message; the room name is validated, the payload is left as bytes or text. */
export function decodeClientBinary(buf: Uint8Array): ClientMessage {
  if (buf.length < 3) throw truncated('header');
  const type = buf[0]!;
  const flags = buf[1]!;
  const roomLength = buf[2]!;
  if (type === CLIENT_TYPE.join || type === CLIENT_TYPE.leave) {
    if (buf.length !== 3 + roomLength) throw new WireError('BAD_BINARY', `binary ${type === CLIENT_TYPE.join ? 'join' : 'leave'} is ${buf.length} bytes, expected ${3 + roomLength}`);
    const room = validateName('room', ascii(buf, 3, 3 + roomLength));
    return { type: type === CLIENT_TYPE.join ? 'join' : 'leave', room };
  }
  if (type !== CLIENT_TYPE.send) throw new WireError('UNKNOWN_TYPE', `binary client message type 0x${type.toString(16)} is unknown`);
  if (buf.length < 11 + roomLength) throw truncated('send header');
  const mid = readU32(buf, 3);
  const payloadLength = readU32(buf, 7);
  if (buf.length !== 11 + roomLength + payloadLength) {
    throw new WireError('BAD_BINARY', `binary send is ${buf.length} bytes, its header says ${11 + roomLength + payloadLength}`);
  }
  const room = validateName('room', ascii(buf, 11, 11 + roomLength));
  const bytes = buf.subarray(11 + roomLength);
  return { type: 'send', room, mid, payload: flags & FLAG_BINARY_PAYLOAD ? bytes : decodeUtf8Payload(bytes) };
}

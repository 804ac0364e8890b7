/**
 * What the load client needs from a data message (kind, channel, seq, ts, and for chat the sender
 * and its message id), read without building an envelope or copying the payload. The JSON path
 * relies on the field order docs/PROTOCOL.md §4 makes mandatory and on names never needing escapes
 * (NAME_PATTERN); anything else falls back to the full decoder, which also rejects bad input.
 */
import { DATA_HEADER_BYTES, DATA_TYPE, decodeDataBinary } from './codec-binary.ts';
import { decodeDataJson } from './codec-json.ts';
import { WireError } from './errors.ts';

export interface PeekedData {
  chat: boolean;
  channel: string;
  seq: number;
  ts: number;
  /** Chat only; '' for feed. */
  from: string;
  /** Chat only; -1 for feed. */
  mid: number;
}

export function newPeekedData(): PeekedData {
  return { chat: false, channel: '', seq: 0, ts: 0, from: '', mid: -1 };
}

const FEED_PREFIX = '{"type":"feed","topic":"';
const CHAT_PREFIX = '{"type":"chat","room":"';
const SEQ_FIELD = ',"seq":';
const TS_FIELD = ',"ts":';
const FROM_FIELD = ',"from":"';
const MID_FIELD = ',"mid":';
const PAYLOAD_FIELD = ',"payload":"';
const PAYLOAD_BASE64_FIELD = ',"payloadBase64":"';

/** True when a JSON text is a data message (else it is a control message). */
export function isDataText(text: string): boolean {
  return text.startsWith('{"type":"feed"') || text.startsWith('{"type":"chat"');
}

/** Longest integer the fast path reads (2^53 - 1 has 16 digits; larger values go to the full decoder). */
const MAX_DIGITS = 16;

/**
 * Index just past a JSON non-negative integer starting at `at` (its value goes to digitsValue), or
 * -1 when there is none, it has a leading zero, a fraction or exponent follows, or it is too long
 * to be exact: the full decoder then judges it.
 */
let digitsValue = 0;
function readDigits(text: string, at: number): number {
  let value = 0;
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  const length = i - at;
  if (length === 0 || length > MAX_DIGITS || value > Number.MAX_SAFE_INTEGER || (length > 1 && text.charCodeAt(at) === 48)) return -1;
  const next = text.charCodeAt(i);
  if (next === 46 /* . */ || next === 101 /* e */ || next === 69 /* E */) return -1;
  digitsValue = value;
  return i;
}

/**
 * The fast path alone: true when it could read the message (exported so tests can check that what
 * the lab's own encoder writes never needs the slow path).
 */
export function peekJsonFast(text: string, out: PeekedData): boolean {
  const chat = text.startsWith(CHAT_PREFIX);
  if (!chat && !text.startsWith(FEED_PREFIX)) return false;
  let i = chat ? CHAT_PREFIX.length : FEED_PREFIX.length;
  const channelEnd = text.indexOf('"', i);
  if (channelEnd < 0) return false;
  const channel = text.slice(i, channelEnd);
  i = channelEnd + 1;
  if (!text.startsWith(SEQ_FIELD, i) || (i = readDigits(text, i + SEQ_FIELD.length)) < 0) return false;
  const seq = digitsValue;
  if (!text.startsWith(TS_FIELD, i) || (i = readDigits(text, i + TS_FIELD.length)) < 0) return false;
  const ts = digitsValue;
  let from = '';
  let mid = -1;
  if (chat) {
    if (!text.startsWith(FROM_FIELD, i)) return false;
    const fromEnd = text.indexOf('"', i + FROM_FIELD.length);
    if (fromEnd < 0) return false;
    from = text.slice(i + FROM_FIELD.length, fromEnd);
    if (from.includes('\\') || !text.startsWith(MID_FIELD, fromEnd + 1) || (i = readDigits(text, fromEnd + 1 + MID_FIELD.length)) < 0) return false;
    mid = digitsValue;
  }
  // The payload itself is not read, but the message must have one and be whole.
  if (!(text.startsWith(PAYLOAD_FIELD, i) || text.startsWith(PAYLOAD_BASE64_FIELD, i)) || !text.endsWith('"}')) return false;
  if (channel.includes('\\')) return false;
  out.chat = chat;
  out.channel = channel;
  out.seq = seq;
  out.ts = ts;
  out.from = from;
  out.mid = mid;
  return true;
}

/**
 * Reads a JSON data message into `out`. Returns false for a control message (the caller decodes
 * those itself); throws WireError for a data message that is not valid.
 */
export function peekJson(text: string, out: PeekedData): boolean {
  if (!isDataText(text)) return false;
  if (peekJsonFast(text, out)) return true;
  const envelope = decodeDataJson(text);
  out.chat = envelope.kind === 'chat';
  out.channel = envelope.channel;
  out.seq = envelope.seq;
  out.ts = envelope.ts;
  out.from = envelope.from ?? '';
  out.mid = envelope.mid ?? -1;
  return true;
}

function readU64(buf: Uint8Array, at: number): number {
  const hi = ((buf[at]! << 24) >>> 0) + (buf[at + 1]! << 16) + (buf[at + 2]! << 8) + buf[at + 3]!;
  const lo = ((buf[at + 4]! << 24) >>> 0) + (buf[at + 5]! << 16) + (buf[at + 6]! << 8) + buf[at + 7]!;
  return hi * 0x1_0000_0000 + lo;
}

/**
 * Reads the binary data message at `offset` into `out` and returns the offset just past it. The
 * header is trusted for lengths only after checking they fit; a message that does not is handed
 * to the full decoder for its precise error.
 */
export function peekBinary(buf: Buffer, offset: number, out: PeekedData): number {
  const type = buf[offset];
  const channelLength = buf[offset + 2];
  if ((type !== DATA_TYPE.feed && type !== DATA_TYPE.chat) || channelLength === undefined || offset + DATA_HEADER_BYTES > buf.length) {
    decodeDataBinary(buf, offset);
    throw new WireError('BAD_FIELD', 'binary data message is malformed');
  }
  const payloadLength = buf.readUInt32BE(offset + 19);
  let at = offset + DATA_HEADER_BYTES;
  const channelEnd = at + channelLength;
  out.chat = type === DATA_TYPE.chat;
  out.seq = readU64(buf, offset + 3);
  out.ts = readU64(buf, offset + 11);
  if (channelEnd > buf.length) return decodeDataBinary(buf, offset).next;
  out.channel = buf.toString('latin1', at, channelEnd);
  at = channelEnd;
  if (out.chat) {
    const fromLength = buf[at];
    if (fromLength === undefined || at + 1 + fromLength + 4 > buf.length) return decodeDataBinary(buf, offset).next;
    out.from = buf.toString('latin1', at + 1, at + 1 + fromLength);
    at += 1 + fromLength;
    out.mid = buf.readUInt32BE(at);
    at += 4;
  } else {
    out.from = '';
    out.mid = -1;
  }
  const next = at + payloadLength;
  if (next > buf.length) return decodeDataBinary(buf, offset).next;
  return next;
}

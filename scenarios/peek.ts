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

// Byte-level JSON peek: the load client reads data messages straight from its socket's read
// buffer, so a message costs no string for its whole text (toString plus peekJson took 1.0 to
// 1.4 µs per 200-byte feed message on this machine, this path 0.26 to 0.38 µs). It accepts
// exactly what peekJsonFast accepts; anything else goes to peekJson on the decoded text, which
// keeps its checks and its errors.

/**
 * A fixed run of ASCII bytes, compared 4 bytes to a word: a byte-by-byte loop over Uint8Array
 * constants cost about twice as much here, and these comparisons are most of a peek.
 */
interface BytePattern {
  length: number;
  words: number[];
  tail: number[];
}

function bytePattern(text: string): BytePattern {
  const bytes = Array.from(text, (c) => c.charCodeAt(0));
  const words: number[] = [];
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) words.push(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  return { length: bytes.length, words, tail: bytes.slice(i) };
}

const FEED_PREFIX_BYTES = bytePattern(FEED_PREFIX);
const CHAT_PREFIX_BYTES = bytePattern(CHAT_PREFIX);
const SEQ_FIELD_BYTES = bytePattern(SEQ_FIELD);
const TS_FIELD_BYTES = bytePattern(TS_FIELD);
const FROM_FIELD_BYTES = bytePattern(FROM_FIELD);
const MID_FIELD_BYTES = bytePattern(MID_FIELD);
const PAYLOAD_FIELD_BYTES = bytePattern(PAYLOAD_FIELD);
const PAYLOAD_BASE64_FIELD_BYTES = bytePattern(PAYLOAD_BASE64_FIELD);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function startsWithBytes(buf: Uint8Array, at: number, end: number, pattern: BytePattern): boolean {
  if (at + pattern.length > end) return false;
  const words = pattern.words;
  let j = at;
  for (let i = 0; i < words.length; i++, j += 4) {
    if ((buf[j]! | (buf[j + 1]! << 8) | (buf[j + 2]! << 16) | (buf[j + 3]! << 24)) !== words[i]) return false;
  }
  const tail = pattern.tail;
  for (let i = 0; i < tail.length; i++, j++) if (buf[j] !== tail[i]) return false;
  return true;
}

/** readDigits on bytes: index past the integer at `at` (value in digitsValue), or -1. */
function readDigitBytes(buf: Uint8Array, at: number, end: number): number {
  let value = 0;
  let i = at;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  const length = i - at;
  if (length === 0 || length > MAX_DIGITS || value > Number.MAX_SAFE_INTEGER || (length > 1 && buf[at] === 48)) return -1;
  const next = i < end ? buf[i] : undefined;
  if (next === 46 || next === 101 || next === 69) return -1;
  digitsValue = value;
  return i;
}

/** Index of the quote closing a name that starts at `at`, or -1 if there is none or the name needs the slow path (escapes, non-ASCII). */
function nameEnd(buf: Uint8Array, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const c = buf[i]!;
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c >= 0x80) return -1;
  }
  return -1;
}

/**
 * The last names read, so a connection that hears one topic builds its name once, not once per
 * message (no string to build and later collect per delivery).
 */
const NAME_CACHE_SIZE = 8;
const cachedNames: string[] = [];
const cachedNameBytes: Uint8Array[] = [];
let nextCacheSlot = 0;

function nameAt(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  for (let n = 0; n < cachedNames.length; n++) {
    const bytes = cachedNameBytes[n]!;
    if (bytes.length !== length) continue;
    let same = true;
    for (let i = 0; i < length; i++) {
      if (bytes[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cachedNames[n]!;
  }
  const name = buf.toString('latin1', start, end);
  cachedNames[nextCacheSlot] = name;
  cachedNameBytes[nextCacheSlot] = Uint8Array.from(buf.subarray(start, end));
  nextCacheSlot = (nextCacheSlot + 1) % NAME_CACHE_SIZE;
  return name;
}

/** Index just past the closing quote of the JSON string whose body starts at `at`, or -1. */
function stringEnd(buf: Buffer, at: number, end: number): number {
  let i = at;
  for (;;) {
    const quote = buf.indexOf(QUOTE, i);
    if (quote < 0 || quote >= end) return -1;
    let backslashes = 0;
    while (quote - 1 - backslashes >= at && buf[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/**
 * The fast path on bytes, for the JSON object starting at `start`. `whole`: the object ends at
 * `end` (a WS frame, an SSE data line); else it is followed by more text (a long-poll batch) and
 * its payload string is scanned for its end. Returns the index just past the object, or -1 when
 * the fast path cannot read it (the caller then decodes the text).
 */
export function peekJsonBytesAt(buf: Buffer, start: number, end: number, out: PeekedData, whole: boolean): number {
  const chat = startsWithBytes(buf, start, end, CHAT_PREFIX_BYTES);
  if (!chat && !startsWithBytes(buf, start, end, FEED_PREFIX_BYTES)) return -1;
  let i = start + (chat ? CHAT_PREFIX_BYTES.length : FEED_PREFIX_BYTES.length);
  const channelEnd = nameEnd(buf, i, end);
  if (channelEnd < 0) return -1;
  const channelStart = i;
  i = channelEnd + 1;
  if (!startsWithBytes(buf, i, end, SEQ_FIELD_BYTES) || (i = readDigitBytes(buf, i + SEQ_FIELD_BYTES.length, end)) < 0) return -1;
  const seq = digitsValue;
  if (!startsWithBytes(buf, i, end, TS_FIELD_BYTES) || (i = readDigitBytes(buf, i + TS_FIELD_BYTES.length, end)) < 0) return -1;
  const ts = digitsValue;
  let fromStart = 0;
  let fromEnd = 0;
  let mid = -1;
  if (chat) {
    if (!startsWithBytes(buf, i, end, FROM_FIELD_BYTES)) return -1;
    fromStart = i + FROM_FIELD_BYTES.length;
    fromEnd = nameEnd(buf, fromStart, end);
    if (fromEnd < 0 || !startsWithBytes(buf, fromEnd + 1, end, MID_FIELD_BYTES) || (i = readDigitBytes(buf, fromEnd + 1 + MID_FIELD_BYTES.length, end)) < 0) return -1;
    mid = digitsValue;
  }
  let payloadStart: number;
  if (startsWithBytes(buf, i, end, PAYLOAD_FIELD_BYTES)) payloadStart = i + PAYLOAD_FIELD_BYTES.length;
  else if (startsWithBytes(buf, i, end, PAYLOAD_BASE64_FIELD_BYTES)) payloadStart = i + PAYLOAD_BASE64_FIELD_BYTES.length;
  else return -1;
  let next: number;
  if (whole) {
    // As peekJsonFast: the payload is not read, but the message must end as an object with a string last.
    if (end - payloadStart < 2 || buf[end - 2] !== QUOTE || buf[end - 1] !== 0x7d) return -1;
    next = end;
  } else {
    const payloadEnd = stringEnd(buf, payloadStart, end);
    if (payloadEnd < 0 || payloadEnd >= end || buf[payloadEnd] !== 0x7d) return -1;
    next = payloadEnd + 1;
  }
  out.chat = chat;
  out.channel = nameAt(buf, channelStart, channelEnd);
  out.seq = seq;
  out.ts = ts;
  out.from = chat ? nameAt(buf, fromStart, fromEnd) : '';
  out.mid = mid;
  return next;
}

/** peekJson on the bytes buf[start, end): same answers and errors, without decoding the text when it can. */
export function peekJsonBytes(buf: Buffer, start: number, end: number, out: PeekedData): boolean {
  if (peekJsonBytesAt(buf, start, end, out, true) === end) return true;
  return peekJson(buf.toString('utf8', start, end), out);
}

/**
 * peekBinary for a message that must fill buf[start, end) exactly (a WS frame's payload, a decoded
 * SSE data line): returns the offset past it, which the caller checks against `end`. The read
 * stops at `end`; a message that does not fit is judged by the full decoder on its own bytes.
 */
export function peekBinaryRange(buf: Buffer, start: number, end: number, out: PeekedData): number {
  if (end - start >= DATA_HEADER_BYTES) {
    const next = peekBinaryHeader(buf, start, end, out);
    if (next >= 0) return next;
  }
  const own = buf.subarray(start, end);
  return start + peekBinary(own, 0, out);
}

/** The fixed header and names of a binary data message within [start, end); -1 when it does not fit. */
function peekBinaryHeader(buf: Buffer, start: number, end: number, out: PeekedData): number {
  const type = buf[start];
  if (type !== DATA_TYPE.feed && type !== DATA_TYPE.chat) return -1;
  const channelLength = buf[start + 2]!;
  const payloadLength = buf.readUInt32BE(start + 19);
  let at = start + DATA_HEADER_BYTES;
  const channelEnd = at + channelLength;
  if (channelEnd > end) return -1;
  const chat = type === DATA_TYPE.chat;
  let fromStart = 0;
  let fromEnd = 0;
  let mid = -1;
  at = channelEnd;
  if (chat) {
    const fromLength = buf[at];
    if (fromLength === undefined || at + 1 + fromLength + 4 > end) return -1;
    fromStart = at + 1;
    fromEnd = fromStart + fromLength;
    mid = buf.readUInt32BE(fromEnd);
    at = fromEnd + 4;
  }
  const next = at + payloadLength;
  if (next > end) return -1;
  out.chat = chat;
  out.seq = readU64(buf, start + 3);
  out.ts = readU64(buf, start + 11);
  out.channel = nameAt(buf, start + DATA_HEADER_BYTES, channelEnd);
  out.from = chat ? nameAt(buf, fromStart, fromEnd) : '';
  out.mid = mid;
  return next;
}

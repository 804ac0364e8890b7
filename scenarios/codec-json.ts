/** The JSON encoding (docs/PROTOCOL.md §JSON encoding): one object per message. */
import { WIRE_LIMITS } from './constants.ts';
import type { EncodableData } from './codec-binary.ts';
import type { ClientMessage, ControlMessage, Envelope } from './envelope.ts';
import { quoteInput, WireError } from './errors.ts';
import { validateName } from './names.ts';

export function encodeDataJson(msg: EncodableData): string {
  const payloadField = msg.binaryPayload ? { payloadBase64: msg.payload.toString('base64') } : { payload: msg.payload.toString('utf8') };
  return msg.kind === 'feed'
    ? JSON.stringify({ type: 'feed', topic: msg.channel, seq: msg.seq, ts: msg.ts, ...payloadField })
    : JSON.stringify({ type: 'chat', room: msg.channel, seq: msg.seq, ts: msg.ts, from: msg.from, mid: msg.mid, ...payloadField });
}

type JsonObject = Record<string, unknown>;

function parseObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WireError('BAD_JSON', `${what} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireError('BAD_JSON', `${what} must be a JSON object`);
  }
  return value as JsonObject;
}

function field(obj: JsonObject, name: string, check: (v: unknown) => boolean, expected: string): unknown {
  const value = obj[name];
  if (!check(value)) throw new WireError('BAD_FIELD', `field "${name}" must be ${expected}, got ${quoteInput(value)}`);
  return value;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function payloadOf(obj: JsonObject): string | Uint8Array {
  if (typeof obj.payloadBase64 === 'string') {
    if (obj.payloadBase64.length % 4 !== 0 || !BASE64.test(obj.payloadBase64)) {
      throw new WireError('BAD_FIELD', 'field "payloadBase64" is not valid base64');
    }
    return Buffer.from(obj.payloadBase64, 'base64');
  }
  return field(obj, 'payload', isString, 'a string (or use "payloadBase64" for bytes)') as string;
}

export function decodeDataJson(text: string): Envelope {
  const obj = parseObject(text, 'data message');
  const type = obj.type;
  if (type !== 'feed' && type !== 'chat') throw new WireError('UNKNOWN_TYPE', `data message type ${quoteInput(type)} is unknown`);
  const channel = field(obj, type === 'feed' ? 'topic' : 'room', isString, 'a string') as string;
  const envelope: Envelope = {
    kind: type,
    channel,
    seq: field(obj, 'seq', isCount, 'a non-negative integer') as number,
    ts: field(obj, 'ts', isCount, 'a non-negative integer') as number,
    payload: payloadOf(obj),
  };
  if (type === 'chat') {
    envelope.from = field(obj, 'from', isString, 'a string') as string;
    envelope.mid = field(obj, 'mid', isCount, 'a non-negative integer') as number;
  }
  return envelope;
}

export function encodeClientJson(msg: ClientMessage): string {
  if (msg.type !== 'send') return JSON.stringify(msg);
  return typeof msg.payload === 'string'
    ? JSON.stringify(msg)
    : JSON.stringify({ type: 'send', room: msg.room, mid: msg.mid, payloadBase64: Buffer.from(msg.payload).toString('base64') });
}

export function decodeClientJson(text: string): ClientMessage {
  const obj = parseObject(text, 'message');
  const type = obj.type;
  if (type !== 'send' && type !== 'join' && type !== 'leave') {
    throw new WireError('UNKNOWN_TYPE', `message type ${quoteInput(type)} is unknown (expected "send", "join" or "leave")`);
  }
  const room = validateName('room', obj.room);
  if (type !== 'send') return { type, room };
  const mid = field(obj, 'mid', (v) => isCount(v) && v <= WIRE_LIMITS.maxMessageId, `an integer from 0 to ${WIRE_LIMITS.maxMessageId}`) as number;
  return { type, room, mid, payload: payloadOf(obj) };
}

/** Clients read control messages (welcome, joined, left, error) from JSON text. */
export function decodeControl(text: string): ControlMessage {
  const obj = parseObject(text, 'control message');
  const type = obj.type;
  if (type === 'welcome') return { type, client: String(obj.client), cursor: String(obj.cursor ?? ''), ...(typeof obj.key === 'string' ? { key: obj.key } : {}) };
  if (type === 'joined') return { type, room: String(obj.room), cursor: String(obj.cursor ?? '') };
  if (type === 'left') return { type, room: String(obj.room) };
  if (type === 'error') return { type, code: String(obj.code), message: String(obj.message) };
  throw new WireError('UNKNOWN_TYPE', `control message type ${quoteInput(type)} is unknown`);
}

/** True when a JSON text frame is a data message rather than a control message (cheap prefix test). */
export function isDataJson(text: string): boolean {
  return text.startsWith('{"type":"feed"') || text.startsWith('{"type":"chat"');
}

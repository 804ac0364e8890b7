import { describe, expect, it } from 'vitest';
import type { EncodableData } from '../../scenarios/codec-binary.ts';
import { decodeClientJson, decodeControl, decodeDataJson, encodeClientJson, encodeDataJson, isDataJson } from '../../scenarios/codec-json.ts';
import { decodeBatch, decodeData, encodeData } from '../../scenarios/codec.ts';
import type { ClientMessage } from '../../scenarios/envelope.ts';

const wireError = (code: string) => expect.objectContaining({ name: 'WireError', code });

function feed(overrides: Partial<EncodableData> = {}): EncodableData {
  return { kind: 'feed', channel: 'ticks', seq: 7, ts: 1_700_000_000_123_456, payload: Buffer.from('hello ✓'), binaryPayload: false, ...overrides };
}

function chat(overrides: Partial<EncodableData> = {}): EncodableData {
  return { kind: 'chat', channel: 'lobby', seq: 3, ts: 42, from: 'client-7', mid: 99, payload: Buffer.from('hi all'), binaryPayload: false, ...overrides };
}

const BYTES = Buffer.from([0, 1, 0x7f, 0x80, 0xfe, 0xff]);

describe('JSON data messages', () => {
  it('encodes a feed message with the documented field names', () => {
    expect(JSON.parse(encodeDataJson(feed()))).toEqual({ type: 'feed', topic: 'ticks', seq: 7, ts: 1_700_000_000_123_456, payload: 'hello ✓' });
  });

  it('encodes a chat message with room, from and mid', () => {
    expect(JSON.parse(encodeDataJson(chat()))).toEqual({ type: 'chat', room: 'lobby', seq: 3, ts: 42, from: 'client-7', mid: 99, payload: 'hi all' });
  });

  it('encodes a binary payload as payloadBase64 and no payload field', () => {
    const obj = JSON.parse(encodeDataJson(feed({ payload: BYTES, binaryPayload: true }))) as Record<string, unknown>;
    expect(obj.payloadBase64).toBe(BYTES.toString('base64'));
    expect(obj).not.toHaveProperty('payload');
  });

  it('round-trips feed and chat messages with text payloads', () => {
    expect(decodeDataJson(encodeDataJson(feed()))).toEqual({ kind: 'feed', channel: 'ticks', seq: 7, ts: 1_700_000_000_123_456, payload: 'hello ✓' });
    expect(decodeDataJson(encodeDataJson(chat()))).toEqual({ kind: 'chat', channel: 'lobby', seq: 3, ts: 42, from: 'client-7', mid: 99, payload: 'hi all' });
  });

  it('round-trips feed and chat messages with binary payloads (payloadBase64)', () => {
    for (const msg of [feed({ payload: BYTES, binaryPayload: true }), chat({ payload: BYTES, binaryPayload: true })]) {
      const envelope = decodeDataJson(encodeDataJson(msg));
      expect(envelope.payload).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(envelope.payload as Uint8Array).equals(BYTES)).toBe(true);
    }
  });

  it('round-trips empty payloads and Number.MAX_SAFE_INTEGER seq/ts', () => {
    const env = decodeDataJson(encodeDataJson(feed({ payload: Buffer.alloc(0), seq: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER })));
    expect(env).toEqual({ kind: 'feed', channel: 'ticks', seq: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER, payload: '' });
    const bin = decodeDataJson(encodeDataJson(feed({ payload: Buffer.alloc(0), binaryPayload: true })));
    expect((bin.payload as Uint8Array).byteLength).toBe(0);
  });

  it('rejects malformed data messages', () => {
    expect(() => decodeDataJson('{')).toThrow(wireError('BAD_JSON'));
    expect(() => decodeDataJson('{"type":"welcome"}')).toThrow(wireError('UNKNOWN_TYPE'));
    expect(() => decodeDataJson('{"type":"feed","seq":1,"ts":1,"payload":""}')).toThrow(wireError('BAD_FIELD'));
    expect(() => decodeDataJson('{"type":"feed","topic":"t","seq":-1,"ts":1,"payload":""}')).toThrow(wireError('BAD_FIELD'));
    expect(() => decodeDataJson('{"type":"feed","topic":"t","seq":1,"ts":1.5,"payload":""}')).toThrow(wireError('BAD_FIELD'));
    expect(() => decodeDataJson('{"type":"chat","room":"r","seq":1,"ts":1,"mid":1,"payload":""}')).toThrow(wireError('BAD_FIELD'));
  });
});

describe('JSON client messages: round trip', () => {
  it.each<[string, ClientMessage]>([
    ['send with text', { type: 'send', room: 'lobby', mid: 17, payload: 'héllo' }],
    ['send with mid 0 and empty text', { type: 'send', room: 'lobby', mid: 0, payload: '' }],
    ['send with mid 2^32-1', { type: 'send', room: 'lobby', mid: 0xffff_ffff, payload: 'x' }],
    ['join', { type: 'join', room: 'room-1.a_b' }],
    ['leave', { type: 'leave', room: 'lobby' }],
  ])('round-trips %s', (_label, msg) => {
    expect(decodeClientJson(encodeClientJson(msg))).toEqual(msg);
  });

  it('round-trips a send with a binary payload through payloadBase64', () => {
    const text = encodeClientJson({ type: 'send', room: 'lobby', mid: 5, payload: new Uint8Array(BYTES) });
    expect(JSON.parse(text)).toEqual({ type: 'send', room: 'lobby', mid: 5, payloadBase64: BYTES.toString('base64') });
    const decoded = decodeClientJson(text);
    if (decoded.type !== 'send') throw new Error('expected a send');
    expect(Buffer.from(decoded.payload as Uint8Array).equals(BYTES)).toBe(true);
  });

  it('keeps only type and room of a join', () => {
    expect(decodeClientJson('{"type":"join","room":"lobby","mid":4,"extra":true}')).toEqual({ type: 'join', room: 'lobby' });
  });
});

describe('JSON client messages: errors', () => {
  it.each(['', 'not json', '{"type":"send"', "{'type':'join'}"])('rejects non-JSON %j with BAD_JSON', (text) => {
    expect(() => decodeClientJson(text)).toThrow(wireError('BAD_JSON'));
  });

  it.each(['[]', '[{"type":"join","room":"lobby"}]', 'null', '42', '"join"', 'true'])('rejects non-object JSON %s with BAD_JSON', (text) => {
    expect(() => decodeClientJson(text)).toThrow(wireError('BAD_JSON'));
  });

  it.each(['{}', '{"type":"subscribe","room":"lobby"}', '{"type":"feed","room":"lobby"}', '{"type":1,"room":"lobby"}'])(
    'rejects unknown type in %s with UNKNOWN_TYPE',
    (text) => {
      expect(() => decodeClientJson(text)).toThrow(wireError('UNKNOWN_TYPE'));
    },
  );

  it.each([
    ['mid missing', { payload: 'x' }],
    ['mid negative', { mid: -1, payload: 'x' }],
    ['mid above 2^32-1', { mid: 2 ** 32, payload: 'x' }],
    ['mid not an integer', { mid: 1.5, payload: 'x' }],
    ['mid a string', { mid: '1', payload: 'x' }],
    ['payload missing', { mid: 1 }],
    ['payload a number', { mid: 1, payload: 5 }],
    ['payload an object', { mid: 1, payload: { text: 'x' } }],
    ['payload null', { mid: 1, payload: null }],
    ['payloadBase64 of wrong length', { mid: 1, payloadBase64: 'abc' }],
    ['payloadBase64 with a bad character', { mid: 1, payloadBase64: 'ab$=' }],
    ['payloadBase64 with too much padding', { mid: 1, payloadBase64: 'A===' }],
    ['payloadBase64 with padding inside', { mid: 1, payloadBase64: 'AA==AA==' }],
    ['payloadBase64 in URL-safe alphabet', { mid: 1, payloadBase64: 'ab-_' }],
  ])('rejects a send with %s with BAD_FIELD', (_label, fields) => {
    expect(() => decodeClientJson(JSON.stringify({ type: 'send', room: 'lobby', ...fields }))).toThrow(wireError('BAD_FIELD'));
  });

  it('accepts an empty payloadBase64 as zero bytes', () => {
    const decoded = decodeClientJson('{"type":"send","room":"lobby","mid":1,"payloadBase64":""}');
    if (decoded.type !== 'send') throw new Error('expected a send');
    expect((decoded.payload as Uint8Array).byteLength).toBe(0);
  });

  it.each([
    ['missing', {}],
    ['empty', { room: '' }],
    ['with a space', { room: 'the lobby' }],
    ['with a colon', { room: 'a:b' }],
    ['too long', { room: 'r'.repeat(65) }],
    ['a number', { room: 7 }],
  ])('rejects a room name that is %s with INVALID_NAME', (_label, fields) => {
    for (const type of ['send', 'join', 'leave']) {
      expect(() => decodeClientJson(JSON.stringify({ type, mid: 1, payload: 'x', ...fields }))).toThrow(wireError('INVALID_NAME'));
    }
  });
});

describe('decodeControl', () => {
  it('decodes welcome, joined, left and error', () => {
    expect(decodeControl('{"type":"welcome","client":"c1","cursor":"ticks:4"}')).toEqual({ type: 'welcome', client: 'c1', cursor: 'ticks:4' });
    expect(decodeControl('{"type":"joined","room":"lobby","cursor":"lobby:0"}')).toEqual({ type: 'joined', room: 'lobby', cursor: 'lobby:0' });
    expect(decodeControl('{"type":"left","room":"lobby"}')).toEqual({ type: 'left', room: 'lobby' });
    expect(decodeControl('{"type":"error","code":"BAD_JSON","message":"nope"}')).toEqual({ type: 'error', code: 'BAD_JSON', message: 'nope' });
  });

  it('defaults a missing cursor to the empty string', () => {
    expect(decodeControl('{"type":"welcome","client":"c1"}')).toEqual({ type: 'welcome', client: 'c1', cursor: '' });
    expect(decodeControl('{"type":"joined","room":"r"}')).toEqual({ type: 'joined', room: 'r', cursor: '' });
  });

  it('rejects data messages and unknown types with UNKNOWN_TYPE, and non-objects with BAD_JSON', () => {
    expect(() => decodeControl(encodeDataJson(feed()))).toThrow(wireError('UNKNOWN_TYPE'));
    expect(() => decodeControl('{"type":"hello"}')).toThrow(wireError('UNKNOWN_TYPE'));
    expect(() => decodeControl('nope')).toThrow(wireError('BAD_JSON'));
    expect(() => decodeControl('[]')).toThrow(wireError('BAD_JSON'));
  });
});

describe('isDataJson', () => {
  it('is true for encoded feed and chat messages', () => {
    expect(isDataJson(encodeDataJson(feed()))).toBe(true);
    expect(isDataJson(encodeDataJson(chat({ payload: BYTES, binaryPayload: true })))).toBe(true);
  });

  it('is false for control messages and other text', () => {
    expect(isDataJson('{"type":"welcome","client":"c1","cursor":""}')).toBe(false);
    expect(isDataJson('{"type":"error","code":"X","message":"m"}')).toBe(false);
    expect(isDataJson('{ "type": "feed" }')).toBe(false);
    expect(isDataJson('')).toBe(false);
  });
});

describe('decodeBatch', () => {
  const messages = [feed({ seq: 1 }), chat({ seq: 1 }), feed({ seq: 2, payload: BYTES, binaryPayload: true })];

  it('decodes a JSON array body in order', () => {
    const body = Buffer.from('[' + messages.map(encodeDataJson).join(',') + ']');
    const envelopes = decodeBatch(body, 'json');
    expect(envelopes.map((e) => [e.kind, e.channel, e.seq])).toEqual([
      ['feed', 'ticks', 1],
      ['chat', 'lobby', 1],
      ['feed', 'ticks', 2],
    ]);
    expect(envelopes[1]).toEqual({ kind: 'chat', channel: 'lobby', seq: 1, ts: 42, from: 'client-7', mid: 99, payload: 'hi all' });
    expect(Buffer.from(envelopes[2]!.payload as Uint8Array).equals(BYTES)).toBe(true);
  });

  it('decodes binary messages back to back in order', () => {
    const body = Buffer.concat(messages.map((m) => encodeData(m, 'binary')));
    const envelopes = decodeBatch(body, 'binary');
    expect(envelopes.map((e) => [e.kind, e.channel, e.seq])).toEqual([
      ['feed', 'ticks', 1],
      ['chat', 'lobby', 1],
      ['feed', 'ticks', 2],
    ]);
  });

  it('decodes an empty batch in both encodings', () => {
    expect(decodeBatch(Buffer.from('[]'), 'json')).toEqual([]);
    expect(decodeBatch(new Uint8Array(0), 'binary')).toEqual([]);
  });

  it('reads only the view it is given when the bytes sit inside a larger buffer', () => {
    const json = Buffer.from('[' + encodeDataJson(feed()) + ']');
    const outer = Buffer.concat([Buffer.from('xxxx'), json, Buffer.from('yyyy')]);
    expect(decodeBatch(outer.subarray(4, 4 + json.length), 'json')).toHaveLength(1);
    const bin = Buffer.concat(messages.map((m) => encodeData(m, 'binary')));
    const outerBin = Buffer.concat([Buffer.from([0xff, 0xff]), bin, Buffer.from([0xff])]);
    expect(decodeBatch(outerBin.subarray(2, 2 + bin.length), 'binary')).toHaveLength(3);
  });

  it('rejects a JSON body that is not an array, and a binary body with a truncated last message', () => {
    expect(() => decodeBatch(Buffer.from(encodeDataJson(feed())), 'json')).toThrow(/must be an array/);
    expect(() => decodeBatch(Buffer.from('[{"type":"nope"}]'), 'json')).toThrow(wireError('UNKNOWN_TYPE'));
    const bin = Buffer.concat(messages.map((m) => encodeData(m, 'binary')));
    expect(() => decodeBatch(bin.subarray(0, bin.length - 1), 'binary')).toThrow(wireError('BAD_BINARY'));
  });
});

describe('JSON and binary encodings agree', () => {
  it.each<[string, EncodableData]>([
    ['feed, text', feed()],
    ['feed, bytes', feed({ payload: BYTES, binaryPayload: true })],
    ['feed, empty text', feed({ payload: Buffer.alloc(0) })],
    ['feed, 64-bit seq', feed({ seq: 2 ** 40 + 1, ts: Number.MAX_SAFE_INTEGER })],
    ['chat, text', chat()],
    ['chat, bytes', chat({ payload: BYTES, binaryPayload: true })],
    ['chat, max mid', chat({ mid: 0xffff_ffff })],
  ])('decodes the same envelope from both encodings: %s', (_label, msg) => {
    const fromJson = decodeData(encodeData(msg, 'json'), 'json');
    const fromBinary = decodeData(encodeData(msg, 'binary'), 'binary');
    expect(fromBinary).toEqual(fromJson);
    // binary data may also arrive as base64 text (e.g. an SSE data line)
    expect(decodeData(encodeData(msg, 'binary').toString('base64'), 'binary')).toEqual(fromJson);
  });
});

import { describe, expect, it } from 'vitest';
import { DATA_HEADER_BYTES, decodeDataBinary, type EncodableData } from '../../scenarios/codec-binary.ts';
import { decodeDataJson } from '../../scenarios/codec-json.ts';
import { encodeData } from '../../scenarios/codec.ts';
import type { Envelope } from '../../scenarios/envelope.ts';
import { WireError } from '../../scenarios/errors.ts';
import { newPeekedData, peekBinary, peekJson, peekJsonFast, type PeekedData } from '../../scenarios/peek.ts';

const BIG_TS = 1_795_323_929_042_520;
const BYTES = Buffer.from([0x00, 0xff, 0x22, 0x5c, 0x80, 0x7f, 0x0a]);

function feed(overrides: Partial<EncodableData> = {}): EncodableData {
  return { kind: 'feed', channel: 'ticks', seq: 42, ts: BIG_TS, payload: Buffer.from('hello'), binaryPayload: false, ...overrides };
}

function chat(overrides: Partial<EncodableData> = {}): EncodableData {
  return { kind: 'chat', channel: 'room17', seq: 7, ts: BIG_TS + 1, from: 'r17m3', mid: 12345, payload: Buffer.from('hi all'), binaryPayload: false, ...overrides };
}

/** What peek must give: the fields the full decoder reads, in PeekedData's shape. */
function peekedFrom(envelope: Envelope): PeekedData {
  return { chat: envelope.kind === 'chat', channel: envelope.channel, seq: envelope.seq, ts: envelope.ts, from: envelope.from ?? '', mid: envelope.mid ?? -1 };
}

const jsonOf = (msg: EncodableData): string => encodeData(msg, 'json').toString('utf8');
const binaryOf = (msg: EncodableData): Buffer => encodeData(msg, 'binary');

const TRICKY_PAYLOADS = [
  'plain',
  '',
  'quote " and \\ backslash \\" and "\\\\"',
  'fake fields: ,"seq":999,"ts":1,"from":"mallory","mid":7}',
  '{"type":"feed","topic":"other","seq":5,"ts":6,"payload":"x"}',
  'unicode: héllo ✓ 日本語 😀 \u2028 \u0000 \t\n',
];

const MESSAGES: [string, EncodableData][] = [
  ['feed', feed()],
  ['chat', chat()],
  ['feed with seq 2^40', feed({ seq: 2 ** 40, ts: BIG_TS })],
  ['chat with seq 2^40 and mid 2^32-1', chat({ seq: 2 ** 40 + 1, mid: 0xffff_ffff })],
  ['feed with the largest safe seq and ts', feed({ seq: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER })],
  ['feed with seq 1 and ts 0', feed({ seq: 1, ts: 0 })],
  ['chat with mid 0', chat({ mid: 0 })],
  ['chat with an empty sender id', chat({ from: '' })],
  ['feed with a binary payload', feed({ payload: BYTES, binaryPayload: true })],
  ['chat with a binary payload', chat({ payload: BYTES, binaryPayload: true })],
  ['feed with a long name', feed({ channel: 'a'.repeat(64) })],
  ...TRICKY_PAYLOADS.map((p, i): [string, EncodableData] => [`feed with payload ${JSON.stringify(p)}`, feed({ seq: 100 + i, payload: Buffer.from(p) })]),
  ...TRICKY_PAYLOADS.map((p, i): [string, EncodableData] => [`chat with payload ${JSON.stringify(p)}`, chat({ seq: 200 + i, payload: Buffer.from(p) })]),
];

describe('peekJson', () => {
  it.each(MESSAGES)('reads %s exactly as the full decoder does', (_name, msg) => {
    const text = jsonOf(msg);
    const out = newPeekedData();
    expect(peekJson(text, out)).toBe(true);
    expect(out).toEqual(peekedFrom(decodeDataJson(text)));
    expect(out).toEqual({ chat: msg.kind === 'chat', channel: msg.channel, seq: msg.seq, ts: msg.ts, from: msg.kind === 'chat' ? msg.from : '', mid: msg.kind === 'chat' ? msg.mid : -1 });
  });

  it('reuses one PeekedData: a feed message after a chat message clears from and mid', () => {
    const out = newPeekedData();
    expect(peekJson(jsonOf(chat()), out)).toBe(true);
    expect(out).toMatchObject({ chat: true, from: 'r17m3', mid: 12345 });
    expect(peekJson(jsonOf(feed()), out)).toBe(true);
    expect(out).toEqual({ chat: false, channel: 'ticks', seq: 42, ts: BIG_TS, from: '', mid: -1 });
  });

  it.each([
    '{"type":"welcome","client":"c1","cursor":"ticks:3"}',
    '{"type":"joined","room":"lobby","cursor":"lobby:0"}',
    '{"type":"left","room":"lobby"}',
    '{"type":"error","code":"BAD_JSON","message":"{\\"type\\":\\"feed\\"}"}',
    ' {"type":"feed","topic":"ticks","seq":1,"ts":2,"payload":"x"}',
    '{"type":"feedback","topic":"ticks","seq":1,"ts":2,"payload":"x"}',
  ])('returns false for a control message (or anything not starting like a data message) and leaves out alone: %s', (text) => {
    const out = newPeekedData();
    out.seq = 77;
    expect(peekJson(text, out)).toBe(false);
    expect(out).toEqual({ ...newPeekedData(), seq: 77 });
  });

  it.each<[string, string, PeekedData]>([
    ['topic after seq', '{"type":"feed","seq":5,"topic":"ticks","ts":9,"payload":"x"}', { chat: false, channel: 'ticks', seq: 5, ts: 9, from: '', mid: -1 }],
    ['ts before seq', `{"type":"feed","topic":"ticks","ts":${BIG_TS},"seq":${2 ** 40},"payload":"\\"seq\\":1"}`, { chat: false, channel: 'ticks', seq: 2 ** 40, ts: BIG_TS, from: '', mid: -1 }],
    ['mid before from', '{"type":"chat","room":"lobby","seq":3,"ts":4,"mid":5,"from":"bob","payload":"x"}', { chat: true, channel: 'lobby', seq: 3, ts: 4, from: 'bob', mid: 5 }],
    ['payload first', '{"type":"chat","payload":",\\"seq\\":9","room":"lobby","seq":3,"ts":4,"from":"bob","mid":5}', { chat: true, channel: 'lobby', seq: 3, ts: 4, from: 'bob', mid: 5 }],
    ['whitespace between fields', '{"type":"feed", "topic": "ticks", "seq": 8, "ts": 9, "payload": "x"}', { chat: false, channel: 'ticks', seq: 8, ts: 9, from: '', mid: -1 }],
    ['an escaped quote in the sender id', jsonOf(chat({ from: 'a"b\\c' })), { chat: true, channel: 'room17', seq: 7, ts: BIG_TS + 1, from: 'a"b\\c', mid: 12345 }],
    ['an escaped quote in the channel', jsonOf(feed({ channel: 'ti"cks' })), { chat: false, channel: 'ti"cks', seq: 42, ts: BIG_TS, from: '', mid: -1 }],
    ['a \\u escape in the channel', '{"type":"feed","topic":"ti\\u0063ks","seq":1,"ts":2,"payload":"x"}', { chat: false, channel: 'ticks', seq: 1, ts: 2, from: '', mid: -1 }],
  ])('falls back to the full decoder for %s and still reads right', (_name, text, expected) => {
    const out = newPeekedData();
    expect(peekJson(text, out)).toBe(true);
    expect(out).toEqual(expected);
  });

  it.each([
    ['not JSON', '{"type":"feed",oops}', 'BAD_JSON'],
    ['a negative seq', '{"type":"feed","topic":"ticks","seq":-1,"ts":2,"payload":"x"}', 'BAD_FIELD'],
    ['a string seq', '{"type":"feed","topic":"ticks","seq":"1","ts":2,"payload":"x"}', 'BAD_FIELD'],
    ['a missing ts', '{"type":"feed","topic":"ticks","seq":1,"payload":"x"}', 'BAD_FIELD'],
    ['a fractional seq', '{"type":"feed","topic":"ticks","seq":1.5,"ts":2,"payload":"x"}', 'BAD_FIELD'],
    ['a chat message without from', '{"type":"chat","room":"lobby","seq":1,"ts":2,"mid":3,"payload":"x"}', 'BAD_FIELD'],
    ['a chat message with a numeric from', '{"type":"chat","room":"lobby","seq":1,"ts":2,"from":5,"mid":3,"payload":"x"}', 'BAD_FIELD'],
    ['a chat message with a negative mid', '{"type":"chat","room":"lobby","seq":1,"ts":2,"from":"a","mid":-3,"payload":"x"}', 'BAD_FIELD'],
    ['a feed message without a topic', '{"type":"feed","room":"lobby","seq":1,"ts":2,"payload":"x"}', 'BAD_FIELD'],
    ['a truncated message', '{"type":"feed","topic":"ticks","seq":1', 'BAD_JSON'],
    ['bad base64 (on the fallback path)', '{"type":"feed","seq":1,"topic":"ticks","ts":2,"payloadBase64":"abc"}', 'BAD_FIELD'],
  ])('throws a WireError for a malformed data message: %s', (_name, text, code) => {
    expect(() => peekJson(text, newPeekedData())).toThrow(WireError);
    expect(() => peekJson(text, newPeekedData())).toThrow(expect.objectContaining({ code }));
  });

  // BUG (scenarios/peek.ts fastJson, lines 62 and 71): the fast path checks what follows the
  // seq digits (`,"ts":`) but not what follows the ts digits (feed) or the mid digits (chat), and never
  // looks at the payload. So a data message that is not valid is accepted with a wrong value instead of
  // throwing WireError as peekJson's doc promises ("throws WireError for a data message that is not
  // valid"); the full decoder rejects each of these inputs with BAD_FIELD / BAD_JSON.
  it('throws for a feed message whose ts is not an integer (fast path reads ts 1 from "ts":1.5)', () => {
    const text = '{"type":"feed","topic":"ticks","seq":1,"ts":1.5,"payload":"x"}';
    expect(() => decodeDataJson(text)).toThrow(WireError);
    expect(() => peekJson(text, newPeekedData())).toThrow(WireError);
  });

  it('throws for a chat message whose mid is not an integer (fast path reads mid 3 from "mid":3.5)', () => {
    const text = '{"type":"chat","room":"lobby","seq":1,"ts":2,"from":"a","mid":3.5,"payload":"x"}';
    expect(() => decodeDataJson(text)).toThrow(WireError);
    expect(() => peekJson(text, newPeekedData())).toThrow(WireError);
  });

  it('throws for a data message cut off after its ts', () => {
    const text = '{"type":"feed","topic":"ticks","seq":1,"ts":2,"payl';
    expect(() => decodeDataJson(text)).toThrow(WireError);
    expect(() => peekJson(text, newPeekedData())).toThrow(WireError);
  });
});

describe('peekBinary', () => {
  it.each(MESSAGES)('reads %s exactly as the full decoder does, and returns the offset past it', (_name, msg) => {
    const buf = binaryOf(msg);
    const out = newPeekedData();
    const next = peekBinary(buf, 0, out);
    const { envelope, next: decodedNext } = decodeDataBinary(buf, 0);
    expect(out).toEqual(peekedFrom(envelope));
    expect(out).toEqual({ chat: msg.kind === 'chat', channel: msg.channel, seq: msg.seq, ts: msg.ts, from: msg.kind === 'chat' ? msg.from : '', mid: msg.kind === 'chat' ? msg.mid : -1 });
    expect(next).toBe(buf.length);
    expect(next).toBe(decodedNext);
  });

  it('reads messages back to back (a long-poll batch), returning successive offsets', () => {
    const messages = [feed(), chat(), feed({ seq: 2 ** 40, payload: Buffer.alloc(0) }), chat({ payload: BYTES, binaryPayload: true, from: '' }), feed({ payload: Buffer.alloc(300, 0x61) })];
    const parts = messages.map(binaryOf);
    const lead = Buffer.from([0xaa, 0xbb, 0xcc]);
    const body = Buffer.concat([lead, ...parts]);
    const out = newPeekedData();
    let offset = lead.length;
    const offsets: number[] = [];
    const seen: PeekedData[] = [];
    while (offset < body.length) {
      offset = peekBinary(body, offset, out);
      offsets.push(offset);
      seen.push({ ...out });
    }
    let expected = lead.length;
    expect(offsets).toEqual(parts.map((p) => (expected += p.length)));
    expect(seen).toEqual(messages.map((m) => peekedFrom(decodeDataBinary(binaryOf(m)).envelope)));
  });

  it('reuses one PeekedData: a feed message after a chat message clears from and mid', () => {
    const out = newPeekedData();
    peekBinary(binaryOf(chat()), 0, out);
    expect(out).toMatchObject({ chat: true, from: 'r17m3', mid: 12345 });
    peekBinary(binaryOf(feed()), 0, out);
    expect(out).toEqual({ chat: false, channel: 'ticks', seq: 42, ts: BIG_TS, from: '', mid: -1 });
  });

  it.each<[string, EncodableData]>([
    ['feed', feed()],
    ['chat', chat()],
    ['chat with an empty payload', chat({ payload: Buffer.alloc(0) })],
  ])('throws a WireError for a %s message cut at any byte', (_name, msg) => {
    const full = binaryOf(msg);
    expect(full.length).toBeGreaterThan(DATA_HEADER_BYTES);
    for (let cut = 0; cut < full.length; cut++) {
      const truncated = Buffer.from(full.subarray(0, cut));
      expect(() => peekBinary(truncated, 0, newPeekedData()), `cut at ${cut}`).toThrow(WireError);
    }
  });

  it('throws a WireError when the last message of a batch is truncated', () => {
    const first = binaryOf(feed());
    const body = Buffer.concat([first, binaryOf(chat()).subarray(0, 30)]);
    const out = newPeekedData();
    expect(peekBinary(body, 0, out)).toBe(first.length);
    expect(() => peekBinary(body, first.length, out)).toThrow(expect.objectContaining({ name: 'WireError', code: 'BAD_BINARY' }));
  });

  it('throws UNKNOWN_TYPE for a type byte that is not feed or chat', () => {
    const buf = binaryOf(feed());
    buf[0] = 0x10;
    expect(() => peekBinary(buf, 0, newPeekedData())).toThrow(expect.objectContaining({ name: 'WireError', code: 'UNKNOWN_TYPE' }));
  });
});

describe('the fast path', () => {
  // A fallback to the full decoder still gives the right fields, so only this catches a fast path that never runs.
  it.each([
    ['feed', feed()],
    ['feed with a 16-digit ts and a large seq', feed({ seq: 2 ** 40, ts: Number.MAX_SAFE_INTEGER })],
    ['feed with a byte payload', feed({ payload: BYTES, binaryPayload: true })],
    ['feed with quotes, backslashes and "seq": in its payload', feed({ payload: Buffer.from('say "hi" \\ "seq":9,"ts":1') })],
    ['chat', chat()],
    ['chat with a byte payload', chat({ payload: BYTES, binaryPayload: true })],
  ])('reads what the lab encoder writes without the full decoder: %s', (_name, msg) => {
    const out = newPeekedData();
    expect(peekJsonFast(jsonOf(msg), out)).toBe(true);
    expect(out).toEqual(peekedFrom(decodeDataJson(jsonOf(msg))));
  });

  it('leaves to the full decoder what it cannot read exactly', () => {
    const out = newPeekedData();
    expect(peekJsonFast('{"type":"feed","topic":"ticks","seq":99999999999999999,"ts":2,"payload":"x"}', out)).toBe(false);
    expect(peekJsonFast('{"type":"feed","topic":"ticks","seq":01,"ts":2,"payload":"x"}', out)).toBe(false);
    expect(peekJsonFast('{"type":"feed","topic":"ticks","ts":2,"seq":1,"payload":"x"}', out)).toBe(false);
  });
});

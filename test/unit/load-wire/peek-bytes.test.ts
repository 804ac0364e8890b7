/** The byte-level peeks give exactly what the string peeks give, on the lab's messages and on the ones that need the slow path. */
import { describe, expect, it } from 'vitest';
import { type EncodableData } from '../../../scenarios/codec-binary.ts';
import { encodeData } from '../../../scenarios/codec.ts';
import { WireError } from '../../../scenarios/errors.ts';
import { newPeekedData, peekBinary, peekBinaryRange, peekJson, peekJsonBytes, peekJsonBytesAt } from '../../../scenarios/peek.ts';

const BIG_TS = 1_795_323_929_042_520;
const feed = (o: Partial<EncodableData> = {}): EncodableData => ({ kind: 'feed', channel: 'ticks', seq: 42, ts: BIG_TS, payload: Buffer.from('hello'), binaryPayload: false, ...o });
const chat = (o: Partial<EncodableData> = {}): EncodableData => ({ kind: 'chat', channel: 'room17', seq: 7, ts: BIG_TS + 1, from: 'r17m3', mid: 12345, payload: Buffer.from('hi all'), binaryPayload: false, ...o });
const PAYLOADS = ['', 'plain', 'quote " and \\ backslash \\" and "\\\\"', 'fake: ,"seq":999}],[{"type":"feed"', 'unicode: héllo ✓ 😀 \u2028 \u0000'];
const MESSAGES: EncodableData[] = [
  feed(),
  chat(),
  feed({ seq: Number.MAX_SAFE_INTEGER, ts: 0 }),
  chat({ mid: 0xffff_ffff, from: '' }),
  feed({ payload: Buffer.from([0, 0xff, 0x22, 0x5c]), binaryPayload: true }),
  feed({ channel: 'a'.repeat(64) }),
  ...PAYLOADS.map((p, i) => feed({ seq: 100 + i, payload: Buffer.from(p) })),
  ...PAYLOADS.map((p, i) => chat({ seq: 200 + i, channel: `room${i}`, payload: Buffer.from(p) })),
];

/** The text placed inside a larger buffer, as it sits in a read buffer between other bytes. */
function embedded(text: string): { buf: Buffer; start: number; end: number } {
  const inner = Buffer.from(text);
  return { buf: Buffer.concat([Buffer.from('xx"}'), inner, Buffer.from('"}yy')]), start: 4, end: 4 + inner.length };
}

describe('peekJsonBytes', () => {
  it.each(MESSAGES.map((m) => [encodeData(m, 'json').toString(), m] as const))('reads %s as peekJson does', (text) => {
    const expected = newPeekedData();
    expect(peekJson(text, expected)).toBe(true);
    const { buf, start, end } = embedded(text);
    const out = newPeekedData();
    expect(peekJsonBytes(buf, start, end, out)).toBe(true);
    expect(out).toEqual(expected);
    // The fast path reads every message the lab's encoder writes.
    expect(peekJsonBytesAt(buf, start, end, newPeekedData(), true)).toBe(end);
  });

  it('finds each message of a batch, payloads with quotes and brackets included', () => {
    const texts = MESSAGES.map((m) => encodeData(m, 'json').toString());
    const body = Buffer.from(`[${texts.join(',')}]`);
    let at = 1;
    for (const text of texts) {
      const out = newPeekedData();
      const expected = newPeekedData();
      peekJson(text, expected);
      const next = peekJsonBytesAt(body, at, body.length, out, false);
      expect(next).toBe(at + Buffer.byteLength(text));
      expect(out).toEqual(expected);
      at = next + 1;
    }
  });

  it('takes the slow path for what the fast one does not read, with the same answers and errors', () => {
    const cases = [
      '{"type":"feed","seq":3,"topic":"ticks","ts":5,"payload":"x"}',
      '{"type":"feed","topic":"t\\u0069cks","seq":3,"ts":5,"payload":"x"}',
      '{"type":"feed","topic":"ticks","seq":3.0,"ts":5,"payload":"x"}',
      '{"type":"feed","topic":"ticks","seq":3,"ts":5,"payload":"x"} ',
    ];
    for (const text of cases) {
      const { buf, start, end } = embedded(text);
      expect(peekJsonBytesAt(buf, start, end, newPeekedData(), true), text).toBe(-1);
      const out = newPeekedData();
      const expected = newPeekedData();
      expect(peekJsonBytes(buf, start, end, out)).toBe(peekJson(text, expected));
      expect(out).toEqual(expected);
    }
    const control = embedded('{"type":"welcome","client":"w1","cursor":"ticks:2"}');
    expect(peekJsonBytes(control.buf, control.start, control.end, newPeekedData())).toBe(false);
    const broken = embedded('{"type":"feed","topic":"ticks","seq":"x"}');
    expect(() => peekJsonBytes(broken.buf, broken.start, broken.end, newPeekedData())).toThrow(WireError);
  });
});

describe('peekBinaryRange', () => {
  it.each(MESSAGES.map((m, i) => [i, m] as const))('reads message %i as peekBinary does, inside a larger buffer', (_i, m) => {
    const bytes = encodeData(m, 'binary');
    const expected = newPeekedData();
    expect(peekBinary(bytes, 0, expected)).toBe(bytes.length);
    const buf = Buffer.concat([Buffer.alloc(7, 1), bytes, Buffer.alloc(9, 2)]);
    const out = newPeekedData();
    expect(peekBinaryRange(buf, 7, 7 + bytes.length, out)).toBe(7 + bytes.length);
    expect(out).toEqual(expected);
  });

  it('does not read past the end it is given: a cut message is an error', () => {
    const bytes = encodeData(chat(), 'binary');
    const buf = Buffer.concat([bytes, Buffer.alloc(64)]);
    for (const cut of [1, 10, 23, 30, bytes.length - 1]) expect(() => peekBinaryRange(buf, 0, cut, newPeekedData()), `cut ${cut}`).toThrow(WireError);
  });
});

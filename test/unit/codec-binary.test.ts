import { describe, expect, it } from 'vitest';
import {
  CLIENT_TYPE,
  DATA_HEADER_BYTES,
  DATA_TYPE,
  FLAG_BINARY_PAYLOAD,
  decodeClientBinary,
  decodeDataBinary,
  encodeClientBinary,
  encodeDataBinary,
  type EncodableData,
} from '../../scenarios/codec-binary.ts';
import type { ClientMessage } from '../../scenarios/envelope.ts';

const wireError = (code: string) => expect.objectContaining({ name: 'WireError', code });

function feed(overrides: Partial<EncodableData> = {}): EncodableData {
  return { kind: 'feed', channel: 'ticks', seq: 1, ts: 1_700_000_000_000_000, payload: Buffer.from('hello'), binaryPayload: false, ...overrides };
}

function chat(overrides: Partial<EncodableData> = {}): EncodableData {
  return { kind: 'chat', channel: 'lobby', seq: 3, ts: 42, from: 'client-7', mid: 99, payload: Buffer.from('hi all'), binaryPayload: false, ...overrides };
}

describe('binary data messages: round trip', () => {
  it('round-trips a feed message with a UTF-8 text payload', () => {
    const buf = encodeDataBinary(feed({ payload: Buffer.from('héllo ✓ 日本') }));
    const { envelope, next } = decodeDataBinary(buf);
    expect(envelope).toEqual({ kind: 'feed', channel: 'ticks', seq: 1, ts: 1_700_000_000_000_000, payload: 'héllo ✓ 日本' });
    expect(next).toBe(buf.length);
  });

  it('round-trips a chat message with sender and message id', () => {
    const buf = encodeDataBinary(chat({ mid: 0xffff_ffff }));
    const { envelope, next } = decodeDataBinary(buf);
    expect(envelope).toEqual({ kind: 'chat', channel: 'lobby', seq: 3, ts: 42, from: 'client-7', mid: 0xffff_ffff, payload: 'hi all' });
    expect(next).toBe(buf.length);
  });

  it('sets the flags bit for a binary payload and decodes it back to the same bytes', () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, 0x01]);
    for (const msg of [feed({ payload: bytes, binaryPayload: true }), chat({ payload: bytes, binaryPayload: true })]) {
      const buf = encodeDataBinary(msg);
      expect(buf[1]).toBe(FLAG_BINARY_PAYLOAD);
      const { envelope } = decodeDataBinary(buf);
      expect(envelope.payload).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(envelope.payload as Uint8Array).equals(bytes)).toBe(true);
    }
  });

  it('round-trips an empty payload, as text and as bytes', () => {
    expect(decodeDataBinary(encodeDataBinary(feed({ payload: Buffer.alloc(0) }))).envelope.payload).toBe('');
    expect(decodeDataBinary(encodeDataBinary(chat({ payload: Buffer.alloc(0) }))).envelope.payload).toBe('');
    const bin = decodeDataBinary(encodeDataBinary(feed({ payload: Buffer.alloc(0), binaryPayload: true }))).envelope.payload;
    expect(bin).toBeInstanceOf(Uint8Array);
    expect((bin as Uint8Array).byteLength).toBe(0);
    expect(encodeDataBinary(feed({ payload: Buffer.alloc(0) })).length).toBe(DATA_HEADER_BYTES + 'ticks'.length);
  });

  it('round-trips a chat message with an empty sender id and no mid (mid written as 0)', () => {
    const { envelope } = decodeDataBinary(encodeDataBinary(chat({ from: undefined, mid: undefined })));
    expect(envelope.from).toBe('');
    expect(envelope.mid).toBe(0);
  });

  it.each([0, 1, 0xffff_ffff, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 123_456, 2 ** 52 + 7, Number.MAX_SAFE_INTEGER])(
    'round-trips seq and ts of %d (64-bit fields)',
    (value) => {
      const { envelope } = decodeDataBinary(encodeDataBinary(feed({ seq: value, ts: value })));
      expect(envelope.seq).toBe(value);
      expect(envelope.ts).toBe(value);
      const chatEnv = decodeDataBinary(encodeDataBinary(chat({ seq: value, ts: Number.MAX_SAFE_INTEGER - value }))).envelope;
      expect(chatEnv.seq).toBe(value);
      expect(chatEnv.ts).toBe(Number.MAX_SAFE_INTEGER - value);
    },
  );

  it('writes Number.MAX_SAFE_INTEGER as the two halves 0x001fffff 0xffffffff', () => {
    const buf = encodeDataBinary(feed({ seq: Number.MAX_SAFE_INTEGER }));
    expect([...buf.subarray(3, 11)]).toEqual([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  // Bug: the UTF-8 decoder is created without { ignoreBOM: true }, so a text payload that starts
  // with U+FEFF loses it on decode (the header says 8 payload bytes, the decoded text has 5).
  it('keeps a leading U+FEFF (byte order mark) in a text payload', () => {
    const text = '\uFEFFhello';
    const { envelope } = decodeDataBinary(encodeDataBinary(feed({ payload: Buffer.from(text) })));
    expect(envelope.payload).toBe(text);
  });
});

describe('binary data messages: byte layout', () => {
  it('lays out a feed message exactly as documented', () => {
    const seq = 2 ** 32 + 5; // hi 0x00000001, lo 0x00000005
    const ts = 0x1234 * 2 ** 32 + 0x5678_9abc;
    const buf = encodeDataBinary(feed({ seq, ts, payload: Buffer.from('hi') }));
    expect(buf.length).toBe(23 + 5 + 2);
    expect(buf[0]).toBe(0x01); // type: feed
    expect(buf[0]).toBe(DATA_TYPE.feed);
    expect(buf[1]).toBe(0x00); // flags: text payload
    expect(buf[2]).toBe(5); // channel length
    expect([...buf.subarray(3, 7)]).toEqual([0x00, 0x00, 0x00, 0x01]); // seq high half
    expect([...buf.subarray(7, 11)]).toEqual([0x00, 0x00, 0x00, 0x05]); // seq low half
    expect([...buf.subarray(11, 15)]).toEqual([0x00, 0x00, 0x12, 0x34]); // ts high half
    expect([...buf.subarray(15, 19)]).toEqual([0x56, 0x78, 0x9a, 0xbc]); // ts low half
    expect([...buf.subarray(19, 23)]).toEqual([0x00, 0x00, 0x00, 0x02]); // payload length
    expect(buf.subarray(23, 28).toString('latin1')).toBe('ticks');
    expect(buf.subarray(28, 30).toString('latin1')).toBe('hi');
  });

  it('lays out the chat part (sender length, sender, mid) between channel and payload', () => {
    const buf = encodeDataBinary(chat({ channel: 'r1', from: 'abc', mid: 0x0102_0304, seq: 1, ts: 2, payload: Buffer.from('x') }));
    expect(buf[0]).toBe(DATA_TYPE.chat);
    expect(buf[2]).toBe(2);
    expect([...buf.subarray(19, 23)]).toEqual([0, 0, 0, 1]); // payload length counts the payload only
    expect(buf.subarray(23, 25).toString('latin1')).toBe('r1');
    expect(buf[25]).toBe(3);
    expect(buf.subarray(26, 29).toString('latin1')).toBe('abc');
    expect([...buf.subarray(29, 33)]).toEqual([0x01, 0x02, 0x03, 0x04]);
    expect(buf.subarray(33).toString('latin1')).toBe('x');
    expect(buf.length).toBe(34);
  });
});

describe('binary data messages: back to back', () => {
  it('decodes several messages in one buffer, each `next` pointing at the following one', () => {
    const messages = [
      feed({ seq: 1, payload: Buffer.from('one') }),
      chat({ seq: 2, payload: Buffer.from('two') }),
      feed({ seq: 2 ** 33, payload: Buffer.from([1, 2, 3]), binaryPayload: true }),
      feed({ seq: 4, payload: Buffer.alloc(0) }),
    ];
    const parts = messages.map(encodeDataBinary);
    const body = Buffer.concat(parts);
    const seqs: number[] = [];
    const offsets: number[] = [];
    for (let offset = 0; offset < body.length; ) {
      offsets.push(offset);
      const { envelope, next } = decodeDataBinary(body, offset);
      seqs.push(envelope.seq);
      offset = next;
    }
    expect(seqs).toEqual([1, 2, 2 ** 33, 4]);
    let expected = 0;
    expect(offsets).toEqual(parts.map((p) => ((expected += p.length), expected - p.length)));
  });

  it('decodes from an offset inside a larger buffer', () => {
    const prefix = Buffer.from('garbage!');
    const buf = Buffer.concat([prefix, encodeDataBinary(chat())]);
    const { envelope, next } = decodeDataBinary(buf, prefix.length);
    expect(envelope.channel).toBe('lobby');
    expect(next).toBe(buf.length);
  });
});

describe('binary data messages: errors', () => {
  it.each([
    ['feed with text payload', feed()],
    ['feed with binary payload', feed({ payload: Buffer.from([9, 8, 7]), binaryPayload: true })],
    ['chat', chat()],
  ])('rejects a %s truncated at every length with BAD_BINARY', (_label, msg) => {
    const full = encodeDataBinary(msg);
    for (let length = 0; length < full.length; length++) {
      expect(() => decodeDataBinary(full.subarray(0, length)), `length ${length}`).toThrow(wireError('BAD_BINARY'));
    }
    // and the same truncation when the message starts at an offset
    const shifted = Buffer.concat([encodeDataBinary(feed()), full]);
    const start = shifted.length - full.length;
    for (let length = 0; length < full.length; length++) {
      expect(() => decodeDataBinary(shifted.subarray(0, start + length), start), `offset length ${length}`).toThrow(wireError('BAD_BINARY'));
    }
  });

  it.each([0x00, 0x03, CLIENT_TYPE.send, 0xff])('rejects data message type byte %d with UNKNOWN_TYPE', (type) => {
    const buf = encodeDataBinary(feed());
    buf[0] = type;
    expect(() => decodeDataBinary(buf)).toThrow(wireError('UNKNOWN_TYPE'));
  });

  it('rejects a text payload that is not valid UTF-8 with BAD_BINARY, but accepts the same bytes flagged binary', () => {
    const bad = Buffer.from([0x68, 0xc3, 0x28, 0xff]);
    expect(() => decodeDataBinary(encodeDataBinary(feed({ payload: bad })))).toThrow(wireError('BAD_BINARY'));
    expect(() => decodeDataBinary(encodeDataBinary(chat({ payload: bad })))).toThrow(wireError('BAD_BINARY'));
    expect(() => decodeDataBinary(encodeDataBinary(feed({ payload: bad, binaryPayload: true })))).not.toThrow();
  });
});

describe('binary client messages', () => {
  it.each<[string, ClientMessage]>([
    ['send with text', { type: 'send', room: 'lobby', mid: 17, payload: 'héllo' }],
    ['send with empty text', { type: 'send', room: 'lobby', mid: 0, payload: '' }],
    ['send with max mid', { type: 'send', room: 'r', mid: 0xffff_ffff, payload: 'x' }],
    ['join', { type: 'join', room: 'room-1.a_b' }],
    ['leave', { type: 'leave', room: 'lobby' }],
  ])('round-trips %s', (_label, msg) => {
    expect(decodeClientBinary(encodeClientBinary(msg))).toEqual(msg);
  });

  it('round-trips a send with a binary payload and sets the flags bit', () => {
    const bytes = new Uint8Array([0, 1, 0xfe, 0xff]);
    const buf = encodeClientBinary({ type: 'send', room: 'lobby', mid: 5, payload: bytes });
    expect(buf[1]).toBe(FLAG_BINARY_PAYLOAD);
    const decoded = decodeClientBinary(buf);
    expect(decoded.type).toBe('send');
    if (decoded.type !== 'send') return;
    expect(decoded.room).toBe('lobby');
    expect(decoded.mid).toBe(5);
    expect(decoded.payload).toBeInstanceOf(Uint8Array);
    expect([...(decoded.payload as Uint8Array)]).toEqual([0, 1, 0xfe, 0xff]);
  });

  it('lays out join and send headers as documented', () => {
    expect([...encodeClientBinary({ type: 'join', room: 'ab' })]).toEqual([CLIENT_TYPE.join, 0, 2, 0x61, 0x62]);
    expect([...encodeClientBinary({ type: 'leave', room: 'ab' })]).toEqual([CLIENT_TYPE.leave, 0, 2, 0x61, 0x62]);
    const send = encodeClientBinary({ type: 'send', room: 'ab', mid: 0x0a0b0c0d, payload: 'xyz' });
    expect([...send]).toEqual([CLIENT_TYPE.send, 0, 2, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0, 3, 0x61, 0x62, 0x78, 0x79, 0x7a]);
  });

  it('rejects input shorter than the 3-byte header with BAD_BINARY', () => {
    for (const bytes of [[], [CLIENT_TYPE.join], [CLIENT_TYPE.send, 0]]) {
      expect(() => decodeClientBinary(new Uint8Array(bytes))).toThrow(wireError('BAD_BINARY'));
    }
  });

  it('rejects a join or leave whose length does not match its room length with BAD_BINARY', () => {
    for (const type of ['join', 'leave'] as const) {
      const buf = encodeClientBinary({ type, room: 'lobby' });
      expect(() => decodeClientBinary(buf.subarray(0, buf.length - 1))).toThrow(wireError('BAD_BINARY'));
      expect(() => decodeClientBinary(Buffer.concat([buf, Buffer.from('x')]))).toThrow(wireError('BAD_BINARY'));
    }
  });

  it('rejects a send that is truncated at any length, or longer than its header says, with BAD_BINARY', () => {
    const buf = encodeClientBinary({ type: 'send', room: 'lobby', mid: 1, payload: 'hello' });
    for (let length = 0; length < buf.length; length++) {
      expect(() => decodeClientBinary(buf.subarray(0, length)), `length ${length}`).toThrow(wireError('BAD_BINARY'));
    }
    expect(() => decodeClientBinary(Buffer.concat([buf, Buffer.from([0])]))).toThrow(wireError('BAD_BINARY'));
  });

  it('rejects an unknown client message type with UNKNOWN_TYPE', () => {
    for (const type of [DATA_TYPE.feed, 0x13, 0x00]) {
      const buf = encodeClientBinary({ type: 'join', room: 'lobby' });
      buf[0] = type;
      expect(() => decodeClientBinary(buf)).toThrow(wireError('UNKNOWN_TYPE'));
    }
  });

  it('rejects an invalid room name with INVALID_NAME', () => {
    expect(() => decodeClientBinary(encodeClientBinary({ type: 'join', room: 'bad room' }))).toThrow(wireError('INVALID_NAME'));
    expect(() => decodeClientBinary(encodeClientBinary({ type: 'leave', room: '' }))).toThrow(wireError('INVALID_NAME'));
    expect(() => decodeClientBinary(encodeClientBinary({ type: 'send', room: 'a:b', mid: 1, payload: 'x' }))).toThrow(wireError('INVALID_NAME'));
    expect(() => decodeClientBinary(encodeClientBinary({ type: 'join', room: 'x'.repeat(65) }))).toThrow(wireError('INVALID_NAME'));
    expect(() => decodeClientBinary(new Uint8Array([CLIENT_TYPE.join, 0, 2, 0x61, 0xe9]))).toThrow(wireError('INVALID_NAME'));
  });

  it('rejects a send whose text payload is not valid UTF-8 with BAD_BINARY', () => {
    const buf = encodeClientBinary({ type: 'send', room: 'lobby', mid: 1, payload: new Uint8Array([0xc3, 0x28]) });
    buf[1] = 0; // claim the payload is text
    expect(() => decodeClientBinary(buf)).toThrow(wireError('BAD_BINARY'));
  });
});

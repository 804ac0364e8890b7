/** The load client's WebSocket frame reader: every frame kind, split at every byte offset of the stream. */
import { describe, expect, it } from 'vitest';
import { OPCODE, WsFrameParser, WsProtocolError, acceptFor, clientFrame } from '../../../clients/load/wire/ws-frames.ts';

type Event = ['message', number, string] | ['ping', string] | ['close', number, string];

function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0, length]) : length < 0x1_0000 ? Buffer.from([0, 126, length >> 8, length & 255]) : Buffer.alloc(10);
  if (length >= 0x1_0000) {
    header[1] = 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, payload]);
}

function parse(stream: Buffer, cuts: number[]): Event[] {
  const events: Event[] = [];
  const parser = new WsFrameParser({
    message: (opcode, buf, start, end) => void events.push(['message', opcode, buf.toString('latin1', start, end)]),
    ping: (buf, start, end) => void events.push(['ping', buf.toString('latin1', start, end)]),
    close: (code, reason) => void events.push(['close', code, reason]),
  });
  // Each piece is copied into one reused buffer, as the shared read buffer is reused between reads.
  const scratch = Buffer.alloc(stream.length + 16);
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    stream.copy(scratch, 3, from, cut);
    parser.feed(scratch, 3, 3 + cut - from);
    scratch.fill(0xee);
    from = cut;
  }
  return events;
}

const medium = Buffer.alloc(300, 'm');
const large = Buffer.alloc(70_000, 'L');
const closeBody = Buffer.concat([Buffer.from([0x0f, 0xa8]), Buffer.from('slow consumer')]);
const STREAM = Buffer.concat([
  serverFrame(OPCODE.text, Buffer.from('{"type":"welcome"}')),
  serverFrame(OPCODE.binary, Buffer.from([1, 2, 3])),
  serverFrame(OPCODE.ping, Buffer.from('hb')),
  serverFrame(OPCODE.text, medium),
  serverFrame(OPCODE.pong, Buffer.alloc(0)),
  serverFrame(OPCODE.text, Buffer.from('frag'), false),
  serverFrame(OPCODE.ping, Buffer.alloc(0)),
  serverFrame(OPCODE.continuation, Buffer.from('men'), false),
  serverFrame(OPCODE.continuation, Buffer.from('ted'), true),
  serverFrame(OPCODE.text, Buffer.alloc(0)),
  serverFrame(OPCODE.binary, large),
  serverFrame(OPCODE.close, closeBody),
  serverFrame(OPCODE.text, Buffer.from('after close: ignored')),
]);
const EXPECTED: Event[] = [
  ['message', 1, '{"type":"welcome"}'],
  ['message', 2, '\x01\x02\x03'],
  ['ping', 'hb'],
  ['message', 1, medium.toString('latin1')],
  // The ping between the fragments arrives before the message they make up.
  ['ping', ''],
  ['message', 1, 'fragmented'],
  ['message', 1, ''],
  ['message', 2, large.toString('latin1')],
  ['close', 4008, 'slow consumer'],
];

describe('WsFrameParser', () => {
  it('reads a stream in one piece', () => {
    expect(parse(STREAM, [])).toEqual(EXPECTED);
  });

  it('reads the same stream split in two at every byte offset of its first 400 bytes and around the large frame', () => {
    const largeAt = STREAM.indexOf(large.subarray(0, 16));
    const offsets = [...Array.from({ length: 400 }, (_, i) => i + 1), ...Array.from({ length: 24 }, (_, i) => largeAt - 12 + i), STREAM.length - 20, STREAM.length - 1];
    for (const cut of offsets) expect(parse(STREAM, [cut]), `cut at ${cut}`).toEqual(EXPECTED);
  });

  it('reads the stream byte by byte (the large frame excepted)', () => {
    const small = STREAM.subarray(0, STREAM.indexOf(large.subarray(0, 16)) - 4);
    const cuts = Array.from({ length: small.length - 1 }, (_, i) => i + 1);
    expect(parse(small, cuts)).toEqual(EXPECTED.slice(0, 7));
  });

  it('gives 1005 for a close frame without a code', () => {
    expect(parse(serverFrame(OPCODE.close, Buffer.alloc(0)), [])).toEqual([['close', 1005, '']]);
  });

  it('refuses a masked server frame, RSV bits, an unknown opcode, a long control frame and a stray continuation', () => {
    const masked = Buffer.from([0x81, 0x80, 1, 2, 3, 4]);
    const rsv = Buffer.from([0xc1, 0x00]);
    const unknown = Buffer.from([0x83, 0x00]);
    const longPing = serverFrame(OPCODE.ping, Buffer.alloc(126));
    const stray = serverFrame(OPCODE.continuation, Buffer.from('x'));
    for (const bad of [masked, rsv, unknown, longPing, stray]) expect(() => parse(bad, [])).toThrow(WsProtocolError);
  });
});

describe('clientFrame', () => {
  it('masks the payload with a fresh key and the right length header', () => {
    for (const length of [0, 5, 125, 126, 65_535, 65_536]) {
      const payload = Buffer.alloc(length, 'p');
      const frame = clientFrame(OPCODE.text, payload);
      expect(frame[0]).toBe(0x81);
      expect(frame[1]! & 0x80).toBe(0x80);
      const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
      const declared = header === 2 ? frame[1]! & 0x7f : header === 4 ? frame.readUInt16BE(2) : frame.readUInt32BE(6);
      expect(declared).toBe(length);
      const mask = frame.subarray(header, header + 4);
      const unmasked = Buffer.from(frame.subarray(header + 4).map((b, i) => b ^ mask[i & 3]!));
      expect(unmasked.equals(payload)).toBe(true);
    }
    const a = clientFrame(OPCODE.text, Buffer.from('x')).subarray(2, 6);
    const b = clientFrame(OPCODE.text, Buffer.from('x')).subarray(2, 6);
    expect(a.equals(b)).toBe(false);
  });
});

describe('acceptFor', () => {
  it('gives RFC 6455 §1.3 example answer', () => {
    expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

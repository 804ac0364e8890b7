/**
 * Seeded random cases for the fuzzer, one generator per kind: connect queries, WebSocket frames and
 * POST bodies. Each case comes from its own seed (seeded-random.ts caseSeed), so a failure prints
 * the one seed that rebuilds it. Cases start from what the protocol accepts and bend it (wrong
 * types, lengths that disagree, cut-off or padded bytes), because that is where parsers break.
 */
import { closePayload, OPCODES, wsFrame } from '../../support/hostile.ts';
import type { SeededRandom } from '../../support/seeded-random.ts';
import { CORPUS_TOKEN, FOREIGN_ORIGIN } from './corpus.ts';

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-';
/** Printable ASCII a request target may carry as it is (no space, no %, no & or =, which shape the query). */
const TARGET_CHARS = "!\"$'()*+,-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

function name(rng: SeededRandom): string {
  return rng.weighted([
    [6, () => rng.string(NAME_CHARS, rng.int(1, 12))],
    [1, () => 'ticks'],
    [1, () => ''],
    [1, () => rng.string(NAME_CHARS, 65)],
    [1, () => rng.string(NAME_CHARS, 3) + rng.pick([' ', ',', ':', '/', '\u0000', 'é', '\uFFFD', '%'])],
    [0.3, () => rng.string(NAME_CHARS, rng.int(100, 10_000))],
  ])();
}

function seq(rng: SeededRandom): string {
  return rng.weighted([
    [4, () => String(rng.int(0, 50))],
    [1, () => '9007199254740991'],
    [1, () => '9007199254740992'],
    [1, () => rng.string('0123456789', rng.int(1, 25))],
    [1, () => rng.pick(['', '-1', '01', '1e3', '0x1', ' 1', '1.5', 'NaN'])],
  ])();
}

function cursor(rng: SeededRandom): string {
  const count = rng.weighted([
    [6, rng.int(1, 3)],
    [1, 0],
    [1, rng.int(60, 70)],
  ]);
  const pairs = Array.from({ length: count }, () => (rng.chance(0.9) ? `${name(rng)}:${seq(rng)}` : rng.string(NAME_CHARS + ':,', rng.int(0, 10))));
  return pairs.join(rng.chance(0.95) ? ',' : rng.pick([',,', ';', ' ']));
}

function randomText(rng: SeededRandom, max = 40): string {
  return rng.string(TARGET_CHARS, rng.length(max));
}

/** A query component: usually percent-encoded text, sometimes raw escapes of random bytes, sometimes raw punctuation. */
function encode(rng: SeededRandom, text: string): string {
  return rng.weighted([
    [8, () => encodeURIComponent(text)],
    [1, () => [...rng.bytes(rng.int(1, 12))].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') + encodeURIComponent(text)],
    [1, () => text.replace(/[^!-~]|[%&=#]/g, (c) => encodeURIComponent(c))],
  ])();
}

export interface ConnectCase {
  /** Put before the connect path: usually nothing, sometimes a path a URL parser may choke on. */
  prefix: string;
  query: string;
  headers: Record<string, string>;
}

export function connectCase(rng: SeededRandom): ConnectCase {
  const params: [string, string][] = [];
  for (let i = rng.int(0, 6); i > 0; i--) {
    params.push(
      rng.weighted<() => [string, string]>([
        [4, () => ['topic', rng.chance(0.5) ? 'ticks' : name(rng)]],
        [3, () => ['room', name(rng)]],
        [3, () => ['cursor', cursor(rng)]],
        [2, () => ['encoding', rng.pick(['json', 'binary', '', 'JSON', 'xml', randomText(rng)])]],
        [2, () => ['client', name(rng)]],
        [1, () => ['wait', rng.pick(['0', '10', '-1', 'abc', '', String(rng.int(0, 2_000_000_000))])]],
        [1, () => [`_${randomText(rng, 10)}`, randomText(rng)]],
        [1, () => [randomText(rng, 20), randomText(rng)]],
      ])(),
    );
  }
  const token = rng.weighted<string | undefined>([
    [7, CORPUS_TOKEN],
    [1, 'wrong'],
    [1, ''],
    [1, undefined],
    [0.3, 'k'.repeat(rng.int(600, 9000))],
  ]);
  if (token !== undefined) params.splice(rng.int(0, params.length), 0, ['token', token]);
  const query = params.map(([key, value]) => `${encode(rng, key)}=${encode(rng, value)}`).join('&');
  const headers: Record<string, string> = {};
  if (rng.chance(0.15)) headers['last-event-id'] = cursor(rng);
  if (rng.chance(0.1)) headers.authorization = rng.pick([`Bearer ${CORPUS_TOKEN}`, 'Bearer ', `Basic ${randomText(rng)}`, `Bearer ${randomText(rng, 300)}`]);
  if (rng.chance(0.1)) headers.origin = rng.pick([FOREIGN_ORIGIN, 'http://127.0.0.1:1', 'null', randomText(rng)]);
  // node:http will not write a header value outside printable ASCII at all: such a case would test nothing.
  for (const [key, value] of Object.entries(headers)) headers[key] = value.replace(/[^\x20-\x7e]/g, '?');
  const prefix = rng.chance(0.05) ? rng.pick(['//[', '//x:99999', '/..', '//', '/%00', `/${randomText(rng, 10)}`]) : '';
  return { prefix, query, headers };
}

/** A JSON client message, then bent: a field dropped or given another type, text cut or padded. */
export function jsonish(rng: SeededRandom): string {
  const message: Record<string, unknown> = { type: rng.weighted([
    [4, 'send'],
    [2, 'join'],
    [2, 'leave'],
    [1, randomText(rng, 8)],
  ]) };
  if (rng.chance(0.9)) message.room = name(rng);
  if (message.type === 'send' || rng.chance(0.2)) {
    message.mid = rng.weighted<unknown>([
      [5, rng.int(0, 1000)],
      [1, -1],
      [1, 4294967296],
      [1, 1.5],
      [1, '1'],
      [1, null],
    ]);
    if (rng.chance(0.7)) message.payload = randomText(rng, 100);
    else message.payloadBase64 = rng.chance(0.6) ? rng.bytes(rng.int(0, 30)).toString('base64') : randomText(rng, 20);
  }
  const randomValue = (): unknown => rng.pick<unknown>([null, true, 0, -0.5, 1e308, '', 'x'.repeat(rng.int(0, 2000)), [], {}, [1, [2, [3]]], { type: 'send' }]);
  for (let i = rng.int(0, 2); i > 0; i--) {
    const key = rng.pick(['type', 'room', 'mid', 'payload', 'payloadBase64', randomText(rng, 8), '__proto__', 'constructor']);
    if (rng.chance(0.3)) delete message[key];
    else message[key] = randomValue();
  }
  let text = JSON.stringify(message);
  if (rng.chance(0.2)) text = text.slice(0, rng.int(0, text.length));
  if (rng.chance(0.1)) text = text + rng.pick([' ', '}', ',', '\u0000', '{"type":"send"}']);
  if (rng.chance(0.05)) text = '['.repeat(rng.int(1, 5000)) + text;
  return text;
}

/** A binary client message (§5), then bent: a length that disagrees, a cut, trailing bytes, another type byte. */
export function binaryish(rng: SeededRandom): Buffer {
  const room = Buffer.from(name(rng).slice(0, 255), 'latin1');
  const type = rng.weighted([
    [4, 0x10],
    [2, 0x11],
    [2, 0x12],
    [1, rng.int(0, 255)],
  ]);
  let message: Buffer;
  if (type === 0x10) {
    const payload = rng.chance(0.8) ? rng.bytes(rng.length(200)) : Buffer.from([0xff, 0xfe, 0xc3]);
    const head = Buffer.alloc(11);
    head[0] = type;
    head[1] = rng.chance(0.7) ? rng.int(0, 1) : rng.int(0, 255);
    head[2] = rng.chance(0.9) ? room.length : rng.int(0, 255);
    head.writeUInt32BE(rng.int(0, 0xffffffff), 3);
    head.writeUInt32BE(rng.chance(0.9) ? payload.length : rng.pick([0, payload.length + 1, 0xffffffff, rng.int(0, 0xffffffff)]), 7);
    message = Buffer.concat([head, room, payload]);
  } else {
    message = Buffer.concat([Buffer.from([type, rng.int(0, 1), rng.chance(0.9) ? room.length : rng.int(0, 255)]), room]);
  }
  if (rng.chance(0.15)) message = message.subarray(0, rng.int(0, message.length));
  if (rng.chance(0.1)) message = Buffer.concat([message, rng.bytes(rng.int(1, 10))]);
  return message;
}

function payloadFor(rng: SeededRandom, opcode: number): Buffer {
  if (opcode === OPCODES.close && rng.chance(0.7)) return closePayload(rng.pick([1000, 1001, 999, 1005, 1006, 1015, 2999, 3000, 4999, 5000, rng.int(0, 65535)]), randomText(rng, 20));
  return rng.weighted([
    [3, () => Buffer.from(jsonish(rng))],
    [2, () => binaryish(rng)],
    [2, () => rng.bytes(rng.length(300))],
    [1, () => Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x7d])],
    [0.2, () => rng.bytes(rng.int(60_000, 70_000))],
  ])();
}

export interface FramesCase {
  /** What the frames follow: a welcome, a 4001 close (wrong token) or a 4400 close (bad query). */
  after: 'welcome' | 'unauthorized' | 'bad-query';
  frames: Buffer[];
}

export function framesCase(rng: SeededRandom): FramesCase {
  const after = rng.weighted<FramesCase['after']>([
    [6, 'welcome'],
    [2, 'unauthorized'],
    [2, 'bad-query'],
  ]);
  const frames = Array.from({ length: rng.int(1, 3) }, () => {
    if (rng.chance(0.05)) return rng.bytes(rng.int(1, 40));
    const opcode = rng.weighted([
      [4, OPCODES.text],
      [3, OPCODES.binary],
      [1, OPCODES.continuation],
      [1, OPCODES.close],
      [1, OPCODES.ping],
      [1, OPCODES.pong],
      [1, rng.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15])],
    ]);
    const payload = payloadFor(rng, opcode);
    return wsFrame({
      opcode,
      payload,
      fin: rng.chance(0.85),
      rsv: rng.chance(0.1) ? rng.int(1, 7) : 0,
      mask: rng.chance(0.9),
      declaredLength: rng.chance(0.15) ? rng.pick<number | bigint>([0, payload.length + 1, Math.max(0, payload.length - 1), 125, 126, 65535, 65536, 2 ** 31, 2n ** 63n]) : undefined,
      lengthForm: rng.chance(0.1) ? rng.pick([16, 64] as const) : undefined,
    });
  });
  return { after, frames };
}

export interface BodyCase {
  query: string;
  contentType: string | undefined;
  body: Buffer;
}

export function bodyCase(rng: SeededRandom): BodyCase {
  const contentType = rng.weighted<string | undefined>([
    [4, 'application/json'],
    [3, 'application/octet-stream'],
    [2, 'text/plain'],
    [1, 'application/json; charset=utf-8'],
    [1, 'APPLICATION/JSON'],
    [1, 'text/plain; charset=bogus'],
    [1, undefined],
    [1, randomText(rng, 30)],
  ]);
  const body = rng.weighted([
    [4, () => Buffer.from(jsonish(rng))],
    [3, () => binaryish(rng)],
    [2, () => rng.bytes(rng.length(500))],
    [1, () => Buffer.alloc(0)],
    [0.2, () => rng.bytes(rng.int(60_000, 70_000))],
  ])();
  const params: [string, string][] = [['token', rng.chance(0.9) ? CORPUS_TOKEN : randomText(rng)]];
  if (rng.chance(0.5)) params.push(['client', rng.chance(0.2) ? 'steady' : name(rng)]);
  if (rng.chance(0.1)) params.push([randomText(rng, 10), randomText(rng)]);
  return { query: params.map(([key, value]) => `${encode(rng, key)}=${encode(rng, value)}`).join('&'), contentType, body };
}

/** A case in a failure message: enough to see it, never all of a 70 KB payload. */
export function describeCase(value: unknown): string {
  const show = (v: unknown): unknown => (Buffer.isBuffer(v) ? `<${v.length} bytes: ${v.subarray(0, 48).toString('hex')}${v.length > 48 ? '…' : ''}>` : Array.isArray(v) ? v.map(show) : v);
  const text = JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? show(Buffer.from((v as { data: number[] }).data)) : typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}… (${v.length} chars)` : v));
  return text;
}

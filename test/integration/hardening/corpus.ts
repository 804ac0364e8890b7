/**
 * The bad-input corpus (issue 11): hostile inputs as data. Each probe says how it is sent and what
 * answer is acceptable; corpus-runner.ts replays them and, after each one, also checks what every
 * probe owes: the server still answers /health (its process is alive), nothing was answered 5xx or
 * counted INTERNAL, and a well-behaved subscriber kept receiving the feed.
 *
 * Placeholders in paths, queries, headers and bodies: `{token}` is the server's token (probes run
 * against a server started with one, so refusals by token can be probed too), `{control}` its
 * control token (for PUT /feed, POST /drop, /stats?reset=1), `{connect}` the transport's connect
 * path (/ws, /sse or /poll).
 */
import { CLOSE_CODES, type TransportName } from '../../../scenarios/constants.ts';
import { closePayload, OPCODES, wsFrame } from '../../support/hostile.ts';

export const CORPUS_TOKEN = 'corpus-secret-token';
/** A page on some other site: it must not steer the lab (CORS answers, control calls, WebSocket hijacking). */
export const FOREIGN_ORIGIN = 'http://evil.example';

/** `open`: started without a token (the default); `locked`: with CORPUS_TOKEN. */
export type ServerKind = 'open' | 'locked';

export type Send =
  /** Bytes on a fresh TCP connection, as they are. */
  | { via: 'tcp'; chunks: readonly (string | Buffer)[]; gapMs?: number; writeForMs?: number }
  /** One HTTP request through node:http. */
  | { via: 'http'; method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; abortAfterBytes?: number; stallAfterBytes?: number }
  /** The transport's connect request with this query: a WS upgrade, an SSE GET or a poll (with wait=0 unless the query sets wait). */
  | { via: 'connect'; query: string; headers?: Record<string, string> }
  /** Frames written on a raw WebSocket once the server has answered: its welcome, or its refusal (the close after 4001 / 4400). */
  | { via: 'ws-frames'; query: string; after: 'welcome' | 'refusal'; frames: readonly Buffer[] }
  /** Well-formed frames with bad content, after a welcome: each must get an `error` and the connection must stay open. */
  | { via: 'ws-messages'; messages: readonly { data: string | Buffer; binary: boolean }[] }
  /** Many connections or requests at once, for a bounded time. */
  | { via: 'flood'; flood: 'connects' | 'room-sends' | 'slow-bodies' | 'slow-headers'; count: number; forMs: number };

export type Expect =
  /** The connect (or request) is accepted: WS welcome, HTTP 200. */
  | { answer: 'accepted' }
  /** A refusal with a code: HTTP 4xx with a JSON body {code}, or on WS an `error` then close 4400, or close 4001-4003. */
  | { answer: 'refused'; codes?: readonly string[]; statuses?: readonly number[]; maxBodyBytes?: number }
  /** Raw HTTP: every response head carries one of these statuses (and at least one came). */
  | { answer: 'status'; statuses: readonly number[] }
  /** The server ends the WebSocket: a close frame with one of these codes, or the TCP connection ended. */
  | { answer: 'ws-closed'; closeCodes: readonly number[] }
  /** One `error` per bad message, each with one of these codes, and the connection still open. */
  | { answer: 'ws-errors'; codes: readonly string[] }
  /** Anything but a crash, a 5xx, an INTERNAL or a starved subscriber (the checks every probe gets). */
  | { answer: 'survives' };

export interface Probe {
  name: string;
  /** The transports it applies to; all when absent. */
  transports?: readonly TransportName[];
  /** The servers it runs against; the locked one when absent. */
  servers?: readonly ServerKind[];
  send: Send;
  expect: Expect;
  /** Slow bodies and floods: they run together, once per suite, for a bounded time. */
  slow?: boolean;
}

/** Error bodies quote client input cut short: a 10 KB bad name must not come back whole. */
export const ECHO_LIMIT_BYTES = 1024;
const TEN_KB = 10 * 1024;
const BOTH: readonly ServerKind[] = ['open', 'locked'];
const HTTP_TRANSPORTS: readonly TransportName[] = ['sse', 'long-poll'];
const GOOD = 'topic=ticks&token={token}';

const pairs = (count: number): string => Array.from({ length: count }, (_, i) => `r${i}:0`).join(',');
const rooms = (count: number): string => Array.from({ length: count }, (_, i) => `room=r${i}`).join('&');

// --- Connect queries ----------------------------------------------------------------------------

const BAD_CURSORS: readonly [string, string][] = [
  ['name without seq', 'a:'],
  ['seq without name', ':1'],
  ['a channel twice', 'a:0,a:0'],
  ['a channel twice with different seqs', 'a:1,a:2'],
  ['a seq of 20 digits', 'ticks:99999999999999999999'],
  ['a seq of 2^53', 'ticks:9007199254740992'],
  ['a seq ahead of the latest', 'ticks:9007199254740991'],
  ['65 pairs', pairs(65)],
  ['a leading zero', 'ticks:01'],
  ['a negative seq', 'ticks:-1'],
  ['a trailing comma', 'ticks:1,'],
  ['only a comma', ','],
  ['two colons', 'ticks:1:2'],
  ['no colon', 'ticks'],
  ['a NUL name', '%00:1'],
  ['an exponent', 'ticks:1e3'],
  ['a hex seq', 'ticks:0x10'],
  ['a space before the seq', 'ticks:%201'],
  ['a 10 KB name', 'a'.repeat(TEN_KB) + ':1'],
];

const BAD_NAMES: readonly [string, string, string][] = [
  ['an empty topic', 'topic=', 'INVALID_NAME'],
  ['a topic with a space', 'topic=a%20b', 'INVALID_NAME'],
  ['a topic of 65 characters', 'topic=' + 'a'.repeat(65), 'INVALID_NAME'],
  ['a NUL room', 'room=%00', 'INVALID_NAME'],
  ['a non-ASCII room', 'room=%C3%A9', 'INVALID_NAME'],
  ['a room with a comma', 'room=a%2Cb', 'INVALID_NAME'],
  ['a room with a colon', 'room=a%3Ab', 'INVALID_NAME'],
  ['a room of invalid UTF-8', 'room=%FF%FE', 'INVALID_NAME'],
  ['a client with a slash', 'topic=ticks&client=a%2Fb', 'INVALID_NAME'],
  ['an empty client', 'topic=ticks&client=', 'INVALID_NAME'],
  ['an unknown topic', 'topic=nosuch', 'UNKNOWN_TOPIC'],
  ['a topic used as a room', 'room=ticks', 'NOT_A_ROOM'],
  ['65 rooms', rooms(65), 'CHANNEL_LIMIT'],
];

const BAD_QUERIES: readonly [string, string][] = [
  ['encoding=xml', 'topic=ticks&encoding=xml'],
  ['an empty encoding', 'topic=ticks&encoding='],
  ['encoding in capitals', 'topic=ticks&encoding=JSON'],
  ['an unknown parameter', 'topic=ticks&bogus=1'],
  ['a malformed percent-escape as a parameter name', 'topic=ticks&%ZZ=1'],
];

const BOUNDED_ECHOES: readonly [string, string, string][] = [
  ['a 10 KB unknown parameter name', `topic=ticks&${'x'.repeat(TEN_KB)}=1`, 'BAD_QUERY'],
  ['a 10 KB topic name', `topic=${'t'.repeat(TEN_KB)}`, 'INVALID_NAME'],
  ['a 10 KB room name of %FF escapes', `room=${'%FF'.repeat(TEN_KB / 3)}`, 'INVALID_NAME'],
  ['a 10 KB encoding', `topic=ticks&encoding=${'e'.repeat(TEN_KB)}`, 'BAD_QUERY'],
  ['a 10 KB client id', `topic=ticks&client=${'c'.repeat(TEN_KB)}`, 'INVALID_NAME'],
];

const BAD_TOKENS: readonly [string, string, Record<string, string>?][] = [
  ['no token', 'topic=ticks'],
  ['an empty token', 'topic=ticks&token='],
  ['a 10 KB token', `topic=ticks&token=${'k'.repeat(TEN_KB)}`],
  ['a token with a space', 'topic=ticks&token=corpus%20secret'],
  ['the token and a NUL', 'topic=ticks&token={token}%00'],
  ['the token and one more character', 'topic=ticks&token={token}x'],
  ['a prefix of the token', 'topic=ticks&token=corpus'],
  ['a wrong token and a bad query', 'topic=ticks&token=wrong&bogus=1&cursor=a:'],
  ['an empty Bearer header', 'topic=ticks', { authorization: 'Bearer ' }],
  ['a Bearer header with a space inside', 'topic=ticks', { authorization: 'Bearer corpus secret' }],
  ['a Basic header', 'topic=ticks', { authorization: 'Basic Y29ycHVzOnNlY3JldA==' }],
  ['a lower-case bearer with the token', 'topic=ticks', { authorization: 'bearer {token}' }],
  ['a 10 KB Bearer header', 'topic=ticks', { authorization: 'Bearer ' + 'k'.repeat(TEN_KB) }],
];

const connectProbes: Probe[] = [
  ...BAD_CURSORS.map(([what, cursor]): Probe => ({
    name: `connect with a bad cursor: ${what}`,
    send: { via: 'connect', query: `${GOOD}&cursor=${cursor}` },
    expect: { answer: 'refused', codes: ['BAD_CURSOR'] },
  })),
  ...BAD_NAMES.map(([what, query, code]): Probe => ({
    name: `connect with ${what}`,
    send: { via: 'connect', query: `${query}&token={token}` },
    expect: { answer: 'refused', codes: [code] },
  })),
  ...BAD_QUERIES.map(([what, query]): Probe => ({
    name: `connect with ${what}`,
    send: { via: 'connect', query: `${query}&token={token}` },
    expect: { answer: 'refused', codes: ['BAD_QUERY'] },
  })),
  ...BOUNDED_ECHOES.map(([what, query, code]): Probe => ({
    name: `connect with ${what}: the error quotes it cut short`,
    send: { via: 'connect', query: `${query}&token={token}` },
    expect: { answer: 'refused', codes: [code], maxBodyBytes: ECHO_LIMIT_BYTES },
  })),
  ...BAD_TOKENS.map(([what, query, headers]): Probe => ({
    name: `connect with ${what}`,
    send: { via: 'connect', query, ...(headers === undefined ? {} : { headers }) },
    expect: { answer: 'refused', codes: ['UNAUTHORIZED'], statuses: [401] },
  })),
  {
    name: 'connect from a foreign Origin (cross-site WebSocket hijacking, a page reading the stream)',
    send: { via: 'connect', query: GOOD, headers: { origin: FOREIGN_ORIGIN } },
    expect: { answer: 'refused', statuses: [403] },
  },
  // Positive controls: the runner can tell an acceptance from a refusal.
  { name: 'connect with a cache buster (accepted)', send: { via: 'connect', query: `${GOOD}&_cb=${'1'.repeat(200)}` }, expect: { answer: 'accepted' } },
  { name: 'connect with an empty cursor (accepted)', send: { via: 'connect', query: `${GOOD}&cursor=` }, expect: { answer: 'accepted' } },
  { name: 'connect with the token as a Bearer header (accepted)', send: { via: 'connect', query: 'topic=ticks', headers: { authorization: 'Bearer {token}' } }, expect: { answer: 'accepted' } },
  { name: 'connect with wait= on a streaming transport', transports: ['ws', 'sse'], send: { via: 'connect', query: `${GOOD}&wait=10` }, expect: { answer: 'refused', codes: ['BAD_QUERY'] } },
  ...(
    [
      ['a negative wait', 'wait=-1'],
      ['a wait that is not a number', 'wait=abc'],
      ['a wait of 11 digits', 'wait=99999999999'],
      ['a wait with an exponent', 'wait=1e3'],
      ['an empty wait', 'wait='],
      ['client=', 'client=x'],
    ] as const
  ).map(([what, param]): Probe => ({
    name: `poll with ${what}`,
    transports: ['long-poll'],
    send: { via: 'connect', query: `${GOOD}&${param}` },
    expect: { answer: 'refused', codes: ['BAD_QUERY'] },
  })),
  { name: 'poll naming no channel', transports: ['long-poll'], send: { via: 'connect', query: 'token={token}' }, expect: { answer: 'refused', codes: ['BAD_QUERY'] } },
  {
    name: 'SSE with a 10 KB Last-Event-ID: the error quotes it cut short',
    transports: ['sse'],
    send: { via: 'connect', query: GOOD, headers: { 'last-event-id': 'a'.repeat(TEN_KB) } },
    expect: { answer: 'refused', codes: ['BAD_CURSOR'], maxBodyBytes: ECHO_LIMIT_BYTES },
  },
  {
    name: 'SSE with a Last-Event-ID naming a channel twice',
    transports: ['sse'],
    send: { via: 'connect', query: GOOD, headers: { 'last-event-id': 'a:1,a:2' } },
    expect: { answer: 'refused', codes: ['BAD_CURSOR'] },
  },
  {
    name: 'SSE with a 15 KB Last-Event-ID of 65+ pairs',
    transports: ['sse'],
    send: { via: 'connect', query: GOOD, headers: { 'last-event-id': pairs(1500).slice(0, 15 * 1024) } },
    expect: { answer: 'refused', codes: ['BAD_CURSOR'], maxBodyBytes: ECHO_LIMIT_BYTES },
  },
  {
    name: 'SSE with a Last-Event-ID over the header limit',
    transports: ['sse'],
    send: { via: 'http', method: 'GET', path: `/sse?${GOOD}`, headers: { 'last-event-id': 'a'.repeat(20 * 1024) } },
    // node:http answers 431; the reference server's clientError handler answers every parse error 400.
    expect: { answer: 'status', statuses: [400, 431] },
  },
];

// --- Bad client messages: WS frames after a welcome, and POST /messages bodies ----------------------

const SEND = (fields: string): string => `{"type":"send",${fields}}`;
const binarySend = (room: string, mid: number, payload: Buffer, flags = 0, declaredPayload = payload.length): Buffer => {
  const head = Buffer.alloc(11);
  head[0] = 0x10;
  head[1] = flags;
  head[2] = room.length;
  head.writeUInt32BE(mid >>> 0, 3);
  head.writeUInt32BE(declaredPayload >>> 0, 7);
  return Buffer.concat([head, Buffer.from(room), payload]);
};

const MESSAGE_CODES = ['BAD_JSON', 'BAD_BINARY', 'UNKNOWN_TYPE', 'BAD_FIELD', 'INVALID_NAME', 'NOT_A_ROOM'] as const;

const BAD_MESSAGES: readonly { what: string; data: string | Buffer; binary: boolean; codes: readonly string[] }[] = [
  { what: 'a cut-off JSON object', data: '{', binary: false, codes: ['BAD_JSON'] },
  { what: 'an empty text message', data: '', binary: false, codes: ['BAD_JSON'] },
  { what: 'JSON null', data: 'null', binary: false, codes: ['BAD_JSON'] },
  { what: 'a JSON array', data: '[]', binary: false, codes: ['BAD_JSON'] },
  { what: 'a JSON string', data: '"send"', binary: false, codes: ['BAD_JSON'] },
  { what: 'a JSON number', data: '1e999', binary: false, codes: ['BAD_JSON'] },
  { what: 'arrays nested 10,000 deep', data: '['.repeat(10_000) + ']'.repeat(10_000), binary: false, codes: ['BAD_JSON'] },
  { what: 'an unknown type', data: '{"type":"nope"}', binary: false, codes: ['UNKNOWN_TYPE'] },
  { what: 'a type that is not a string', data: '{"type":{"toString":1}}', binary: false, codes: ['UNKNOWN_TYPE', 'BAD_JSON'] },
  { what: 'a __proto__ type', data: '{"__proto__":{"type":"send"},"room":"r1","mid":1,"payload":"x"}', binary: false, codes: ['UNKNOWN_TYPE'] },
  { what: 'a send without fields', data: SEND('"x":1'), binary: false, codes: ['INVALID_NAME', 'BAD_FIELD'] },
  { what: 'a negative mid', data: SEND('"room":"r1","mid":-1,"payload":"x"'), binary: false, codes: ['BAD_FIELD'] },
  { what: 'a fractional mid', data: SEND('"room":"r1","mid":1.5,"payload":"x"'), binary: false, codes: ['BAD_FIELD'] },
  { what: 'a mid of 2^32', data: SEND('"room":"r1","mid":4294967296,"payload":"x"'), binary: false, codes: ['BAD_FIELD'] },
  { what: 'a mid as a string', data: SEND('"room":"r1","mid":"1","payload":"x"'), binary: false, codes: ['BAD_FIELD'] },
  { what: 'unpadded payloadBase64', data: SEND('"room":"r1","mid":1,"payloadBase64":"abc"'), binary: false, codes: ['BAD_FIELD'] },
  { what: 'a payload that is an object', data: SEND('"room":"r1","mid":1,"payload":{"a":1}'), binary: false, codes: ['BAD_FIELD'] },
  { what: 'a join of a room with a space', data: '{"type":"join","room":"bad room"}', binary: false, codes: ['INVALID_NAME'] },
  { what: 'a join without a room', data: '{"type":"join"}', binary: false, codes: ['INVALID_NAME'] },
  { what: 'a join of a feed topic', data: '{"type":"join","room":"ticks"}', binary: false, codes: ['NOT_A_ROOM'] },
  { what: 'a send to a 10 KB room name', data: SEND(`"room":"${'r'.repeat(TEN_KB)}","mid":1,"payload":"x"`), binary: false, codes: ['INVALID_NAME'] },
  { what: 'an empty binary message', data: Buffer.alloc(0), binary: true, codes: ['BAD_BINARY'] },
  { what: 'a 1-byte binary message', data: Buffer.from([0x10]), binary: true, codes: ['BAD_BINARY'] },
  { what: 'a binary send cut inside its header', data: Buffer.from([0x10, 0, 5, 0, 0, 0, 1, 0, 0]), binary: true, codes: ['BAD_BINARY'] },
  { what: 'a binary send announcing 4 GiB of payload', data: binarySend('r1', 1, Buffer.from('hi'), 0, 0xffffffff), binary: true, codes: ['BAD_BINARY'] },
  { what: 'a binary send with trailing bytes', data: Buffer.concat([binarySend('r1', 1, Buffer.from('hi')), Buffer.from([0])]), binary: true, codes: ['BAD_BINARY'] },
  { what: 'a binary send to an empty room name', data: binarySend('', 1, Buffer.from('hi')), binary: true, codes: ['INVALID_NAME'] },
  { what: 'a binary send of invalid UTF-8 text', data: binarySend('r1', 1, Buffer.from([0xff, 0xfe, 0xc3])), binary: true, codes: ['BAD_BINARY'] },
  { what: 'an unknown binary type', data: Buffer.from([0x99, 0, 0]), binary: true, codes: ['UNKNOWN_TYPE'] },
  { what: 'a binary join longer than its room', data: Buffer.from([0x11, 0, 200, 0x61]), binary: true, codes: ['BAD_BINARY'] },
  { what: 'a binary join of a feed topic', data: Buffer.concat([Buffer.from([0x11, 0, 5]), Buffer.from('ticks')]), binary: true, codes: ['NOT_A_ROOM'] },
];

const messageProbes: Probe[] = [
  ...BAD_MESSAGES.map(
    ({ what, data, binary, codes }): Probe => ({
      name: `WS message: ${what}`,
      transports: ['ws'],
      send: { via: 'ws-messages', messages: [{ data, binary }] },
      expect: { answer: 'ws-errors', codes },
    }),
  ),
  {
    name: 'WS messages: every bad message of the corpus in one burst, answered in order, connection kept',
    transports: ['ws'],
    send: { via: 'ws-messages', messages: BAD_MESSAGES.map(({ data, binary }) => ({ data, binary })) },
    expect: { answer: 'ws-errors', codes: MESSAGE_CODES },
  },
  ...BAD_MESSAGES.map(
    ({ what, data, binary, codes }): Probe => ({
      name: `POST /messages: ${what}`,
      transports: HTTP_TRANSPORTS,
      send: { via: 'http', method: 'POST', path: '/messages?token={token}', headers: { 'content-type': binary ? 'application/octet-stream' : 'application/json' }, body: data },
      // Long-poll refuses join/leave before it looks inside them; SSE, a join/leave naming no stream of its own.
      expect: { answer: 'refused', codes: [...codes, 'NOT_SUPPORTED', 'UNKNOWN_CLIENT'], maxBodyBytes: ECHO_LIMIT_BYTES },
    }),
  ),
];

// --- WebSocket frames no library writes ---------------------------------------------------------

const over64KiB = wsFrame({ opcode: OPCODES.text, declaredLength: 70_000, payload: Buffer.alloc(1024, 0x61) });
const unmasked = wsFrame({ opcode: OPCODES.text, payload: '{"type":"leave","room":"r1"}', mask: false });
const reservedOpcode = wsFrame({ opcode: 0x3, payload: 'x' });
const badCloseCode = wsFrame({ opcode: OPCODES.close, payload: closePayload(999) });
const fragmentedPing = wsFrame({ opcode: OPCODES.ping, payload: 'x', fin: false });
const invalidUtf8Text = wsFrame({ opcode: OPCODES.text, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });

const PROTOCOL_VIOLATIONS: readonly [string, readonly Buffer[], readonly number[]][] = [
  ['a frame header announcing 70,000 bytes (over --max-message-bytes)', [over64KiB], [1009]],
  ['an unmasked client frame', [unmasked], [1002]],
  ['a reserved opcode (0x3)', [reservedOpcode], [1002]],
  ['a reserved control opcode (0xB)', [wsFrame({ opcode: 0xb })], [1002]],
  ['a close frame with code 999', [badCloseCode], [1002]],
  ['a close frame with the reserved code 1005', [wsFrame({ opcode: OPCODES.close, payload: closePayload(1005) })], [1002]],
  ['a close frame with a 1-byte payload', [wsFrame({ opcode: OPCODES.close, payload: Buffer.from([3]) })], [1002]],
  ['a close frame with an invalid UTF-8 reason', [wsFrame({ opcode: OPCODES.close, payload: Buffer.concat([closePayload(1000), Buffer.from([0xff])]) })], [1007]],
  ['a fragmented control frame (ping without FIN)', [fragmentedPing], [1002]],
  ['a ping with 126 bytes of payload', [wsFrame({ opcode: OPCODES.ping, payload: Buffer.alloc(126) })], [1002]],
  ['RSV1 set without an extension', [wsFrame({ opcode: OPCODES.text, payload: '{}', rsv: 4 })], [1002]],
  ['a continuation with nothing to continue', [wsFrame({ opcode: OPCODES.continuation, payload: 'x' })], [1002]],
  ['a new message inside a fragmented one', [wsFrame({ opcode: OPCODES.text, payload: '{', fin: false }), wsFrame({ opcode: OPCODES.binary, payload: 'x' })], [1002]],
  ['a 64-bit length with its top bit set', [wsFrame({ opcode: OPCODES.binary, declaredLength: 2n ** 63n + 5n })], [1002, 1009]],
  ['a length of 2^53 in 64-bit form', [wsFrame({ opcode: OPCODES.binary, declaredLength: 2n ** 53n })], [1002, 1009]],
  ['a text frame of invalid UTF-8', [invalidUtf8Text], [1007]],
  ['a whole message of 70,000 bytes', [wsFrame({ opcode: OPCODES.text, payload: Buffer.alloc(70_000, 0x20) })], [1009]],
  ['a message over the limit in two fragments', [wsFrame({ opcode: OPCODES.text, payload: Buffer.alloc(40_000, 0x20), fin: false }), wsFrame({ opcode: OPCODES.continuation, payload: Buffer.alloc(40_000, 0x20) })], [1009]],
];

const AFTER_REFUSAL: readonly [string, readonly Buffer[]][] = [
  ['a frame header announcing 70,000 bytes', [over64KiB]],
  ['an unmasked frame', [unmasked]],
  ['a reserved opcode (0x3)', [reservedOpcode]],
  ['a close frame with code 999', [badCloseCode]],
  ['a fragmented control frame', [fragmentedPing]],
  ['a text frame of invalid UTF-8', [invalidUtf8Text]],
  ['a well-formed message, then garbage', [wsFrame({ opcode: OPCODES.text, payload: '{"type":"join","room":"r1"}' }), Buffer.from('garbage\r\n\r\n')]],
];

const REFUSALS: readonly [string, string, ServerKind][] = [
  ['4001 (wrong token)', 'topic=ticks&token=wrong', 'locked'],
  ['4400 (bad query)', 'topic=ticks&bogus=1&token={token}', 'locked'],
  ['4400 on a server without a token', 'topic=nosuch', 'open'],
];

const frameProbes: Probe[] = [
  ...PROTOCOL_VIOLATIONS.map(
    ([what, frames, closeCodes]): Probe => ({
      name: `WS after a welcome: ${what}`,
      transports: ['ws'],
      send: { via: 'ws-frames', query: GOOD, after: 'welcome', frames },
      expect: { answer: 'ws-closed', closeCodes },
    }),
  ),
  ...REFUSALS.flatMap(([refusal, query, server]) =>
    AFTER_REFUSAL.map(
      ([what, frames]): Probe => ({
        name: `WS after a ${refusal} close: ${what}`,
        transports: ['ws'],
        servers: [server],
        send: { via: 'ws-frames', query, after: 'refusal', frames },
        expect: { answer: 'survives' },
      }),
    ),
  ),
  {
    name: 'WS: a close frame, then a data frame',
    transports: ['ws'],
    send: { via: 'ws-frames', query: GOOD, after: 'welcome', frames: [wsFrame({ opcode: OPCODES.close, payload: closePayload(1000) }), wsFrame({ opcode: OPCODES.text, payload: '{"type":"join","room":"r1"}' })] },
    expect: { answer: 'ws-closed', closeCodes: [1000] },
  },
];

// --- Raw HTTP: request lines, URLs and headers ----------------------------------------------------

const UPGRADE_HEADERS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
const raw = (requestLine: string, headers = 'Host: x\r\n'): string => `${requestLine}\r\n${headers}\r\n`;

const rawProbes: Probe[] = [
  { name: 'raw: GET //[ (curl --path-as-is)', send: { via: 'tcp', chunks: [raw('GET //[ HTTP/1.1')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: GET //[ with Upgrade headers', send: { via: 'tcp', chunks: [raw('GET //[ HTTP/1.1', `Host: x\r\n${UPGRADE_HEADERS}`)] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: GET //[/ws with Upgrade headers', send: { via: 'tcp', chunks: [raw('GET //[/ws?topic=ticks HTTP/1.1', `Host: x\r\n${UPGRADE_HEADERS}`)] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: an absolute-form URL with a broken host', send: { via: 'tcp', chunks: [raw('GET http://[/health HTTP/1.1')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: a URL with port 99999', send: { via: 'tcp', chunks: [raw('GET //x:99999/health HTTP/1.1')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: a URL with port 99999 and Upgrade headers', send: { via: 'tcp', chunks: [raw('GET //x:99999/ws HTTP/1.1', `Host: x\r\n${UPGRADE_HEADERS}`)] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: HTTP/1.0 without Host (answered)', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.0', '')] }, expect: { answer: 'status', statuses: [200] } },
  { name: 'raw: HTTP/1.1 without Host', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1', '')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: an unknown HTTP version', send: { via: 'tcp', chunks: [raw('GET /health HTTP/9.9')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: headers over the parser limit (20 KB)', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1', `Host: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n`)] }, expect: { answer: 'status', statuses: [400, 431] } },
  { name: 'raw: 2,000 small headers', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1', 'Host: x\r\n' + Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join(''))] }, expect: { answer: 'status', statuses: [200, 431] } },
  { name: 'raw: a request, then pipelined garbage', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1') + '\x00\x01\x02GARBAGE / HTTP/1.1\r\n\r\n'] }, expect: { answer: 'status', statuses: [200, 400] } },
  { name: 'raw: three pipelined requests', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1').repeat(3)] }, expect: { answer: 'status', statuses: [200] } },
  { name: 'raw: random bytes', send: { via: 'tcp', chunks: [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a])] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: a NUL in a header value', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1', 'Host: x\r\nX-A: a\x00b\r\n')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: Content-Length and Transfer-Encoding both', send: { via: 'tcp', chunks: [raw('POST /messages HTTP/1.1', 'Host: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n'] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: a bad chunk size', send: { via: 'tcp', chunks: [raw('POST /messages?token={token} HTTP/1.1', 'Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n') + 'zz\r\n{}\r\n0\r\n\r\n'] }, expect: { answer: 'status', statuses: [400, 404] } },
  { name: 'raw: a negative Content-Length', send: { via: 'tcp', chunks: [raw('POST /messages HTTP/1.1', 'Host: x\r\nContent-Length: -1\r\n')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: an upgrade with a bad Sec-WebSocket-Key', transports: ['ws'], send: { via: 'tcp', chunks: [raw('GET /ws?topic=ticks&token={token} HTTP/1.1', 'Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n')] }, expect: { answer: 'status', statuses: [400] } },
  { name: 'raw: an upgrade with Sec-WebSocket-Version 99', transports: ['ws'], send: { via: 'tcp', chunks: [raw('GET /ws?topic=ticks&token={token} HTTP/1.1', 'Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n')] }, expect: { answer: 'status', statuses: [400, 426] } },
  { name: 'raw: an upgrade on a path that is not /ws', send: { via: 'tcp', chunks: [raw('GET /health HTTP/1.1', `Host: x\r\n${UPGRADE_HEADERS}`)] }, expect: { answer: 'status', statuses: [404] } },
  { name: 'raw: an upgrade to something that is not WebSocket', send: { via: 'tcp', chunks: [raw('GET {connect}?topic=ticks&token={token} HTTP/1.1', 'Host: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n')] }, expect: { answer: 'status', statuses: [400, 404] } },
];

// --- HTTP endpoints: control calls, bodies, uploads ---------------------------------------------------

const json = { 'content-type': 'application/json' };

const httpProbes: Probe[] = [
  // PUT /feed: bodies the JSON parser refuses are the client's mistake, never INTERNAL.
  { name: 'PUT /feed with charset=bogus', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: { 'content-type': 'application/json; charset=bogus' }, body: '{}' }, expect: { answer: 'refused' } },
  { name: 'PUT /feed with content-encoding: bogus', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: { ...json, 'content-encoding': 'bogus' }, body: '{}' }, expect: { answer: 'refused' } },
  { name: 'PUT /feed with invalid gzip', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: { ...json, 'content-encoding': 'gzip' }, body: 'this is not gzip' }, expect: { answer: 'refused' } },
  { name: 'PUT /feed with a body that is not JSON', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: json, body: '{"rate":' }, expect: { answer: 'refused', codes: ['BAD_JSON'] } },
  { name: 'PUT /feed with a JSON array', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: json, body: '[]' }, expect: { answer: 'refused', codes: ['BAD_JSON'] } },
  { name: 'PUT /feed with a negative rate', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: json, body: '{"rate":-1}' }, expect: { answer: 'refused', codes: ['BAD_FIELD'] } },
  { name: 'PUT /feed with a rate as a string', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: json, body: '{"rate":"1"}' }, expect: { answer: 'refused', codes: ['BAD_FIELD'] } },
  { name: 'PUT /feed with a 2 KB body', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: json, body: `{"pad":"${'p'.repeat(2048)}"}` }, expect: { answer: 'refused', codes: ['MESSAGE_TOO_LARGE'] } },
  { name: 'PUT /feed as text/plain', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: { 'content-type': 'text/plain' }, body: '{"rate":0}' }, expect: { answer: 'refused', codes: ['BAD_JSON'] } },
  // Control calls without the control token, or from a web page: refused on every server, the default one included.
  // (Their bodies change nothing, so a server that wrongly obeys them does not stop the feed the subscriber watches.)
  { name: 'PUT /feed without a token', servers: BOTH, send: { via: 'http', method: 'PUT', path: '/feed', headers: json, body: '{}' }, expect: { answer: 'refused', statuses: [401] } },
  { name: 'PUT /feed without a token, charset=bogus (auth before the body)', servers: BOTH, send: { via: 'http', method: 'PUT', path: '/feed', headers: { 'content-type': 'application/json; charset=bogus' }, body: '{}' }, expect: { answer: 'refused', statuses: [401] } },
  { name: 'PUT /feed without a token, a body that is not JSON (auth before the body)', servers: BOTH, send: { via: 'http', method: 'PUT', path: '/feed', headers: json, body: 'nope' }, expect: { answer: 'refused', statuses: [401] } },
  { name: 'PUT /feed from a foreign Origin, with the token', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: { ...json, origin: FOREIGN_ORIGIN }, body: '{}' }, expect: { answer: 'refused', statuses: [403] } },
  { name: 'POST /drop as text/plain from a foreign Origin (no preflight needed)', servers: BOTH, send: { via: 'http', method: 'POST', path: '/drop', headers: { 'content-type': 'text/plain', origin: FOREIGN_ORIGIN }, body: 'x' }, expect: { answer: 'refused', statuses: [401, 403] } },
  { name: 'POST /drop from a foreign Origin, with the token', send: { via: 'http', method: 'POST', path: '/drop?token={control}', headers: { 'content-type': 'text/plain', origin: FOREIGN_ORIGIN }, body: 'x' }, expect: { answer: 'refused', statuses: [403] } },
  { name: 'POST /drop without a token', servers: BOTH, send: { via: 'http', method: 'POST', path: '/drop' }, expect: { answer: 'refused', statuses: [401] } },
  { name: 'GET /stats?reset=1 without a token', servers: BOTH, send: { via: 'http', method: 'GET', path: '/stats?reset=1' }, expect: { answer: 'refused', statuses: [401] } },
  { name: 'GET /stats?reset=1 from a foreign Origin, with the token', send: { via: 'http', method: 'GET', path: '/stats?reset=1&token={control}', headers: { origin: FOREIGN_ORIGIN } }, expect: { answer: 'refused', statuses: [403] } },
  { name: 'a CORS preflight from a foreign Origin', servers: BOTH, send: { via: 'http', method: 'OPTIONS', path: '/messages', headers: { origin: FOREIGN_ORIGIN, 'access-control-request-method': 'POST' } }, expect: { answer: 'status', statuses: [403] } },
  { name: 'GET /health with a wrong token (answered: it never needs one)', send: { via: 'http', method: 'GET', path: '/health?token=wrong' }, expect: { answer: 'accepted' } },
  // POST /messages.
  { name: 'POST /messages from a foreign Origin', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: '/messages?token={token}', headers: { 'content-type': 'text/plain', origin: FOREIGN_ORIGIN }, body: SEND('"room":"r1","mid":1,"payload":"x"') }, expect: { answer: 'refused', statuses: [403] } },
  { name: 'POST /messages without a content type', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: '/messages?token={token}', body: '{}' }, expect: { answer: 'refused', codes: ['UNSUPPORTED_MEDIA_TYPE'] } },
  { name: 'POST /messages as application/x-evil', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: '/messages?token={token}', headers: { 'content-type': 'application/x-evil' }, body: '{}' }, expect: { answer: 'refused', codes: ['UNSUPPORTED_MEDIA_TYPE'] } },
  { name: 'POST /messages announcing a terabyte', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: '/messages?token={token}', headers: { ...json, 'content-length': '1000000000000' }, stallAfterBytes: 10, body: '{"type":"send"' }, expect: { answer: 'refused', codes: ['MESSAGE_TOO_LARGE'] } },
  { name: 'POST /messages with a chunked body over the limit', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: '/messages?token={token}', headers: { ...json, 'transfer-encoding': 'chunked' }, body: Buffer.alloc(70_000, 0x20) }, expect: { answer: 'refused', codes: ['MESSAGE_TOO_LARGE'] } },
  { name: 'POST /messages with a 10 KB unknown parameter name: the error quotes it cut short', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: `/messages?token={token}&${'x'.repeat(TEN_KB)}=1`, headers: json, body: '{}' }, expect: { answer: 'refused', codes: ['BAD_QUERY'], maxBodyBytes: ECHO_LIMIT_BYTES } },
  { name: 'POST /messages with a 10 KB client id: the error quotes it cut short', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: `/messages?token={token}&client=${'c'.repeat(TEN_KB)}`, headers: json, body: '{}' }, expect: { answer: 'refused', codes: ['INVALID_NAME'], maxBodyBytes: ECHO_LIMIT_BYTES } },
  { name: 'POST /messages with a wrong token', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'POST', path: '/messages?token=wrong', headers: json, body: SEND('"room":"r1","mid":1,"payload":"x"') }, expect: { answer: 'refused', codes: ['UNAUTHORIZED'], statuses: [401] } },
  { name: 'GET /messages', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'GET', path: '/messages?token={token}' }, expect: { answer: 'refused', codes: ['METHOD_NOT_ALLOWED'] } },
  { name: 'DELETE on the connect path', transports: HTTP_TRANSPORTS, send: { via: 'http', method: 'DELETE', path: '{connect}?topic=ticks&token={token}' }, expect: { answer: 'refused', codes: ['METHOD_NOT_ALLOWED'] } },
  // SSE client ids cannot be taken over: nobody but the stream's owner joins it to rooms or sends under its name.
  { name: "SSE: join someone else's stream to a room", transports: ['sse'], send: { via: 'http', method: 'POST', path: '/messages?token={token}&client=steady', headers: json, body: '{"type":"join","room":"hijacked"}' }, expect: { answer: 'refused' } },
  { name: "SSE: send under someone else's client id", transports: ['sse'], send: { via: 'http', method: 'POST', path: '/messages?token={token}&client=steady', headers: json, body: SEND('"room":"hijacked","mid":1,"payload":"x"') }, expect: { answer: 'refused' } },
  // Uploads cut short: the client's doing, so at most ABORTED, never INTERNAL (checked after every probe).
  { name: 'POST /messages aborted mid-body', send: { via: 'http', method: 'POST', path: '/messages?token={token}', headers: { ...json, 'content-length': '1000' }, body: '{"type":"send","room":"r1"', abortAfterBytes: 10 }, expect: { answer: 'survives' } },
  { name: 'PUT /feed aborted mid-body', send: { via: 'http', method: 'PUT', path: '/feed?token={control}', headers: { ...json, 'content-length': '500' }, body: '{"rate":100', abortAfterBytes: 8 }, expect: { answer: 'survives' } },
  { name: 'PUT /feed aborted mid-body without a token', servers: BOTH, send: { via: 'http', method: 'PUT', path: '/feed', headers: { ...json, 'content-length': '500' }, body: '{"rate":100', abortAfterBytes: 8 }, expect: { answer: 'survives' } },
  // Paths.
  { name: 'a path with dot segments', send: { via: 'http', method: 'GET', path: '/../../etc/passwd' }, expect: { answer: 'refused', codes: ['NOT_FOUND'] } },
  { name: 'a 10 KB path: the error quotes it cut short', send: { via: 'http', method: 'GET', path: '/' + 'p'.repeat(TEN_KB) }, expect: { answer: 'refused', codes: ['NOT_FOUND'], maxBodyBytes: ECHO_LIMIT_BYTES } },
  { name: 'an unknown method', send: { via: 'http', method: 'PROPFIND', path: '/health' }, expect: { answer: 'refused' } },
];

// --- Slow bodies and floods (run together, each bounded to 1.5 s) ----------------------------------------------

const floodProbes: Probe[] = [
  { name: 'flood: 300 connects, 20 at a time', slow: true, send: { via: 'flood', flood: 'connects', count: 300, forMs: 1500 }, expect: { answer: 'survives' } },
  { name: 'flood: 2,000 sends to distinct rooms', slow: true, send: { via: 'flood', flood: 'room-sends', count: 2000, forMs: 1500 }, expect: { answer: 'survives' } },
  { name: 'slow bodies: 30 uploads of a byte every 100 ms', slow: true, send: { via: 'flood', flood: 'slow-bodies', count: 30, forMs: 1500 }, expect: { answer: 'survives' } },
  { name: 'slowloris: 30 request heads of a byte every 100 ms', slow: true, send: { via: 'flood', flood: 'slow-headers', count: 30, forMs: 1500 }, expect: { answer: 'survives' } },
];

export const CORPUS: readonly Probe[] = [...rawProbes, ...connectProbes, ...messageProbes, ...frameProbes, ...httpProbes, ...floodProbes];

export function appliesTo(probe: Probe, transport: TransportName): boolean {
  return probe.transports === undefined || probe.transports.includes(transport);
}

export function serversOf(probe: Probe): readonly ServerKind[] {
  return probe.servers ?? ['locked'];
}

/** WebSocket close codes that refuse a connect (docs/PROTOCOL.md §8), and 1008, which a rate limit closes with. */
export const REFUSAL_CLOSE_CODES: readonly number[] = [CLOSE_CODES.unauthorized, CLOSE_CODES.tokenExpired, CLOSE_CODES.forbidden, CLOSE_CODES.badRequest, 1008];

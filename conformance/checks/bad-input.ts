/** Bad input of every kind, each answered with its wire error code, while the server keeps serving. */
import assert from 'node:assert/strict';
import { encodeClientBinary } from '../../scenarios/codec-binary.ts';
import type { WireErrorCode } from '../../scenarios/errors.ts';
import { assertNone } from '../assertions.ts';
import type { Check } from '../check.ts';

export const badInput: Check = {
  id: 'bad-input',
  section: '§8',
  title: 'answers every bad input with its error code and keeps serving the others',
  required: true,
  async run(ctx) {
    const { topic, limits } = ctx.target;
    const room = ctx.name('lobby');
    const healthy = await ctx.connected({ rooms: [room] });
    const before = await ctx.stats();
    const latest = await ctx.latestSeq(topic, 'topic');
    const unknownTopic = ctx.name('nosuchtopic');
    const send = (fields: object): string => JSON.stringify({ type: 'send', room, mid: 1, payload: 'x', ...fields });
    const { sendRaw, connectRaw } = ctx.probe;
    const connect = (query: string): Promise<string> => connectRaw(ctx.withToken(query));
    const cases: [what: string, answer: () => Promise<string>, expected: WireErrorCode][] = [
      ['truncated JSON', () => sendRaw('{"type": "send", ', false), 'BAD_JSON'],
      ['a JSON array', () => sendRaw('[1,2]', false), 'BAD_JSON'],
      ['an unknown JSON type', () => sendRaw(JSON.stringify({ type: 'shout', room }), false), 'UNKNOWN_TYPE'],
      ['a room name with a space and a slash', () => sendRaw(send({ room: 'no spaces/allowed' }), false), 'INVALID_NAME'],
      ['mid -1', () => sendRaw(send({ mid: -1 }), false), 'BAD_FIELD'],
      ['a send to the feed topic', () => sendRaw(send({ room: topic }), false), 'NOT_A_ROOM'],
      ['a binary send shorter than its header', () => sendRaw(Buffer.from([0x10, 0, 5, 0, 0]), true), 'BAD_BINARY'],
      ['binary type byte 0x7f', () => sendRaw(Buffer.from([0x7f, 0, 1, 65]), true), 'UNKNOWN_TYPE'],
      ['a binary send to "bad room"', () => sendRaw(encodeClientBinary({ type: 'send', room: 'bad room', mid: 1, payload: 'x' }), true), 'INVALID_NAME'],
      [`a message over ${limits.maxMessageBytes} bytes`, () => sendRaw(send({ payload: 'y'.repeat(limits.maxMessageBytes + 1) }), false), 'MESSAGE_TOO_LARGE'],
      ['cursor seq "abc"', () => connect(`topic=${topic}&cursor=${topic}:abc`), 'BAD_CURSOR'],
      ['a cursor ahead of the latest seq', () => connect(`topic=${topic}&cursor=${topic}:${latest + 1_000_000}`), 'BAD_CURSOR'],
      ['a topic the server does not publish', () => connect(`topic=${unknownTopic}&cursor=${unknownTopic}:0`), 'UNKNOWN_TOPIC'],
      ['encoding=xml', () => connect(`topic=${topic}&encoding=xml`), 'BAD_QUERY'],
      ['an unknown query parameter (topics=)', () => connect(`topics=${topic}`), 'BAD_QUERY'],
    ];
    const wrong: string[] = [];
    for (const [what, answer, expected] of cases) {
      const got = await answer().catch((err: Error) => `an exception (${err.message})`);
      if (got !== expected) wrong.push(`${what}: expected ${expected}, got ${got}`);
    }
    assertNone(wrong, 'every bad input is answered with its code; these were not');
    await (await ctx.sender()).send({ type: 'send', room, mid: 2, payload: 'still here' });
    await ctx.wait(() => healthy.messages.length >= 1, 'the healthy subscriber to keep receiving');
    assert.equal(healthy.messages[0]!.payload, 'still here');
    const errors = (await ctx.stats()).errors;
    const uncounted = [...new Set(cases.map(([, , code]) => code))].filter((code) => (errors[code] ?? 0) <= (before.errors[code] ?? 0));
    assertNone(uncounted, 'every code answered is counted in /stats errors; these were not');
  },
};

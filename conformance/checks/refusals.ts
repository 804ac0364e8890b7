/** A refused connect changes nothing but counters (§2.2), whichever check refuses it. */
import assert from 'node:assert/strict';
import { WIRE_LIMITS } from '../../scenarios/constants.ts';
import { assertNone } from '../assertions.ts';
import type { Check } from '../check.ts';

export const refusedConnects: Check = {
  id: 'refused-connect',
  section: '§2.2',
  title: 'a refused connect creates no room, whichever check refuses it',
  required: true,
  async run(ctx) {
    const { topic, token } = ctx.target;
    const { connectRaw } = ctx.probe;
    const fresh = (): string => ctx.name('unborn');
    const tooMany = Array.from({ length: WIRE_LIMITS.maxChannelsPerConnection + 1 }, () => `room=${fresh()}`).join('&');
    const cases: [what: string, query: string, expected: string][] = [
      ['a cursor ahead of a new room', ctx.withToken(`room=${fresh()}&cursor=${fresh()}:5`), 'BAD_CURSOR'],
      ['a new room beside an unknown topic', ctx.withToken(`room=${fresh()}&topic=${ctx.name('nosuchtopic')}`), 'UNKNOWN_TOPIC'],
      ['a new room beside a room named like the feed topic', ctx.withToken(`room=${fresh()}&room=${topic}`), 'NOT_A_ROOM'],
      [`${WIRE_LIMITS.maxChannelsPerConnection + 1} new rooms`, ctx.withToken(tooMany), 'CHANNEL_LIMIT'],
    ];
    if (token !== null) cases.push(['a new room with a wrong token', `room=${fresh()}&token=not-${encodeURIComponent(token)}`, 'UNAUTHORIZED']);
    const roomsBefore = (await ctx.stats()).rooms;
    const wrong: string[] = [];
    for (const [what, query, expected] of cases) {
      const got = await connectRaw(query).catch((err: Error) => `an exception (${err.message})`);
      if (got !== expected) wrong.push(`${what}: expected ${expected}, got ${got}`);
    }
    assertNone(wrong, 'each refusal has its code; these did not');
    assert.equal((await ctx.stats()).rooms - roomsBefore, 0, '/stats rooms: no refused connect created a room');
  },
};

/** SSE client ids cannot be taken over (§6.4): POST /messages acts for a client id only with the key of one of its open streams. */
import assert from 'node:assert/strict';
import { PATHS } from '../../scenarios/constants.ts';
import type { Check } from '../check.ts';

export const streamKey: Check = {
  id: 'stream-key',
  section: '§6.4',
  title: 'acts for a client id only with the key of its open stream, and answers every wrong key alike',
  required: true,
  needs: ['streamKey'],
  async run(ctx) {
    const { baseUrl } = ctx.target;
    const room = ctx.name('owned');
    const joinable = ctx.name('joinable');
    const ownerId = ctx.name('owner');
    const owner = await ctx.connected({ clientId: ownerId, rooms: [room] });
    const other = await ctx.connected({ clientId: ctx.name('other'), rooms: [room] });
    const keyOf = (welcome: unknown): string => {
      const key = (welcome as { key?: unknown } | undefined)?.key;
      assert.ok(typeof key === 'string' && key.length >= 22, `the welcome carries the stream's key, at least 128 bits in base64url (got ${JSON.stringify(key)})`);
      return key;
    };
    const ownerKey = keyOf(owner.controls.find((m) => m.type === 'welcome'));
    const otherKey = keyOf(other.controls.find((m) => m.type === 'welcome'));
    assert.notEqual(ownerKey, otherKey, 'each stream has a key of its own');

    const post = async (query: Record<string, string>, body: unknown): Promise<{ status: number; code: unknown; message: unknown }> => {
      const response = await fetch(`${baseUrl}${PATHS.messages}?${ctx.withToken(new URLSearchParams(query).toString())}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      const parsed = text === '' ? {} : (JSON.parse(text) as { code?: unknown; message?: unknown });
      return { status: response.status, code: parsed.code, message: parsed.message };
    };
    const send = { type: 'send', room, mid: 1, payload: 'taken over' };
    const join = { type: 'join', room: joinable };
    const attempts: [string, Record<string, string>, unknown][] = [
      ['a send under its id without a key', { client: ownerId }, send],
      ['a send under its id with a wrong key', { client: ownerId, key: `${ownerKey.slice(0, -2)}xx` }, send],
      ["a send under its id with another stream's key", { client: ownerId, key: otherKey }, send],
      ['a join for it without a key', { client: ownerId }, join],
      ["a join for it with another stream's key", { client: ownerId, key: otherKey }, join],
      ['a send under an id with no open stream', { client: ctx.name('nobody'), key: ownerKey }, send],
      ['a join for an id with no open stream', { client: ctx.name('nobody') }, join],
    ];
    const answers = [];
    for (const [what, query, body] of attempts) answers.push({ what, ...(await post(query, body)) });
    const first = answers[0]!;
    assert.equal(first.status, 404, `${first.what} is refused 404 UNKNOWN_CLIENT (got ${first.status} ${String(first.code)})`);
    assert.equal(first.code, 'UNKNOWN_CLIENT', `${first.what} is refused with UNKNOWN_CLIENT`);
    for (const answer of answers.slice(1)) {
      assert.deepEqual([answer.status, answer.code, answer.message], [first.status, first.code, first.message], `${answer.what} gets the same answer as ${first.what}, so ids cannot be probed`);
    }

    // With its key the owner sends under its id and joins, on the stream the key names.
    assert.equal((await post({ client: ownerId, key: ownerKey }, { type: 'send', room, mid: 2, payload: 'mine' })).status, 204, 'a send with the right key is 204');
    assert.equal((await post({ client: ownerId, key: ownerKey }, join)).status, 200, 'a join with the right key is 200');
    await ctx.wait(() => owner.controls.some((m) => m.type === 'joined') && other.messages.length >= 1, "the joined event and the owner's message");
    assert.deepEqual(owner.messages.map((m) => [m.channel, m.from, m.mid]), [[room, ownerId, 2]], 'nothing was sent under its id but its own message');
    assert.deepEqual(other.controls.filter((m) => m.type === 'joined'), [], 'a join with a key applies to that stream only');
  },
};

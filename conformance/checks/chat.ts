/** Chat rooms: who receives a message, and membership (join/leave on WS and SSE; none on long-poll). */
import assert from 'node:assert/strict';
import { ClientError } from '../../clients/client.ts';
import { WIRE_LIMITS } from '../../scenarios/constants.ts';
import type { Check } from '../check.ts';

export const chatMembers: Check = {
  id: 'chat-members',
  section: '§1',
  title: 'chat reaches exactly the members of the room, sender included, text and bytes kept apart',
  required: true,
  async run(ctx) {
    const room = ctx.name('lobby');
    const other = ctx.name('other');
    const ids = ['alice', 'bob', 'carol'].map((id) => ctx.name(id));
    const members = ids.map((clientId) => ctx.client({ rooms: [room], clientId }));
    const outsiderId = ctx.name('dave');
    const outsider = ctx.client({ rooms: [other], clientId: outsiderId });
    await Promise.all([...members, outsider].map((c) => c.client.connect()));
    const [alice, bob, carol] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    // Each send waits for the one before to arrive: senders on different connections are not ordered otherwise.
    await alice.client.send({ type: 'send', room, mid: 7, payload: 'hello room' });
    await ctx.wait(() => members.every((m) => m.messages.length >= 1), 'the first chat message at every member');
    await bob.client.send({ type: 'send', room, mid: 1, payload: new Uint8Array([0, 255, 1]) });
    await ctx.wait(() => members.every((m) => m.messages.length >= 2), 'the second chat message at every member');
    // A last message to each room: anything delivered twice, or to the wrong room, has come before it.
    await outsider.client.send({ type: 'send', room: other, mid: 5, payload: 'elsewhere' });
    await carol.client.send({ type: 'send', room, mid: 99, payload: 'last' });
    await ctx.wait(() => members.every((m) => m.messages.length >= 3) && outsider.messages.length >= 1, 'the closing message in each room');
    members.forEach((m, i) => {
      assert.deepEqual(
        m.messages.map((e) => [e.kind, e.channel, e.seq, e.from, e.mid]),
        [
          ['chat', room, 1, ids[0], 7],
          ['chat', room, 2, ids[1], 1],
          ['chat', room, 3, ids[2], 99],
        ],
        `member ${ids[i]} receives the room's three messages once, in order, with from and mid`,
      );
      assert.equal(m.messages[0]!.payload, 'hello room', 'a text payload stays text');
      const bytes = m.messages[1]!.payload;
      assert.ok(bytes instanceof Uint8Array, 'a byte payload stays bytes (payloadBase64 in JSON, flags bit 0 in binary)');
      assert.deepEqual(Array.from(bytes), [0, 255, 1], 'a byte payload arrives byte for byte');
    });
    assert.deepEqual(outsider.messages.map((e) => [e.channel, e.seq, e.from]), [[other, 1, outsiderId]], 'a client in another room receives only that room');
  },
};

export const joinLeave: Check = {
  id: 'join-leave',
  section: '§4',
  title: 'join and leave on an open connection change what it receives',
  required: true,
  needs: ['membership'],
  async run(ctx) {
    const late = ctx.name('late');
    const fence = ctx.name('fence');
    const c = await ctx.connected({ clientId: ctx.name('joiner') });
    await c.client.send({ type: 'join', room: late });
    await ctx.wait(() => c.controls.some((m) => m.type === 'joined'), 'the joined reply');
    assert.deepEqual(c.controls.find((m) => m.type === 'joined'), { type: 'joined', room: late, cursor: `${late}:0` });
    const sender = await ctx.sender();
    await sender.send({ type: 'send', room: late, mid: 1, payload: 'in' });
    await ctx.wait(() => c.messages.length >= 1, 'the message of the joined room');
    await c.client.send({ type: 'join', room: fence });
    await ctx.wait(() => c.controls.filter((m) => m.type === 'joined').length >= 2, 'the second joined reply');
    await c.client.send({ type: 'leave', room: late });
    await ctx.wait(() => c.controls.some((m) => m.type === 'left'), 'the left reply');
    assert.deepEqual(c.controls.find((m) => m.type === 'left'), { type: 'left', room: late });
    // One sender, in order: the room left gets a message, then the room still joined; only the second may arrive.
    await sender.send({ type: 'send', room: late, mid: 2, payload: 'out' });
    await sender.send({ type: 'send', room: fence, mid: 3, payload: 'after' });
    await ctx.wait(() => c.messages.some((m) => m.channel === fence), 'the message of the room still joined');
    assert.deepEqual(c.messages.map((m) => [m.channel, m.seq]), [[late, 1], [fence, 1]], 'nothing of a room after leaving it');
  },
};

export const channelLimit: Check = {
  id: 'channel-limit',
  section: '§2.1',
  title: 'caps a connection at 64 channels and leaves without creating rooms',
  required: true,
  needs: ['membership'],
  async run(ctx) {
    const c = await ctx.connected({ topics: [ctx.target.topic], clientId: ctx.name('greedy') });
    // Rooms ever created: a server may free idle rooms of earlier checks meanwhile (§1.2).
    const created = (stats: { rooms: number; roomsFreed?: number }): number => stats.rooms + (stats.roomsFreed ?? 0);
    const roomsBefore = created(await ctx.stats());
    const joins = WIRE_LIMITS.maxChannelsPerConnection - 1;
    for (let i = 1; i <= joins; i++) await c.client.send({ type: 'join', room: ctx.name(`r${i}`) });
    await ctx.wait(() => c.controls.filter((m) => m.type === 'joined').length === joins, `${joins} joined replies`);
    const refused = await c.client.send({ type: 'join', room: ctx.name('one-too-many') }).then(
      async () => {
        await ctx.wait(() => c.controls.some((m) => m.type === 'error'), 'the error reply to a 65th channel');
        return (c.controls.find((m) => m.type === 'error') as { code: string }).code;
      },
      (err: unknown) => (err instanceof ClientError ? err.code : String(err)),
    );
    assert.equal(refused, 'CHANNEL_LIMIT', 'a join beyond 64 channels is refused');
    await c.client.send({ type: 'leave', room: ctx.name('never-existed') });
    await ctx.wait(() => c.controls.some((m) => m.type === 'left'), 'the left reply to leaving a room that does not exist');
    assert.equal(created(await ctx.stats()) - roomsBefore, joins, `/stats rooms grew by the ${joins} rooms joined, not by the refused one nor the one left`);
  },
};

export const pollNoMembership: Check = {
  id: 'poll-no-membership',
  section: '§6.3',
  title: 'refuses join and leave: a poll names its rooms itself',
  required: true,
  needs: ['polling'],
  async run(ctx) {
    const c = await ctx.connected({ rooms: [ctx.name('r')] });
    for (const type of ['join', 'leave'] as const) {
      await assert.rejects(c.client.send({ type, room: ctx.name('x') }), (err: unknown) => err instanceof ClientError && err.code === 'NOT_SUPPORTED', `${type} on a long-poll server is NOT_SUPPORTED`);
    }
  },
};

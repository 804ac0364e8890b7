/** Cursors and resume: after a forced disconnect, and from far back in the replay buffer. */
import assert from 'node:assert/strict';
import type { CloseInfo } from '../../clients/client.ts';
import { parseCursor } from '../../scenarios/names.ts';
import type { Check } from '../check.ts';
import { assertNone, assertSeqs } from '../assertions.ts';
import { range } from '../recorder.ts';

export const resumeAfterDrop: Check = {
  id: 'resume-after-drop',
  section: '§3',
  title: 'resume after a forced disconnect delivers exactly the missed messages, once',
  required: true,
  needs: ['feedControl', 'drop'],
  async run(ctx) {
    const { topic, timing } = ctx.target;
    const room = ctx.name('lobby');
    const c = ctx.client({ topics: [topic], rooms: [room], reconnect: { initialDelayMs: timing.reconnectDelayMs } });
    const start = parseCursor((await c.client.connect()).cursor).get(topic) ?? 0;
    await (await ctx.sender()).send({ type: 'send', room, mid: 1, payload: 'before' });
    await ctx.startFeed(200, 16);
    await ctx.wait(() => c.seqs(topic).length >= 20 && c.seqs(room).length === 1, 'the first 20 ticks and the room message');
    const caughtUp = await ctx.stopFeed();
    // Caught up, the client holds its connection (a long poll is held, not between two polls), so the drop cuts it.
    await ctx.wait(async () => c.seqs(topic).at(-1) === caughtUp && (await ctx.stats()).connections.open >= 1, `the client to catch up to ${topic}:${caughtUp} and wait for more`);
    const dropped = await ctx.api.drop();
    assert.ok(dropped !== null && dropped >= 1, `POST /drop answered ${JSON.stringify({ dropped })}: it cuts the subscriber's connection`);
    // Published while the client is away: it must get them through its cursor.
    await ctx.startFeed(200, 16);
    await (await ctx.sender()).send({ type: 'send', room, mid: 2, payload: 'during' });
    await ctx.wait(() => c.client.reconnects >= 1, 'the client to reconnect with its cursor');
    const resumed = c.seqs(topic).length;
    await ctx.wait(() => c.seqs(topic).length >= resumed + 10, 'live ticks after the resume');
    const latest = await ctx.stopFeed();
    await ctx.wait(() => c.seqs(topic).at(-1) === latest && c.seqs(room).length >= 2, `every tick up to ${topic}:${latest} and both room messages`);
    assertSeqs(c.seqs(topic), range(start + 1, latest), 'the resumed subscriber');
    assert.deepEqual(c.seqs(room), [1, 2], 'the room message sent while the client was away arrives once, after the one before');
  },
};

export const resumeFarBack: Check = {
  id: 'resume-far-back',
  section: '§9',
  title: 'resumes from far back without being taken for a slow consumer',
  required: true,
  async run(ctx) {
    const { limits } = ctx.target;
    const room = ctx.name('backlog');
    // A catch-up several times the outgoing-buffer limit (and past the kernel's socket buffers): the connect allowance must cover it.
    const count = 2000;
    const catchUpBytes = Math.max(2 * 1024 * 1024, 4 * limits.maxBufferedBytes);
    const payload = 'x'.repeat(Math.min(Math.ceil(catchUpBytes / count), limits.maxMessageBytes - 256));
    await ctx.publish(await ctx.sender(), room, count, payload);
    const cutBefore = (await ctx.stats()).disconnects.slowConsumer;
    const c = await ctx.connected({ rooms: [room], cursor: `${room}:0` });
    await ctx.wait(() => c.messages.length >= count, `the ${count}-message catch-up (${Math.round((count * payload.length) / 1024)} KiB)`, 3);
    assertSeqs(c.seqs(room), range(1, count), 'the resuming subscriber');
    assert.equal((await ctx.stats()).disconnects.slowConsumer - cutBefore, 0, '/stats disconnects.slowConsumer stays put: replay at connect is an allowance, not backlog');
  },
};

export const dropLikeANetworkFailure: Check = {
  id: 'drop',
  section: '§10.2',
  title: 'POST /drop cuts every connection as a network failure would, and counts them',
  required: true,
  needs: ['drop'],
  async run(ctx) {
    const subscribers = await Promise.all([1, 2].map(() => ctx.connected({ topics: [ctx.target.topic] })));
    const closes: CloseInfo[] = [];
    for (const s of subscribers) s.client.on('close', (info) => closes.push(info));
    // A long poll is only cut while it is held, not between two polls.
    await ctx.wait(async () => (await ctx.stats()).connections.open >= subscribers.length, `/stats connections.open to count the ${subscribers.length} subscribers`);
    const before = await ctx.stats();
    const dropped = await ctx.api.drop();
    assert.ok(dropped !== null && dropped >= subscribers.length, `POST /drop answered ${JSON.stringify({ dropped })}: it counts every connection it cut, at least the ${subscribers.length} subscribers`);
    await ctx.wait(() => closes.length === subscribers.length, 'both subscribers to notice the drop');
    // No close frame, no error event, no answer: the client sees the connection end, nothing the server said.
    const said = closes.filter((c) => c.code !== 'NETWORK' && c.code !== 'CLOSE_1006' && c.code !== 'STREAM_ENDED').map((c) => `${c.code}: ${c.detail}`);
    assertNone(said, 'the clients saw the connection torn down (a network error, WS 1006), not a close the server sent; they saw');
    const told = subscribers.flatMap((s) => s.controls.filter((m) => m.type === 'error')).map((m) => JSON.stringify(m));
    assertNone(told, 'no error message or event comes before the connection is torn down; the clients got');
    const after = await ctx.stats();
    assert.equal(after.disconnects.dropped - before.disconnects.dropped, dropped, '/stats disconnects.dropped grows by the count POST /drop answered');
  },
};

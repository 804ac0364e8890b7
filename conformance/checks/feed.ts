/** The feed: the server's own publisher, driven through PUT /feed, fanned out to every subscriber. */
import assert from 'node:assert/strict';
import { parseCursor } from '../../scenarios/names.ts';
import type { Check } from '../check.ts';
import { assertSeqs } from '../assertions.ts';
import { describe, range } from '../recorder.ts';

const seqIn = (cursor: string, channel: string): number => parseCursor(cursor).get(channel) ?? 0;

export const feedFanOut: Check = {
  id: 'feed-fan-out',
  section: '§1',
  title: 'feed delivers every message once and in order to every subscriber',
  required: true,
  needs: ['feedControl'],
  async run(ctx) {
    const topic = ctx.target.topic;
    const subscribers = [1, 2, 3].map(() => ctx.client({ topics: [topic] }));
    const opens = await Promise.all(subscribers.map((s) => s.client.connect()));
    const starts = opens.map((open) => seqIn(open.cursor, topic));
    assert.equal(new Set(starts).size, 1, `three subscribers to a stopped feed were welcomed at different positions: ${opens.map((o) => o.cursor).join(' / ')}`);
    await ctx.startFeed(1000, 16);
    await ctx.wait(() => subscribers.every((s) => s.messages.length >= 300), 'every subscriber to receive 300 feed messages');
    const latest = await ctx.stopFeed();
    await ctx.wait(() => subscribers.every((s) => s.messages.at(-1)?.seq === latest), `every subscriber to receive the last message, ${topic}:${latest}`);
    subscribers.forEach((s, i) => {
      assertSeqs(s.seqs(topic), range(starts[0]! + 1, latest), `subscriber ${i + 1}`);
      const odd = s.messages.find((m) => m.kind !== 'feed' || m.channel !== topic || typeof m.payload !== 'string' || m.payload.length !== 16 || !Number.isInteger(m.ts) || m.ts <= 0);
      if (odd !== undefined) assert.fail(`subscriber ${i + 1} got ${describe(odd)}: a feed message is kind feed on ${topic} with a 16-byte text payload (PUT /feed set payloadBytes 16) and an integer ts`);
    });
  },
};

export const feedRate: Check = {
  id: 'feed-rate',
  section: '§10.1',
  title: 'PUT /feed sets the rate and payload size; every tick arrives, stamped in host µs',
  required: true,
  needs: ['feedControl'],
  async run(ctx) {
    const topic = ctx.target.topic;
    const s = ctx.client({ topics: [topic] });
    const start = seqIn((await s.client.connect()).cursor, topic);
    await ctx.startFeed(500, 100);
    const { rate, payloadBytes } = (await ctx.stats()).feed;
    assert.deepEqual({ rate, payloadBytes }, { rate: 500, payloadBytes: 100 }, '/stats feed after PUT /feed {"rate":500,"payloadBytes":100}');
    await ctx.wait(() => s.messages.length >= 100, '100 published ticks');
    const latest = await ctx.stopFeed();
    await ctx.wait(() => s.messages.at(-1)?.seq === latest, `the last tick, ${topic}:${latest}`);
    assertSeqs(s.seqs(topic), range(start + 1, latest), 'the subscriber');
    const wrongSize = s.messages.find((m) => typeof m.payload !== 'string' || m.payload.length !== 100);
    if (wrongSize !== undefined) assert.fail(`got ${describe(wrongSize)}: every tick has a 100-byte text payload after PUT /feed {"payloadBytes":100}`);
    const now = (await ctx.stats()).now;
    const misdated = s.messages.find((m) => m.ts > now || m.ts <= now - 60_000_000);
    if (misdated !== undefined) assert.fail(`got ${describe(misdated)} with /stats now ${now}: a feed message's ts is its due time on the publisher's schedule, in µs on the host clock, never after it was sent`);
  },
};

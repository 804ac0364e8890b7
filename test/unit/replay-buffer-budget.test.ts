/** The server-wide cap on what replay buffers hold (--max-replay-bytes): on its own, then inside the hub. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/harness.ts';
import { Hub, REPLAY_MESSAGE_OVERHEAD_BYTES, type Channel, type HubMessage, type Member } from '../../servers/hub.ts';
import { ReplayBudget, type Budgeted } from '../../servers/replay-budget.ts';

class Item implements Budgeted {
  charged = 0;
  constructor(
    readonly name: string,
    public heldBytes: number,
  ) {}
}

function budgetOf(maxBytes: number): { budget: ReplayBudget<Item>; evicted: string[] } {
  const evicted: string[] = [];
  return { budget: new ReplayBudget<Item>(maxBytes, (item) => evicted.push(item.name)), evicted };
}

describe('ReplayBudget', () => {
  it('evicts the oldest added first until the bytes are within the cap', () => {
    const { budget, evicted } = budgetOf(100);
    const items = ['a', 'b', 'c', 'd'].map((name) => new Item(name, 30));
    for (const item of items) {
      budget.add(item);
      budget.enforce();
    }
    expect(evicted).toEqual(['a']);
    expect(budget.stats).toEqual({ messages: 3, bytes: 90, maxBytes: 100, evicted: 1 });
    expect(items.map((i) => i.charged)).toEqual([0, 30, 30, 30]);
  });

  it('skips what left by other means, and counts only evictions it made', () => {
    const { budget, evicted } = budgetOf(100);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Item(name, 40));
    budget.add(a!);
    budget.add(b!);
    budget.release(a!); // pushed out by its channel's own cap
    budget.release(a!); // twice is once
    budget.add(c!);
    budget.add(d!);
    budget.enforce();
    expect(evicted).toEqual(['b']);
    expect(budget.stats).toEqual({ messages: 2, bytes: 80, maxBytes: 100, evicted: 1 });
  });

  it('charges what a held message costs more once it grew, and nothing for one no longer held', () => {
    const { budget } = budgetOf(1000);
    const item = new Item('a', 10);
    budget.add(item);
    item.heldBytes = 25;
    budget.recharge(item);
    expect(budget.stats.bytes).toBe(25);
    budget.release(item);
    item.heldBytes = 50;
    budget.recharge(item);
    expect(budget.stats).toMatchObject({ messages: 0, bytes: 0 });
  });

  it('keeps its queue within twice the held messages plus 1024 however many leave by other means', () => {
    const { budget } = budgetOf(1e12);
    const held: Item[] = [];
    let largest = 0;
    for (let i = 0; i < 50_000; i++) {
      const item = new Item(`m${i}`, 1);
      budget.add(item);
      held.push(item);
      // A channel capped at 100 messages: each append past it pushes one out.
      if (held.length > 100) budget.release(held.shift()!);
      budget.enforce();
      largest = Math.max(largest, budget.queued);
    }
    expect(budget.stats.messages).toBe(100);
    expect(largest).toBeLessThanOrEqual(2 * 100 + 1024 + 1);
  });

  it('still evicts in append order after compacting a queue that had wrapped around', () => {
    const { budget, evicted } = budgetOf(3000);
    const items = Array.from({ length: 23_000 }, (_, i) => new Item(`m${i}`, 1));
    for (const item of items.slice(0, 20_000)) {
      budget.add(item);
      budget.enforce();
    }
    expect(evicted).toHaveLength(17_000);
    // 17000..19999 are held; nine in ten leave by other means, then the queue is compacted.
    for (let i = 17_000; i < 20_000; i++) if (i % 10 !== 0) budget.release(items[i]!);
    budget.enforce();
    expect(budget.queued).toBe(300);
    evicted.length = 0;
    for (const item of items.slice(20_000, 23_000)) {
      budget.add(item);
      budget.enforce();
    }
    // 3300 held for room for 3000: the 300 survivors go, oldest first.
    expect(evicted).toEqual(Array.from({ length: 300 }, (_, i) => `m${17_000 + 10 * i}`));
    expect(budget.stats.messages).toBe(3000);
  });
});

interface TestMember extends Member {
  id: string;
}

function makeHub(options: { maxReplayBytes: number; replaySize?: number; roomIdleMs?: number }) {
  const hub = new Hub<TestMember>({ topics: ['ticks'], replaySize: options.replaySize ?? 1000, maxRooms: 100, roomIdleMs: options.roomIdleMs ?? 0, maxReplayBytes: options.maxReplayBytes }, () => {});
  return hub;
}

/** Every message a channel holds, oldest first. */
function held(channel: Channel<TestMember>): HubMessage[] {
  const messages: HubMessage[] = [];
  channel.replay.forEach((m) => messages.push(m));
  return messages;
}

/** What the budget must report: the sum over every held message of what holding it costs. */
function heldTotals(hub: Hub<TestMember>, names: string[]): { messages: number; bytes: number } {
  const messages = names.flatMap((name) => {
    const channel = hub.channel(name);
    return channel === undefined ? [] : held(channel);
  });
  return { messages: messages.length, bytes: messages.reduce((sum, m) => sum + m.heldBytes, 0) };
}

const one = Buffer.from('x');
/** A feed message on `ticks` with a one-byte payload, no encoding built yet. */
const UNSENT = 1 + REPLAY_MESSAGE_OVERHEAD_BYTES;

describe('Hub with --max-replay-bytes', () => {
  it('charges each message its payload and overhead, and the encodings built for it', () => {
    const hub = makeHub({ maxReplayBytes: 1e9 });
    const message = hub.publish('ticks', one);
    expect(hub.replay).toEqual({ messages: 1, bytes: UNSENT, maxBytes: 1e9, evicted: 0 });
    const caughtUp = hub.catchup([hub.topic('ticks')], [0], 'binary');
    expect(caughtUp.messages).toEqual([message]);
    expect(hub.replay.bytes).toBe(UNSENT + message.encoded('binary').length);
    hub.catchup([hub.topic('ticks')], [0], 'binary');
    expect(hub.replay.bytes, 'an encoding is charged once').toBe(UNSENT + message.encoded('binary').length);
  });

  it('releases what a channel pushes out by its own --replay-size', () => {
    const hub = makeHub({ maxReplayBytes: 1e9, replaySize: 4 });
    for (let i = 0; i < 100; i++) hub.publish('ticks', one);
    expect(hub.replay).toEqual({ messages: 4, bytes: 4 * UNSENT, maxBytes: 1e9, evicted: 0 });
  });

  it('evicts the oldest messages of the whole server, keeping every channel contiguous, and a resume from them is truncated', () => {
    const hub = makeHub({ maxReplayBytes: 10 * UNSENT });
    // ticks 1..4, lobby 1..4, ticks 5..8, kitchen 1..4: 16 messages, room for 10.
    for (let i = 0; i < 4; i++) hub.publish('ticks', one);
    for (let i = 0; i < 4; i++) hub.send('c1', 'lobby', i, one, false);
    for (let i = 0; i < 4; i++) hub.publish('ticks', one);
    for (let i = 0; i < 4; i++) hub.send('c1', 'kitchen', i, one, false);
    expect(hub.replay).toEqual({ messages: 10, bytes: 10 * UNSENT, maxBytes: 10 * UNSENT, evicted: 6 });
    expect(held(hub.topic('ticks')).map((m) => m.seq)).toEqual([5, 6, 7, 8]);
    expect(held(hub.room('lobby')).map((m) => m.seq)).toEqual([3, 4]);
    expect(held(hub.room('kitchen')).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const resume = hub.catchup([hub.topic('ticks'), hub.room('lobby')], [0, 1], 'json');
    expect(resume.missed).toEqual([
      { channel: 'ticks', first: 1, last: 4 },
      { channel: 'lobby', first: 2, last: 2 },
    ]);
    expect(resume.messages.map((m) => m.cursor)).toEqual(['ticks:5', 'ticks:6', 'ticks:7', 'ticks:8', 'lobby:3', 'lobby:4']);
  });

  it('a message larger than the cap is delivered live but not held', () => {
    const deliveries: number[] = [];
    const hub = new Hub<TestMember>({ topics: ['ticks'], replaySize: 10, maxRooms: 1, maxReplayBytes: 1024 }, (m) => deliveries.push(m.seq));
    hub.attach({ id: 'a', channels: new Set() }, hub.topic('ticks'));
    hub.publish('ticks', Buffer.alloc(4096));
    expect(deliveries).toEqual([1]);
    expect(hub.replay).toMatchObject({ messages: 0, bytes: 0, evicted: 1 });
    expect(hub.catchup([hub.topic('ticks')], [0], 'json').missed).toEqual([{ channel: 'ticks', first: 1, last: 1 }]);
  });

  it('releases the messages of a room it frees', async () => {
    const hub = makeHub({ maxReplayBytes: 1e9, roomIdleMs: 20 });
    hub.publish('ticks', one);
    for (let i = 0; i < 5; i++) hub.send('c1', 'lobby', i, one, false);
    expect(hub.replay.messages).toBe(6);
    await waitFor(() => hub.rooms === 0, 'the idle room freed', 2000);
    expect(hub.replay).toMatchObject({ messages: 1, bytes: UNSENT });
  });

  it('agrees with what the buffers hold under a seeded mix of publishes, sends, catch-ups and members', () => {
    let state = 7;
    const random = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const cap = 40 * UNSENT;
    const hub = new Hub<TestMember>({ topics: ['ticks'], replaySize: 16, maxRooms: 100, roomIdleMs: 0, maxReplayBytes: cap }, (m) => m.encoded('json'));
    const names = ['ticks', 'r0', 'r1', 'r2', 'r3'];
    const someone: TestMember = { id: 's', channels: new Set() };
    const disagreements: string[] = [];
    for (let step = 0; step < 3000; step++) {
      const pick = random();
      const name = names[Math.floor(random() * names.length)]!;
      const payload = Buffer.alloc(Math.floor(random() * 300));
      if (pick < 0.3) hub.publish('ticks', payload);
      else if (pick < 0.7) hub.send('c1', name === 'ticks' ? 'r0' : name, step, payload, random() < 0.5);
      else if (pick < 0.85) {
        const channel = hub.channel(name);
        if (channel !== undefined) hub.catchup([channel], [Math.max(0, channel.seq - 5)], random() < 0.5 ? 'json' : 'binary');
      } else if (name !== 'ticks') {
        if (someone.channels.size > 0) hub.detachAll(someone);
        else hub.attach(someone, hub.room(name));
      }
      const totals = heldTotals(hub, names);
      const { messages, bytes } = hub.replay;
      if (messages !== totals.messages || bytes !== totals.bytes || bytes > cap) disagreements.push(`step ${step}: budget ${messages}/${bytes}, buffers ${totals.messages}/${totals.bytes}`);
      for (const channelName of names) {
        const channel = hub.channel(channelName);
        if (channel === undefined) continue;
        const seqs = held(channel).map((m) => m.seq);
        if (seqs.length > 0 && (seqs[0] !== channel.replay.oldest || seqs.at(-1) !== channel.seq || seqs.some((s, i) => i > 0 && s !== seqs[i - 1]! + 1))) {
          disagreements.push(`step ${step}: ${channelName} holds ${seqs.join(',')}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(hub.replay.evicted).toBeGreaterThan(100);
  });
});

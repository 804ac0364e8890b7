import { describe, expect, it } from 'vitest';
import { DATA_HEADER_BYTES } from '../../scenarios/codec-binary.ts';
import { decodeData } from '../../scenarios/codec.ts';
import { parseCursor } from '../../scenarios/names.ts';
import { Hub, HubMessage, type Channel, type Member } from '../../servers/hub.ts';
import { IdleRooms, WORK_PER_TURN } from '../../servers/idle-rooms.ts';
import { sleep, waitFor } from '../support/harness.ts';

const wireError = (code: string) => expect.objectContaining({ name: 'WireError', code });

interface TestMember extends Member {
  id: string;
}

function member(id: string): TestMember {
  return { id, channels: new Set() };
}

function makeHub(options: { topics?: string[]; replaySize?: number; maxRooms?: number; roomIdleMs?: number } = {}) {
  const calls: { message: HubMessage; channel: Channel<TestMember> }[] = [];
  const hub = new Hub<TestMember>(
    { topics: options.topics ?? ['ticks', 'news'], replaySize: options.replaySize ?? 16, maxRooms: options.maxRooms ?? 10, roomIdleMs: options.roomIdleMs },
    (message, channel) => calls.push({ message, channel }),
  );
  return { hub, calls };
}

const text = (s: string): Buffer => Buffer.from(s);
/** Binary size of a feed message on `ticks` with a 10-byte payload. */
const TICK_BYTES = DATA_HEADER_BYTES + 'ticks'.length + 10;
const tenBytes = (i: number): Buffer => Buffer.from(String(i).padStart(10, '0'));

describe('Hub construction', () => {
  it('creates one feed channel per topic and no rooms', () => {
    const { hub } = makeHub();
    expect(hub.topicNames).toEqual(['ticks', 'news']);
    expect(hub.rooms).toBe(0);
    expect(hub.latestSeq('ticks')).toBe(0);
    expect(hub.latestSeq('nope')).toBeUndefined();
  });

  it('rejects an invalid topic name with INVALID_NAME', () => {
    expect(() => makeHub({ topics: ['bad topic'] })).toThrow(wireError('INVALID_NAME'));
  });
});

describe('Hub.publish and send', () => {
  it('assigns contiguous seqs from 1, independently per channel', () => {
    const { hub } = makeHub();
    expect([1, 2, 3].map((i) => hub.publish('ticks', text(`t${i}`)).seq)).toEqual([1, 2, 3]);
    expect(hub.publish('news', text('n1')).seq).toBe(1);
    expect(hub.send('c1', 'lobby', 10, text('hello'), false).seq).toBe(1);
    expect(hub.send('c2', 'lobby', 11, text('hi'), false).seq).toBe(2);
    expect(hub.send('c1', 'other', 12, text('x'), false).seq).toBe(1);
    expect(hub.publish('ticks', text('t4')).seq).toBe(4);
    expect(hub.latestSeq('ticks')).toBe(4);
    expect(hub.latestSeq('news')).toBe(1);
    expect(hub.latestSeq('lobby')).toBe(2);
    expect(hub.counters).toEqual({ published: 8, chatMessagesIn: 3 });
  });

  it('fills in the message fields', () => {
    const { hub } = makeHub();
    const feed = hub.publish('ticks', text('p'), true);
    expect(feed).toMatchObject({ kind: 'feed', channel: 'ticks', seq: 1, binaryPayload: true, from: undefined, mid: undefined, cursor: 'ticks:1' });
    expect(Number.isSafeInteger(feed.ts) && feed.ts > 2 ** 32).toBe(true);
    const chat = hub.send('c9', 'lobby', 77, text('q'), false);
    expect(chat).toMatchObject({ kind: 'chat', channel: 'lobby', seq: 1, from: 'c9', mid: 77, binaryPayload: false, cursor: 'lobby:1' });
  });

  it('calls the fan-out function only when the channel has members', () => {
    const { hub, calls } = makeHub();
    hub.publish('ticks', text('nobody listening'));
    expect(calls).toHaveLength(0);

    const a = member('a');
    const ticks = hub.topic('ticks');
    hub.attach(a, ticks);
    expect(ticks.members.has(a)).toBe(true);
    expect(a.channels.has(ticks as unknown as Channel<Member>)).toBe(true);
    const m2 = hub.publish('ticks', text('two'));
    hub.publish('news', text('other topic, no members'));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.message).toBe(m2);
    expect(calls[0]!.channel).toBe(ticks);

    hub.detach(a, ticks);
    hub.publish('ticks', text('three'));
    expect(calls).toHaveLength(1);
  });

  it('stops fan-out to every channel of a member after detachAll', () => {
    const { hub, calls } = makeHub();
    const a = member('a');
    hub.attach(a, hub.topic('ticks'));
    hub.attach(a, hub.room('lobby'));
    hub.send('a', 'lobby', 1, text('x'), false);
    expect(calls).toHaveLength(1);
    hub.detachAll(a);
    expect(a.channels.size).toBe(0);
    expect(hub.topic('ticks').members.size).toBe(0);
    expect(hub.room('lobby').members.size).toBe(0);
    hub.publish('ticks', text('y'));
    hub.send('b', 'lobby', 2, text('z'), false);
    expect(calls).toHaveLength(1);
  });

  it('rejects publishing to an unknown topic or a room with UNKNOWN_TOPIC', () => {
    const { hub } = makeHub();
    expect(() => hub.publish('nope', text('x'))).toThrow(wireError('UNKNOWN_TOPIC'));
    hub.room('lobby');
    expect(() => hub.publish('lobby', text('x'))).toThrow(wireError('UNKNOWN_TOPIC'));
    expect(() => hub.topic('lobby')).toThrow(wireError('UNKNOWN_TOPIC'));
    expect(() => hub.topic('bad name')).toThrow(wireError('INVALID_NAME'));
    expect(hub.counters.published).toBe(0);
  });

  it('rejects sending to a topic with NOT_A_ROOM', () => {
    const { hub } = makeHub();
    expect(() => hub.send('c1', 'ticks', 1, text('x'), false)).toThrow(wireError('NOT_A_ROOM'));
    expect(hub.latestSeq('ticks')).toBe(0);
  });
});

describe('Hub.room', () => {
  it('creates a room on first use and returns the same room afterwards', () => {
    const { hub } = makeHub();
    const lobby = hub.room('lobby');
    expect(lobby.kind).toBe('chat');
    expect(lobby.name).toBe('lobby');
    expect(hub.room('lobby')).toBe(lobby);
    expect(hub.channel('lobby')).toBe(lobby);
    expect(hub.rooms).toBe(1);
    expect(hub.topicNames).toEqual(['ticks', 'news']);
  });

  it('enforces maxRooms with ROOM_LIMIT, but still returns existing rooms', () => {
    const { hub } = makeHub({ maxRooms: 2 });
    const r1 = hub.room('r1');
    hub.room('r2');
    expect(() => hub.room('r3')).toThrow(wireError('ROOM_LIMIT'));
    expect(() => hub.send('c', 'r3', 1, text('x'), false)).toThrow(wireError('ROOM_LIMIT'));
    expect(hub.rooms).toBe(2);
    expect(hub.channel('r3')).toBeUndefined();
    expect(hub.room('r1')).toBe(r1);
  });

  it('refuses a topic name used as a room with NOT_A_ROOM, and does not count it', () => {
    const { hub } = makeHub();
    expect(() => hub.room('ticks')).toThrow(wireError('NOT_A_ROOM'));
    expect(hub.rooms).toBe(0);
  });

  it('refuses an invalid room name with INVALID_NAME', () => {
    const { hub } = makeHub();
    expect(() => hub.room('bad room')).toThrow(wireError('INVALID_NAME'));
    expect(() => hub.room('')).toThrow(wireError('INVALID_NAME'));
  });
});

describe('Hub.resolve', () => {
  it('holds each channel at its latest seq when there is no cursor', () => {
    const { hub } = makeHub();
    hub.publish('ticks', text('1'));
    hub.publish('ticks', text('2'));
    const sub = hub.resolve(['ticks', 'news'], ['lobby'], undefined);
    expect(sub.channels.map((c) => c.name)).toEqual(['ticks', 'news', 'lobby']);
    expect(sub.held).toEqual([2, 0, 0]);
    expect(hub.heldCursor(sub)).toBe('ticks:2,news:0,lobby:0');
  });

  it('holds each channel at the cursor seq when the cursor names it', () => {
    const { hub } = makeHub();
    for (let i = 0; i < 5; i++) hub.publish('ticks', text(String(i)));
    const sub = hub.resolve(['ticks', 'news'], [], parseCursor('ticks:3'));
    expect(sub.held).toEqual([3, 0]);
  });

  it('subscribes channels named only in the cursor: existing topics, existing rooms and new rooms', () => {
    const { hub } = makeHub();
    hub.publish('news', text('n'));
    hub.send('c', 'lobby', 1, text('a'), false);
    hub.send('c', 'lobby', 2, text('b'), false);
    const sub = hub.resolve(['ticks'], [], parseCursor('news:0,lobby:1,fresh:0'));
    expect(sub.channels.map((c) => [c.name, c.kind])).toEqual([
      ['ticks', 'feed'],
      ['news', 'feed'],
      ['lobby', 'chat'],
      ['fresh', 'chat'],
    ]);
    expect(sub.held).toEqual([0, 0, 1, 0]);
    expect(hub.rooms).toBe(2);
  });

  it('does not list a channel twice when both a topic list and the cursor name it', () => {
    const { hub } = makeHub();
    const sub = hub.resolve(['ticks'], ['lobby'], parseCursor('ticks:0,lobby:0'));
    expect(sub.channels.map((c) => c.name)).toEqual(['ticks', 'lobby']);
  });

  it('rejects a cursor ahead of the channel latest with BAD_CURSOR', () => {
    const { hub } = makeHub();
    hub.publish('ticks', text('1'));
    expect(() => hub.resolve(['ticks'], [], parseCursor('ticks:2'))).toThrow(wireError('BAD_CURSOR'));
    expect(() => hub.resolve(['ticks'], [], parseCursor('ticks:1'))).not.toThrow();
  });

  it('rejects unknown topics and topics given as rooms', () => {
    const { hub } = makeHub();
    expect(() => hub.resolve(['nope'], [], undefined)).toThrow(wireError('UNKNOWN_TOPIC'));
    expect(() => hub.resolve([], ['ticks'], undefined)).toThrow(wireError('NOT_A_ROOM'));
  });
});

describe('Hub.catchup', () => {
  it('returns exactly the messages after the cursor, per channel in order, and the new cursor', () => {
    const { hub } = makeHub();
    const ticks = Array.from({ length: 5 }, (_, i) => hub.publish('ticks', text(`t${i + 1}`)));
    const lobby = [hub.send('c', 'lobby', 1, text('a'), false), hub.send('c', 'lobby', 2, text('b'), false)];
    const sub = hub.resolve(['ticks', 'news'], ['lobby'], parseCursor('ticks:2,news:0,lobby:0'));
    const result = hub.catchup(sub.channels, sub.held, 'json');
    expect(result.messages).toEqual([ticks[2], ticks[3], ticks[4], lobby[0], lobby[1]]);
    expect(result.missed).toEqual([]);
    expect([...result.cursor]).toEqual([
      ['ticks', 5],
      ['news', 0],
      ['lobby', 2],
    ]);
    expect(result.bytes).toBe(result.messages.reduce((sum, m) => sum + m.encoded('json').length, 0));
  });

  it('returns nothing for a subscriber that is up to date', () => {
    const { hub } = makeHub();
    hub.publish('ticks', text('1'));
    const sub = hub.resolve(['ticks'], [], undefined);
    expect(hub.catchup(sub.channels, sub.held, 'binary')).toEqual({ messages: [], bytes: 0, missed: [], cursor: new Map([['ticks', 1]]) });
  });

  it('reports the missed range when the replay buffer wrapped, then returns what it still holds', () => {
    const { hub } = makeHub({ replaySize: 4 });
    for (let i = 1; i <= 10; i++) hub.publish('ticks', text(`t${i}`)); // holds 7..10
    const ticks = hub.topic('ticks');
    const result = hub.catchup([ticks], [2], 'json');
    expect(result.missed).toEqual([{ channel: 'ticks', first: 3, last: 6 }]);
    expect(result.messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
    expect(result.cursor.get('ticks')).toBe(10);

    expect(hub.catchup([ticks], [0], 'json').missed).toEqual([{ channel: 'ticks', first: 1, last: 6 }]);
    expect(hub.catchup([ticks], [5], 'json').missed).toEqual([{ channel: 'ticks', first: 6, last: 6 }]);
    expect(hub.catchup([ticks], [6], 'json').missed).toEqual([]);
    expect(hub.catchup([ticks], [6], 'json').messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
  });

  it('stops at maxBytes and moves the cursor only over the messages returned', () => {
    const { hub } = makeHub();
    for (let i = 1; i <= 5; i++) hub.publish('ticks', tenBytes(i));
    const ticks = hub.topic('ticks');
    expect(hub.topic('ticks').replay.at(1)!.encoded('binary').length).toBe(TICK_BYTES);

    const two = hub.catchup([ticks], [0], 'binary', 2 * TICK_BYTES);
    expect(two.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(two.bytes).toBe(2 * TICK_BYTES);
    expect(two.cursor.get('ticks')).toBe(2);

    const one = hub.catchup([ticks], [0], 'binary', 2 * TICK_BYTES - 1);
    expect(one.messages.map((m) => m.seq)).toEqual([1]);
    expect(one.cursor.get('ticks')).toBe(1);

    const next = hub.catchup([ticks], [two.cursor.get('ticks')!], 'binary', 2 * TICK_BYTES);
    expect(next.messages.map((m) => m.seq)).toEqual([3, 4]);
  });

  it('always returns at least one message, even when it alone is larger than maxBytes', () => {
    const { hub } = makeHub();
    hub.publish('ticks', Buffer.alloc(1000, 0x61));
    hub.publish('ticks', text('small'));
    const result = hub.catchup([hub.topic('ticks')], [0], 'json', 1);
    expect(result.messages.map((m) => m.seq)).toEqual([1]);
    expect(result.bytes).toBeGreaterThan(1000);
    expect(result.cursor.get('ticks')).toBe(1);
  });

  it('leaves channels after the byte limit at their held seq', () => {
    const { hub } = makeHub();
    for (let i = 1; i <= 3; i++) hub.publish('ticks', tenBytes(i));
    hub.publish('news', Buffer.alloc(100));
    const sub = hub.resolve(['ticks', 'news'], [], parseCursor('ticks:0,news:0'));
    const result = hub.catchup(sub.channels, sub.held, 'binary', 3 * TICK_BYTES);
    expect(result.messages.map((m) => m.cursor)).toEqual(['ticks:1', 'ticks:2', 'ticks:3']);
    expect([...result.cursor]).toEqual([
      ['ticks', 3],
      ['news', 0],
    ]);
  });
});

describe('HubMessage.encoded', () => {
  it('memoizes each encoding: the same Buffer instance twice', () => {
    const { hub } = makeHub();
    const message = hub.send('c1', 'lobby', 4, text('hello'), false);
    const json = message.encoded('json');
    const binary = message.encoded('binary');
    expect(message.encoded('json')).toBe(json);
    expect(message.encoded('binary')).toBe(binary);
    expect(json).not.toBe(binary);
  });

  it('encodes what a client decodes back to the same envelope', () => {
    const message = new HubMessage('chat', 'lobby', 3, text('hey'), false, 'c1', 9);
    const expected = { kind: 'chat', channel: 'lobby', seq: 3, ts: message.ts, from: 'c1', mid: 9, payload: 'hey' };
    expect(decodeData(message.encoded('json'), 'json')).toEqual(expected);
    expect(decodeData(message.encoded('binary'), 'binary')).toEqual(expected);
  });
});

describe('IdleRooms', () => {
  function rooms(idleMs: number) {
    let now = 1000;
    const freed: string[] = [];
    const idle = new IdleRooms<string>(idleMs, (room) => freed.push(room), () => now);
    return { idle, freed, advance: (ms: number) => (now += ms) };
  }

  it('frees rooms idle for the idle time, oldest first, and stops at the first one not yet due', () => {
    const { idle, freed, advance } = rooms(100);
    idle.idle('a');
    advance(30);
    idle.idle('b');
    advance(30);
    idle.idle('c');
    advance(40); // a: 100, b: 70, c: 40
    expect(idle.sweep()).toBe(1);
    expect(freed).toEqual(['a']);
    advance(30);
    expect(idle.sweep()).toBe(1);
    expect(freed).toEqual(['a', 'b']);
    expect(idle.has('c')).toBe(true);
    idle.stop();
  });

  it('a busy room is not freed, and one idle again starts from zero', () => {
    const { idle, freed, advance } = rooms(100);
    idle.idle('a');
    idle.idle('b');
    advance(90);
    idle.busy('a');
    idle.idle('b'); // a message appended while it had no member
    advance(50);
    expect(idle.sweep()).toBe(0);
    idle.idle('a');
    advance(60);
    expect(idle.sweep()).toBe(1);
    expect(freed).toEqual(['b']);
    expect(idle.size).toBe(1);
    idle.stop();
  });

  it('stops a sweep once it did a turn\'s work, and frees the rest in the next', () => {
    let now = 0;
    const freed: string[] = [];
    const idle = new IdleRooms<string>(10, (room) => (freed.push(room), WORK_PER_TURN / 2), () => now);
    for (const room of ['a', 'b', 'c']) idle.idle(room);
    now = 10;
    expect(idle.sweep()).toBe(2);
    expect(idle.sweep()).toBe(1);
    expect(freed).toEqual(['a', 'b', 'c']);
    idle.stop();
  });

  it('with an idle time of 0 frees nothing', () => {
    const { idle, freed, advance } = rooms(0);
    idle.idle('a');
    advance(1e9);
    expect(idle.sweep()).toBe(0);
    expect(idle.size).toBe(0);
    expect(freed).toEqual([]);
  });
});

describe('Hub frees idle rooms', () => {
  const IDLE_MS = 20;

  it('frees a room nobody is in once it idled: its name, seq, replay and place toward maxRooms', async () => {
    const { hub } = makeHub({ roomIdleMs: IDLE_MS, maxRooms: 2 });
    hub.send('c1', 'lobby', 1, text('a'), false); // a sender that is not in the room
    hub.send('c1', 'lobby', 2, text('b'), false);
    hub.room('kitchen');
    expect(() => hub.room('third')).toThrow(wireError('ROOM_LIMIT'));
    await waitFor(() => hub.rooms === 0, 'both rooms freed', 2000);
    expect(hub.roomsFreed).toBe(2);
    expect(hub.channel('lobby')).toBeUndefined();
    expect(hub.latestSeq('lobby')).toBeUndefined();
    expect(hub.replay.messages).toBe(0);
    hub.room('third');
    expect(hub.send('c1', 'lobby', 3, text('again'), false).seq, 'a room used again starts anew').toBe(1);
  });

  it('a cursor into a freed room is refused when ahead of the new room, as after a restart', async () => {
    const { hub } = makeHub({ roomIdleMs: IDLE_MS });
    for (let mid = 0; mid < 3; mid++) hub.send('c1', 'lobby', mid, text('m'), false);
    expect(() => hub.resolve([], [], parseCursor('lobby:3'))).not.toThrow();
    await waitFor(() => hub.rooms === 0, 'lobby freed', 2000);
    expect(() => hub.resolve([], [], parseCursor('lobby:3'))).toThrow(wireError('BAD_CURSOR'));
  });

  it('never frees a room with a member, and frees it once the last member left', async () => {
    const { hub } = makeHub({ roomIdleMs: IDLE_MS });
    const a = member('a');
    const b = member('b');
    hub.join(a, 'lobby');
    hub.join(b, 'lobby');
    hub.leave(a, 'lobby');
    await sleep(IDLE_MS * 4);
    expect(hub.channel('lobby')?.members.size).toBe(1);
    hub.detachAll(b);
    await waitFor(() => hub.rooms === 0, 'lobby freed after its last member left', 2000);
    expect(hub.roomsFreed).toBe(1);
  });

  it('never frees a feed topic', async () => {
    const { hub } = makeHub({ roomIdleMs: IDLE_MS });
    const a = member('a');
    hub.attach(a, hub.topic('ticks'));
    hub.publish('ticks', text('1'));
    hub.detachAll(a);
    hub.room('lobby');
    await waitFor(() => hub.rooms === 0, 'the room freed', 2000);
    expect(hub.topicNames).toEqual(['ticks', 'news']);
    expect(hub.latestSeq('ticks')).toBe(1);
  });

  it('keeps a room whose only members come and go, as long polls do, and one that keeps receiving messages', async () => {
    // Gaps of 2 ms against an idle time of 200 ms: a loaded machine may stretch a gap, not by that much.
    const idleMs = 200;
    const { hub } = makeHub({ roomIdleMs: idleMs });
    const poll = member('poll');
    const polled = hub.room('polled');
    const posted = hub.room('posted');
    let sends = 0;
    const until = performance.now() + idleMs * 2.5;
    while (performance.now() < until) {
      hub.attach(poll, polled);
      await sleep(2);
      hub.detachAll(poll);
      hub.send('c1', 'posted', ++sends, text('x'), false);
      await sleep(2);
    }
    expect(hub.channel('polled')).toBe(polled);
    expect(hub.channel('posted')).toBe(posted);
    expect(hub.latestSeq('posted')).toBe(sends);
    expect(hub.roomsFreed).toBe(0);
    await waitFor(() => hub.rooms === 0, 'both freed once left alone', 2000);
  });

  it('leaving a room one is not in does not restart its idle time', async () => {
    const { hub } = makeHub({ roomIdleMs: IDLE_MS * 5 });
    hub.room('lobby');
    const a = member('a');
    // Were each leave to restart it, the room would outlive this deadline.
    const until = performance.now() + 2000;
    while (hub.rooms > 0 && performance.now() < until) {
      hub.leave(a, 'lobby');
      await sleep(2);
    }
    expect(hub.rooms).toBe(0);
  });

  it('with roomIdleMs 0 keeps every room', async () => {
    const { hub } = makeHub({ roomIdleMs: 0 });
    hub.send('c1', 'lobby', 1, text('a'), false);
    await sleep(50);
    expect(hub.rooms).toBe(1);
    expect(hub.roomsFreed).toBe(0);
  });
});

/**
 * Memory is bounded by configuration, not by clients (docs/PROTOCOL.md §1.2, §9): a flood of sends
 * to distinct rooms from one WebSocket client neither stalls the feed nor grows the server, because
 * rooms cost what they hold and idle rooms are freed; and the server-wide replay cap evicts the
 * oldest messages, which a resume then sees as REPLAY_TRUNCATED.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cleanup, publishMany, startTestServer, waitFor } from '../../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ROOM_IDLE_MS = 200;
const FLOOD_MS = 3000;
const SENDS_PER_SECOND = 2000;
const FEED_RATE = 50;
/**
 * The feed publishes every 20 ms. Before rooms grew on demand, each new room allocated 8192 slots and
 * the flood stalled the loop for seconds; 250 ms leaves room for a loaded 2-core CI machine (another
 * test file runs beside this one), in a process that also runs the flooding client and the subscriber.
 */
const MAX_FEED_GAP_MS = 250;
/** The old cost was about 67 KiB per room, 390 MiB for this flood's 6000 rooms; now the live rooms (a few hundred) cost well under 1 MiB. */
const MAX_RSS_GROWTH_BYTES = 100 * 1024 * 1024;

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    cleanup.add({ close: async () => ws.terminate() });
    ws.once('message', () => resolve(ws)); // the welcome
    ws.once('error', reject);
  });
}

describe('a flood of sends to distinct rooms (WS)', () => {
  it('keeps the feed flowing, frees the rooms once idle, and keeps memory bounded', async () => {
    // --max-rooms is a limit on live rooms: far fewer than the rooms this flood creates.
    const server = cleanup.add(await startTestServer('ws', { feedRate: FEED_RATE, payloadBytes: 16, roomIdleMs: ROOM_IDLE_MS, maxRooms: 2000 }));
    const subscriber = await open(`${server.connectUrl}?topic=ticks`);
    const feedTimes: number[] = [];
    subscriber.on('message', () => feedTimes.push(performance.now()));
    const sender = await open(server.connectUrl);
    const replies: string[] = [];
    sender.on('message', (data: Buffer) => replies.push(data.toString()));
    await waitFor(() => feedTimes.length >= 5, 'the feed flowing');

    const rssBefore = process.memoryUsage().rss;
    let largestLiveRooms = 0;
    let sent = 0;
    const started = performance.now();
    feedTimes.length = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - started;
        // Open loop at the rate, in bursts of at most 50, so a late timer does not turn into one huge burst.
        const due = Math.min(Math.floor((Math.min(elapsed, FLOOD_MS) * SENDS_PER_SECOND) / 1000), sent + 50);
        for (; sent < due; sent++) sender.send(JSON.stringify({ type: 'send', room: `flood${sent}`, mid: sent, payload: 'x' }));
        largestLiveRooms = Math.max(largestLiveRooms, server.hub.rooms);
        if (elapsed >= FLOOD_MS) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const floodEnded = performance.now();
    const rssAfter = process.memoryUsage().rss;

    const gaps = feedTimes.slice(1).map((t, i) => t - feedTimes[i]!);
    const largestGap = Math.max(floodEnded - feedTimes.at(-1)!, ...gaps);
    expect(sent, 'sends made').toBeGreaterThan((SENDS_PER_SECOND * FLOOD_MS) / 1000 * 0.8);
    expect(largestGap, `largest gap between feed messages during the flood (${feedTimes.length} messages)`).toBeLessThan(MAX_FEED_GAP_MS);
    expect(rssAfter - rssBefore, 'RSS growth during the flood').toBeLessThan(MAX_RSS_GROWTH_BYTES);
    // About the rooms of the last 200-250 ms, at 2000 a second; never the thousands sent.
    expect(largestLiveRooms, 'live rooms at any time during the flood').toBeLessThan(1500);

    await waitFor(() => server.stats().messages.chatIn === sent, 'every send taken');
    await waitFor(() => server.stats().rooms === 0, 'every flooded room freed after the idle time', 5 * ROOM_IDLE_MS + 2000);
    const stats = server.stats();
    expect(stats.roomsFreed).toBe(sent);
    expect(stats.errors, 'no send refused (ROOM_LIMIT counts live rooms)').toEqual({});
    expect(replies, 'no error sent to the flooding client').toEqual([]);
    // Only the feed's own messages are still held.
    expect(stats.replay?.messages).toBe(server.hub.latestSeq('ticks'));
  });
});

describe('the server-wide replay cap (--max-replay-bytes)', () => {
  it('evicts the oldest messages, and a resume from them is told REPLAY_TRUNCATED before the rest is replayed', async () => {
    const server = cleanup.add(await startTestServer('ws', { maxReplayBytes: 16 * 1024 }));
    await publishMany(server, 200, 20, 'ticks', Buffer.from('0123456789abcdef'));
    const { messages, evicted } = server.stats().replay!;
    expect(messages + evicted).toBe(200);
    expect(evicted).toBeGreaterThan(100);
    const oldest = 200 - messages + 1;

    const frames: string[] = [];
    const ws = new WebSocket(`${server.connectUrl}?cursor=ticks:0`);
    cleanup.add({ close: async () => ws.terminate() });
    ws.on('message', (data: Buffer) => frames.push(data.toString()));
    await waitFor(() => frames.length === 2 + messages, 'welcome, the notice and the held messages');
    expect(JSON.parse(frames[0]!)).toMatchObject({ type: 'welcome', cursor: 'ticks:0' });
    expect(JSON.parse(frames[1]!)).toEqual({ type: 'error', code: 'REPLAY_TRUNCATED', message: `ticks:1-${oldest - 1} are no longer held` });
    expect(frames.slice(2).map((f) => (JSON.parse(f) as { seq: number }).seq)).toEqual(Array.from({ length: messages }, (_, i) => oldest + i));
    expect(server.stats().replayTruncations).toBe(1);
  });
});

/** The recorder core that Node load workers and browser pages both record with (clients/load/recorder-core.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadQueueMeter } from '../../clients/load/read-queue.ts';
import { newClientSlot, RecorderCore, type ClientSlot } from '../../clients/load/recorder-core.ts';
import { decodeHistogram } from '../../metrics/histogram.ts';
import { integrityOf } from '../../metrics/integrity.ts';
import { newPeekedData, type PeekedData } from '../../scenarios/peek.ts';

const START = 1_795_323_929_000_000;
const END = START + 1_000_000;

const feed = (seq: number, ts: number): PeekedData => ({ ...newPeekedData(), channel: 'ticks', seq, ts });
const chat = (seq: number, ts: number, from: string, mid: number): PeekedData => ({ chat: true, channel: 'lobby', seq, ts, from, mid });

const cores: RecorderCore<unknown>[] = [];
afterEach(() => {
  for (const core of cores.splice(0)) core.stop();
});

function recorder(slots: ClientSlot[], sample: () => number = () => 0): RecorderCore<number> {
  const core = new RecorderCore(slots, sample);
  cores.push(core);
  return core;
}

function openSlot(channels: { topics?: string[]; rooms?: string[] }): ClientSlot {
  const slot = newClientSlot({ topics: channels.topics ?? [], rooms: channels.rooms ?? [] });
  slot.open = true;
  return slot;
}

describe('RecorderCore', () => {
  it('counts only messages published inside the window, per channel and open recipient, with their latency', () => {
    const a = openSlot({ topics: ['ticks'] });
    const b = openSlot({ topics: ['ticks'] });
    const closed = newClientSlot({ topics: ['ticks'], rooms: [] });
    const core = recorder([a, b, closed]);
    // The window is already over, so both marks are taken at collect.
    core.startWindow(START, END, END + 1);
    core.data(a, 'a', feed(1, START - 1), START + 100); // before the window
    for (const seq of [2, 3, 4]) core.data(a, 'a', feed(seq, START + seq * 1000), START + seq * 1000 + 500);
    core.data(b, 'b', feed(2, START + 2000), START + 2400);
    core.data(b, 'b', feed(4, START + 4000), START + 4300); // 3 is lost for b
    expect(core.data(b, 'b', feed(4, START + 4000), START + 4300)).toBe('duplicate');
    core.data(b, 'b', feed(5, END), END + 10); // published at the end: outside
    expect(core.windowDeliveries).toBe(6);
    const { figures } = core.collect();
    expect(figures.tallies).toEqual([['ticks', { lo: 2, hi: 4, recipients: 2, received: 5, duplicated: 1, reordered: 0 }]]);
    expect(integrityOf(figures.tallies.map(([, t]) => t))).toEqual({ expected: 6, received: 5, lost: 1, duplicated: 1, reordered: 0 });
    const latency = decodeHistogram(figures.latency);
    expect(latency.totalCount).toBe(6);
    expect(latency.maxValue).toBeLessThanOrEqual(501);
    expect(figures.arrivalsBetweenMarks).toBe(0);
  });

  it('times a chat echo from its due time, counts in-window sends left unanswered, and keeps others latencies', () => {
    const alice = openSlot({ rooms: ['lobby'] });
    const bob = openSlot({ rooms: ['lobby'] });
    const core = recorder([alice, bob]);
    core.startWindow(START, END, END + 1);
    alice.pending.set(7, START + 1000);
    alice.pending.set(8, START + 2000); // never echoed
    alice.pending.set(9, END + 5); // due after the window
    core.sent(START + 1000, 300);
    core.sent(START + 2000, 100);
    core.sent(END + 5, 0);
    core.data(alice, 'alice', chat(1, START + 1500, 'alice', 7), START + 4000);
    core.data(bob, 'bob', chat(1, START + 1500, 'alice', 7), START + 1700);
    const { figures } = core.collect();
    expect(figures.sendsDue).toBe(2);
    expect(figures.sendsUnanswered).toBe(1);
    expect(figures.sendLagP99Ms).toBeCloseTo(0.3, 2);
    const rtt = decodeHistogram(figures.rtt);
    expect(rtt.totalCount).toBe(1);
    expect(Math.abs(rtt.maxValue - 3000)).toBeLessThanOrEqual(3);
    // Only bob's copy is a latency; alice's own is a round trip.
    expect(decodeHistogram(figures.latency).totalCount).toBe(1);
    // The unanswered in-window send is forgotten at collect; the one due after the window is kept.
    expect([...alice.pending.keys()]).toEqual([9]);
  });

  it('counts, for the drain, the echo of a send due in the window even when it was published after it', () => {
    const alice = openSlot({ rooms: ['lobby'] });
    const core = recorder([alice]);
    core.startWindow(START, END, END + 1);
    alice.pending.set(7, END - 10); // due in the window, left late
    expect(core.windowDeliveries).toBe(0);
    core.data(alice, 'alice', chat(1, END + 200_000, 'alice', 7), END + 300_000);
    expect(core.windowDeliveries).toBe(1);
    expect(core.collect().figures.sendsUnanswered).toBe(0);
  });

  it('takes its marks at the window edges, with the caller sample and the arrivals between them', async () => {
    const slot = openSlot({ topics: ['ticks'] });
    let sampled = 0;
    const core = recorder([slot], () => ++sampled);
    const now = Date.now() * 1000;
    // The end mark comes 500 ms later: a loaded machine must not take both marks before the arrivals below.
    core.startWindow(now + 5_000, now + 500_000, now);
    await vi.waitFor(() => expect(sampled).toBe(1), { timeout: 2000, interval: 1 });
    core.data(slot, 'x', feed(1, now + 6_000), now + 7_000);
    core.data(slot, 'x', feed(2, now + 7_000), now + 8_000);
    await vi.waitFor(() => expect(sampled).toBe(2), { timeout: 2000, interval: 1 });
    core.data(slot, 'x', feed(3, now + 8_000), now + 40_000);
    const { figures, start, end } = core.collect();
    expect({ start, end, arrivals: figures.arrivalsBetweenMarks }).toEqual({ start: 1, end: 2, arrivals: 2 });
  });

  it('counts problems and disconnects, notes each distinct one once (at most five), and a lost slot stops being open', () => {
    const slot = openSlot({ topics: ['ticks'] });
    const core = recorder([slot]);
    core.startWindow(START, END, END + 1);
    core.problem('decode', 'bad');
    core.problem('decode', 'bad');
    core.problem('server-error', 'E');
    core.problem('send', 'refused');
    core.lost(slot, 'closed');
    for (let i = 0; i < 5; i++) core.problem('send', `more ${i}`);
    const { figures } = core.collect();
    expect({ decode: figures.decodeErrors, server: figures.serverErrors, send: figures.sendFailures, disconnects: figures.disconnects }).toEqual({ decode: 2, server: 1, send: 6, disconnects: 1 });
    expect(figures.problems).toEqual(['decode: bad', 'server-error: E', 'send: refused', 'disconnect: closed', 'send: more 0']);
    expect(slot.open).toBe(false);
  });

  it('ticks each second with what arrived since the last tick and the open connections', () => {
    const open = openSlot({ topics: ['ticks'] });
    const core = recorder([open, newClientSlot({ topics: ['ticks'], rooms: [] })]);
    core.data(open, 'o', feed(1, START), START + 2000);
    const first = core.tick(3, START + 1_000_000, 1234);
    expect({ second: first.second, deliveries: first.deliveries, connections: first.connections, cpuUs: first.cpuUs }).toEqual({ second: 3, deliveries: 1, connections: 1, cpuUs: 1234 });
    expect(decodeHistogram(first.latency!).totalCount).toBe(1);
    const second = core.tick(4, START + 2_000_000, 0);
    expect({ deliveries: second.deliveries, latency: second.latency }).toEqual({ deliveries: 0, latency: null });
  });
  it("records the lab's own read queueing of exactly the deliveries its latency counts; without a meter (a page) it reports null", () => {
    const a = openSlot({ topics: ['ticks'], rooms: ['lobby'] });
    const b = openSlot({ topics: ['ticks'] });
    let closeBurst: () => void = () => undefined;
    const core = new RecorderCore([a, b], () => 0, new ReadQueueMeter({ idleMs: () => 0, afterReads: (callback) => (closeBurst = callback) }));
    cores.push(core);
    core.startWindow(START, END, END + 1);
    core.data(a, 'a', feed(1, START - 10), START + 100); // before the window: starts the burst, not recorded
    core.data(b, 'b', feed(2, START + 50), START + 1100); // waited 1,000 µs behind the first read
    core.data(a, 'a', chat(1, START + 50, 'a', 0), START + 1300); // its own echo: a round trip, not latency
    core.data(a, 'a', feed(2, START + 50), START + 2100);
    closeBurst();
    const { figures } = core.collect();
    const queue = decodeHistogram(figures.readQueue!);
    expect(queue.totalCount).toBe(decodeHistogram(figures.latency).totalCount);
    expect([queue.minNonZeroValue, queue.maxValue]).toEqual([1000, 2000]);
    const page = recorder([openSlot({ topics: ['ticks'] })]);
    page.startWindow(START, END, END + 1);
    expect(page.collect().figures.readQueue).toBeNull();
  });
});

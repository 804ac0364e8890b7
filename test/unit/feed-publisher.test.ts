/** The publisher's schedule (servers/feed-publisher.ts), on an injected clock: no timer, no sleeping. */
import { describe, expect, it } from 'vitest';
import { FeedPublisher, type PublisherClock } from '../../servers/feed-publisher.ts';
import { Hub, type HubMessage, type Member } from '../../servers/hub.ts';

/** Monotonic time is set by the test; the lab clock is the same instant on another origin (as the wall clock is). */
const LAB_OFFSET_US = 1_767_225_600_000_000;

class ManualClock implements PublisherClock {
  mono = 5_000_000;
  wakes = 0;
  private wake: (() => void) | undefined;
  monotonicUs(): number {
    return this.mono;
  }
  labUs(): number {
    return this.mono + LAB_OFFSET_US;
  }
  every(_ms: number, wake: () => void): () => void {
    this.wake = wake;
    return () => (this.wake = undefined);
  }
  /** Moves time on and fires the timer once, as a (possibly late) wake-up does. */
  advanceTo(mono: number): void {
    this.mono = mono;
    this.wakes++;
    this.wake?.();
  }
  get armed(): boolean {
    return this.wake !== undefined;
  }
}

function setup(topics = ['ticks']) {
  const published: HubMessage[] = [];
  const hub = new Hub<Member>({ topics, replaySize: 100_000, maxRooms: 1 }, () => undefined);
  const original = hub.publish.bind(hub);
  // Observe what the publisher asks of a real hub (the hub is not under test here).
  hub.publish = (topic, payload, binary, dueUs) => {
    const message = original(topic, payload, binary, dueUs);
    published.push(message);
    return message;
  };
  const clock = new ManualClock();
  return { hub, clock, published, publisher: new FeedPublisher(hub, clock) };
}

describe('FeedPublisher schedule', () => {
  it('stamps message n with start + n·1e6/rate µs, exactly, however far the schedule runs', () => {
    const { clock, published, publisher } = setup();
    const start = clock.mono;
    publisher.configure(200, 8);
    // On time: wake exactly at each due time for 10 s (2,000 messages): no drift from summing intervals.
    for (let n = 1; n <= 2000; n++) clock.advanceTo(start + n * 5000);
    expect(published).toHaveLength(2000);
    published.forEach((m, i) => expect(m.ts).toBe(LAB_OFFSET_US + start + (i + 1) * 5000));
    expect(published.map((m) => m.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    const lateness = publisher.latenessStats();
    expect(lateness.count).toBe(2000);
    // On time is 0 µs late, recorded as the histogram's floor of 1 µs.
    expect(lateness.max).toBe(0.001);
  });

  it('does not drift at a rate whose interval is not a whole number of µs', () => {
    const { clock, published, publisher } = setup();
    const start = clock.mono;
    publisher.configure(300, 8);
    clock.advanceTo(start + 60_000_000);
    expect(published).toHaveLength(18_000);
    // 18,000 × 3333.33… µs is exactly 60 s: the last message is due at the end, not 6 ms early (18,000 × 3333).
    expect(published.at(-1)!.ts).toBe(LAB_OFFSET_US + start + 60_000_000);
    expect(published[0]!.ts).toBe(LAB_OFFSET_US + start + 3333);
  });

  it('publishes nothing before the first due time', () => {
    const { clock, published, publisher } = setup();
    const start = clock.mono;
    publisher.configure(100, 8);
    clock.advanceTo(start + 9_999);
    expect(published).toHaveLength(0);
    clock.advanceTo(start + 10_000);
    expect(published).toHaveLength(1);
  });

  it('a late wake-up publishes every owed message, each with its own due time, on every topic', () => {
    const { clock, published, publisher } = setup(['ticks', 'news']);
    const start = clock.mono;
    publisher.configure(200, 8);
    clock.advanceTo(start + 5000);
    // The loop is blocked for 300 ms: the next wake-up comes at 305 ms, owing messages 2 to 61.
    clock.advanceTo(start + 305_000);
    expect(clock.wakes).toBe(2);
    expect(published).toHaveLength(61 * 2);
    for (let n = 1; n <= 61; n++) {
      const due = LAB_OFFSET_US + start + n * 5000;
      expect(published.filter((m) => m.seq === n).map((m) => [m.channel, m.ts])).toEqual([
        ['ticks', due],
        ['news', due],
      ]);
    }
    // Lateness per scheduled message (not per topic): message 2 left 295 ms late, message 61 on time.
    const lateness = publisher.latenessStats();
    expect(lateness.count).toBe(61);
    expect(lateness.max).toBeGreaterThanOrEqual(295);
    expect(lateness.max).toBeLessThan(296);
    // The old stamp (the time of appending) would have given all 61 the same ts: the block would not show in latency.
    expect(new Set(published.map((m) => m.ts)).size).toBe(61);
  });

  it('resets the lateness histogram after reading it when asked', () => {
    const { clock, publisher } = setup();
    const start = clock.mono;
    publisher.configure(200, 8);
    clock.advanceTo(start + 50_000);
    expect(publisher.latenessStats(true).count).toBe(10);
    expect(publisher.latenessStats().count).toBe(0);
    clock.advanceTo(start + 55_000);
    expect(publisher.latenessStats().count).toBe(1);
  });

  it('keeps the schedule when the rate is set again unchanged, and starts a new one for a new rate', () => {
    const { clock, published, publisher } = setup();
    const start = clock.mono;
    publisher.configure(200, 8);
    clock.advanceTo(start + 12_000);
    publisher.configure(200, 16);
    clock.advanceTo(start + 15_000);
    expect(published.map((m) => m.ts - LAB_OFFSET_US - start)).toEqual([5000, 10_000, 15_000]);
    expect(published.map((m) => m.payload.length)).toEqual([8, 8, 16]);
    publisher.configure(100, 16);
    const restart = clock.mono;
    clock.advanceTo(restart + 10_000);
    expect(published.at(-1)!.ts).toBe(LAB_OFFSET_US + restart + 10_000);
    publisher.configure(0, 16);
    expect(clock.armed).toBe(false);
    expect(publisher.rate).toBe(0);
  });

  it('yields to the event loop after 20 ms of publishing when the server is slower than its rate, and publishes the rest at the next wake-up, each with its due time', () => {
    const { hub, clock, published, publisher } = setup();
    const start = clock.mono;
    // Each message takes 2 ms to fan out, at 1,000 messages/s: every burst owes more than it publishes.
    const original = hub.publish.bind(hub);
    hub.publish = (topic, payload, binary, dueUs) => {
      clock.mono += 2000;
      return original(topic, payload, binary, dueUs);
    };
    publisher.configure(1000, 8);
    clock.advanceTo(start + 1000);
    // The wake-up returned (the test got here) after 10 messages, 20 ms of work.
    expect(published).toHaveLength(10);
    clock.advanceTo(clock.mono);
    expect(published).toHaveLength(20);
    // Nothing skipped, nothing re-stamped: message n still carries its due time.
    published.forEach((m, i) => expect(m.ts).toBe(LAB_OFFSET_US + start + (i + 1) * 1000));
    // Message 20, due at 20 ms, left at 39 ms: the second burst began at 21 ms and published 9 before it.
    expect(publisher.latenessStats().max).toBeCloseTo(19, 1);
  });
});

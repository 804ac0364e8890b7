/** The lab's own read queueing (clients/load/read-queue.ts): bursts of reads, injected, and on Node's real event loop. */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ReadQueueMeter, type LoopClock } from '../../clients/load/read-queue.ts';

/** An event loop driven by the test: its idle time, and the check-phase callbacks it owes. */
class ScriptedLoop implements LoopClock {
  idle = 0;
  private owed: (() => void)[] = [];
  scheduled = 0;
  idleMs(): number {
    return this.idle;
  }
  afterReads(callback: () => void): void {
    this.scheduled++;
    this.owed.push(callback);
  }
  /** The poll phase's reads are done: the check phase runs; `idleMs` is how long the loop then waits for I/O. */
  checkPhase(idleMs: number): void {
    for (const callback of this.owed.splice(0)) callback();
    this.idle += idleMs;
  }
}

const T = 1_000_000_000;

describe('ReadQueueMeter', () => {
  it('times each read of a burst from the burst\'s first read, and starts again after the loop waited for I/O', () => {
    const loop = new ScriptedLoop();
    const meter = new ReadQueueMeter(loop);
    // 4 sockets' reads in one poll phase, 30 µs apart, of a message due before the burst.
    expect([0, 30, 60, 90].map((dt) => meter.waited(T + dt, T - 500))).toEqual([0, 30, 60, 90]);
    expect(loop.scheduled).toBe(1);
    loop.checkPhase(5);
    expect(meter.waited(T + 10_000, T - 500)).toBe(0);
    expect(meter.waited(T + 10_040, T - 500)).toBe(40);
    expect(loop.scheduled).toBe(2);
  });

  it('goes on across poll phases while the loop never waited: the later reads queued behind the earlier ones', () => {
    const loop = new ScriptedLoop();
    const meter = new ReadQueueMeter(loop);
    meter.waited(T, T - 100);
    meter.waited(T + 2_000, T - 100);
    loop.checkPhase(0);
    // The next poll phase found reads already waiting: still the same burst.
    expect(meter.waited(T + 2_500, T - 100)).toBe(2_500);
    loop.checkPhase(0.001);
    expect(meter.waited(T + 9_000, T - 100)).toBe(0);
  });

  it('never counts from before a message was due: the lab cannot hold up what the server had not sent', () => {
    const loop = new ScriptedLoop();
    const meter = new ReadQueueMeter(loop);
    meter.waited(T, T - 100);
    expect(meter.waited(T + 1_000, T + 800)).toBe(200);
    // A read stamped before its due time (clocks a few µs apart) waited nothing, never a negative time.
    expect(meter.waited(T + 1_100, T + 1_200)).toBe(0);
  });

  it("on Node's event loop: reads of one turn are one burst, and a wait for I/O starts the next", async () => {
    const meter = new ReadQueueMeter({ idleMs: () => performance.nodeTiming.idleTime, afterReads: (callback) => setImmediate(callback) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(meter.waited(T, T)).toBe(0);
    expect(meter.waited(T + 700, T)).toBe(700);
    // The loop blocks for 20 ms in its poll phase: idle time grows, the burst is over.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(meter.waited(T + 50_000, T)).toBe(0);
    // The check phase closes the burst, and the loop goes straight on without waiting: still the same burst.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(meter.waited(T + 50_300, T)).toBe(300);
  });
});

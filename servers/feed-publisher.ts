/**
 * Publishes ticks on every feed topic at a fixed rate, on a schedule: message n of a schedule is
 * due n / rate seconds after it starts. Timers fire late under load, so each wake-up publishes every
 * message owed since the start, each stamped with its own due time (its `ts`), so a publisher that
 * falls behind raises delivery latency instead of hiding in a burst (coordinated omission, as wrk2
 * corrects it). How late each message left (publish time minus due time) goes into a histogram of
 * its own, reported by /stats beside the event-loop delay.
 */
import { createHistogram, recordMicros, summarize, type Histogram } from '../metrics/histogram.ts';
import { nowMicros } from '../scenarios/clock.ts';
import { textPayload } from '../scenarios/payload.ts';
import type { PublicHub } from './hub.ts';

const WAKE_INTERVAL_MS = 1;
/**
 * Longest one wake-up publishes before it yields to the event loop. A server slower than its rate
 * owes more messages by the end of each burst than at its start; publishing until caught up would
 * never return, and the server would stop reading, writing and answering control calls (seen: a ws
 * server at 3,200 messages/s to 1,000 subscribers, 2.8 GB of unwritten frames, PUT /feed unanswered).
 * The owed messages wait for the next wake-up, still stamped with their due times, so the
 * lateness shows in delivery latency all the same.
 */
const WAKE_BUDGET_US = 20_000;

/**
 * The publisher's clocks, injectable so the schedule can be tested without sleeping. The schedule
 * runs on the monotonic clock, so a wall-clock step cannot make messages owed (or not) all at once;
 * each `ts` is the due time converted to the lab clock when it is published.
 */
export interface PublisherClock {
  /** Monotonic µs (fractional allowed). */
  monotonicUs(): number;
  /** The lab clock, µs since the epoch (scenarios/clock.ts). */
  labUs(): number;
  /** Calls `wake` every `ms` until the returned function is called. */
  every(ms: number, wake: () => void): () => void;
}

export const SYSTEM_CLOCK: PublisherClock = {
  monotonicUs: () => performance.now() * 1000,
  labUs: nowMicros,
  every(ms, wake) {
    const timer = setInterval(wake, ms);
    return () => clearInterval(timer);
  },
};

/**
 * /stats `feed.lateness`: publish time minus due time per scheduled message, ms, since the last reset
 * (0 when nothing was due). A summary, not the encoded histogram: encoding one costs the server a few
 * ms of its loop, and the bench reads /stats once a second; it combines the seconds as it does the
 * event-loop delay.
 */
export interface LatenessStats {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export class FeedPublisher {
  private readonly hub: PublicHub;
  private readonly clock: PublisherClock;
  private stopTimer: (() => void) | undefined;
  /** The schedule's origin, monotonic µs. */
  private startedAtUs = 0;
  private topics: string[] = [];
  private sent = 0;
  private ratePerSec = 0;
  private payload: Buffer = Buffer.alloc(0);
  private lateness: Histogram = createHistogram();

  constructor(hub: PublicHub, clock: PublisherClock = SYSTEM_CLOCK) {
    this.hub = hub;
    this.clock = clock;
  }

  get rate(): number {
    return this.ratePerSec;
  }

  get payloadBytes(): number {
    return this.payload.length;
  }

  /**
   * Messages per second per topic; 0 stops publishing. The same non-zero rate again keeps the
   * running schedule (only the payload changes, from the next message on), so a PUT /feed that
   * changes nothing neither delays nor skips a message; another rate starts a new schedule now.
   */
  configure(ratePerSec: number, payloadBytes: number): void {
    if (payloadBytes !== this.payload.length) this.payload = Buffer.from(textPayload(payloadBytes));
    if (ratePerSec === this.ratePerSec && this.stopTimer !== undefined) return;
    this.stop();
    this.ratePerSec = ratePerSec;
    if (ratePerSec > 0) this.start();
  }

  /** Monotonic µs at which message n (1, 2, …) of the current schedule is due: computed from n, never accumulated, so it does not drift. */
  dueAt(n: number): number {
    return this.startedAtUs + (n * 1e6) / this.ratePerSec;
  }

  private start(): void {
    this.startedAtUs = this.clock.monotonicUs();
    this.topics = this.hub.topicNames;
    this.sent = 0;
    this.stopTimer = this.clock.every(WAKE_INTERVAL_MS, () => this.wake());
  }

  /** Publishes every message due by now, oldest first, each with its own due time, for at most WAKE_BUDGET_US. */
  wake(): void {
    const wokeAt = this.clock.monotonicUs();
    for (;;) {
      const due = this.dueAt(this.sent + 1);
      const nowMono = this.clock.monotonicUs();
      if (due > nowMono || nowMono - wokeAt >= WAKE_BUDGET_US) return;
      const lateUs = nowMono - due;
      // The due time on the lab clock: now on the lab clock minus how late it is (read per message,
      // since fanning out the earlier messages of a burst makes the later ones later still).
      const dueUs = Math.round(this.clock.labUs() - lateUs);
      this.sent++;
      recordMicros(this.lateness, lateUs);
      for (const topic of this.topics) this.hub.publish(topic, this.payload, false, dueUs);
    }
  }

  /** The lateness histogram since the last reset; `reset` starts a new one after reading (with /stats?reset=1). */
  latenessStats(reset = false): LatenessStats {
    const summary = summarize(this.lateness);
    const stats: LatenessStats = {
      p50: summary?.p50 ?? 0,
      p99: summary?.p99 ?? 0,
      max: summary?.max ?? 0,
      count: this.lateness.totalCount,
    };
    if (reset) this.lateness.reset();
    return stats;
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }
}

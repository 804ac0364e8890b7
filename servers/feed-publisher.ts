/**
 * Publishes ticks on every feed topic at a fixed rate. Timers fire late under load, so each wake-up
 * publishes every message owed since the start: the offered rate holds even when the loop is busy.
 */
import { textPayload } from '../scenarios/payload.ts';
import type { PublicHub } from './hub.ts';

const WAKE_INTERVAL_MS = 1;

export class FeedPublisher {
  private readonly hub: PublicHub;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private topics: string[] = [];
  private sent = 0;
  private ratePerSec = 0;
  private payload: Buffer = Buffer.alloc(0);

  constructor(hub: PublicHub) {
    this.hub = hub;
  }

  get rate(): number {
    return this.ratePerSec;
  }

  get payloadBytes(): number {
    return this.payload.length;
  }

  /** Messages per second per topic; 0 stops publishing. */
  configure(ratePerSec: number, payloadBytes: number): void {
    this.stop();
    this.ratePerSec = ratePerSec;
    this.payload = Buffer.from(textPayload(payloadBytes));
    if (ratePerSec > 0) this.start();
  }

  private start(): void {
    this.startedAt = performance.now();
    this.topics = this.hub.topicNames;
    this.sent = 0;
    this.timer = setInterval(() => this.tick(), WAKE_INTERVAL_MS);
  }

  private tick(): void {
    const owed = Math.floor(((performance.now() - this.startedAt) * this.ratePerSec) / 1000);
    for (; this.sent < owed; this.sent++) {
      for (const topic of this.topics) this.hub.publish(topic, this.payload);
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * A well-behaved feed subscriber that stays connected while hostile input is thrown at its server:
 * the lab's own library client for the transport, recording when each message arrived and every
 * time its connection was lost, so a test can say whether anyone else was starved or cut off.
 */
import { createClient } from '../../clients/create-client.ts';
import type { PushClient } from '../../clients/client.ts';
import type { TransportName } from '../../scenarios/constants.ts';

export interface Steadiness {
  /** Largest time between two consecutive feed messages over the window (ms). */
  largestGapMs: number;
  /** Connections lost over the window (the client reconnects by itself, so later windows start clean). */
  lost: number;
  /** What ended them. */
  lostBecause: string[];
}

const KEPT_ARRIVALS = 20_000;

export class SteadySubscriber {
  /** The client id it connects with (a fixed one, so probes can try to act under its name). */
  static readonly CLIENT_ID = 'steady';
  private readonly arrivals: number[] = [];
  private readonly losses: { at: number; code: string }[] = [];

  private constructor(private readonly client: PushClient) {
    client.on('message', () => {
      this.arrivals.push(performance.now());
      if (this.arrivals.length > KEPT_ARRIVALS) this.arrivals.splice(0, KEPT_ARRIVALS / 2);
    });
    client.on('close', (info) => this.losses.push({ at: performance.now(), code: `${info.code}: ${info.detail}`.slice(0, 200) }));
  }

  /** Connects to the feed topic `ticks` and resolves once the first message has arrived. */
  static async start(transport: TransportName, baseUrl: string, token: string | undefined): Promise<SteadySubscriber> {
    const client = createClient(transport, {
      url: baseUrl,
      topics: ['ticks'],
      encoding: 'json',
      token,
      // Long-poll has no client id on the wire (a poll with client= is refused).
      clientId: transport === 'long-poll' ? undefined : SteadySubscriber.CLIENT_ID,
      // Quick retries: a probe that cuts it shows as a loss, and the next probe starts connected again.
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const subscriber = new SteadySubscriber(client);
    await client.connect();
    await subscriber.nextArrivalAfter(performance.now(), 5000);
    return subscriber;
  }

  /** How steady the feed was from `since` until the first message after now (waiting at most `boundMs`). */
  async steadinessSince(since: number, boundMs: number): Promise<Steadiness> {
    const until = performance.now();
    await this.nextArrivalAfter(until, boundMs);
    const now = performance.now();
    const window = this.arrivals.filter((t) => t > since && t <= now);
    const before = this.arrivals.filter((t) => t <= since).at(-1) ?? since;
    let largestGapMs = 0;
    let previous = before;
    for (const t of window) {
      largestGapMs = Math.max(largestGapMs, t - previous);
      previous = t;
    }
    // Nothing came after the window: the gap is still open.
    if (window.length === 0 || window.at(-1)! <= until) largestGapMs = Math.max(largestGapMs, now - previous);
    const lost = this.losses.filter((l) => l.at > since);
    return { largestGapMs, lost: lost.length, lostBecause: lost.map((l) => l.code) };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async nextArrivalAfter(time: number, boundMs: number): Promise<void> {
    const deadline = performance.now() + boundMs;
    while ((this.arrivals.at(-1) ?? -Infinity) <= time && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

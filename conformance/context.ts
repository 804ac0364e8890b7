/**
 * What one check gets to work with: library clients and raw probes aimed at the target, its HTTP
 * endpoints (/stats, PUT /feed, POST /drop) and fresh channel names; everything it opens is closed
 * when it ends, whatever happened.
 */
import { ServerApi } from '../bench/server-api.ts';
import type { ClientOptions, PushClient } from '../clients/client.ts';
import { createClient } from '../clients/create-client.ts';
import type { Encoding } from '../scenarios/constants.ts';
import { parseCursor } from '../scenarios/names.ts';
import type { ServerStatsSnapshot } from '../servers/stats.ts';
import { probeFor, type Probe } from './probes.ts';
import { record, type Recorder } from './recorder.ts';
import type { Target } from './target.ts';
import { waitFor } from './wait.ts';

/** Distinguishes this process's channel names from any earlier run's: the server's state carries over between checks and runs. */
const RUN_ID = Math.random().toString(36).slice(2, 8);
let nameCount = 0;

export class CheckContext {
  readonly api: ServerApi;
  readonly probe: Probe;
  private readonly cleanups: (() => Promise<unknown>)[] = [];
  private feedPayloadBytes = 0;
  private feedStarted = false;

  constructor(
    readonly target: Target,
    readonly encoding: Encoding,
  ) {
    this.api = new ServerApi(target.baseUrl, target.token);
    this.probe = probeFor(target);
  }

  /** Runs when the check ends, last registered first. */
  defer(task: () => Promise<unknown>): void {
    this.cleanups.push(task);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.cleanups.splice(0).reverse().map((task) => task()));
  }

  /** A channel or client name no earlier check or run used: a fresh room starts at seq 1. */
  name(prefix: string): string {
    return `${prefix}-${RUN_ID}-${++nameCount}`;
  }

  /** A library client of the target's transport in this check's encoding, with the token, not reconnecting unless asked. */
  client(options: Partial<ClientOptions> = {}): Recorder {
    const client = createClient(this.target.transport, {
      url: this.target.baseUrl,
      encoding: this.encoding,
      reconnect: false,
      ...(this.target.token === null ? {} : { token: this.target.token }),
      ...options,
    });
    this.defer(() => client.close());
    return record(client);
  }

  /** A client that has connected. */
  async connected(options: Partial<ClientOptions> = {}): Promise<Recorder> {
    const recorder = this.client(options);
    await recorder.client.connect();
    return recorder;
  }

  /**
   * A client to publish chat messages with: a WebSocket sends over its own connection, SSE and
   * long-poll clients POST /messages without one (on SSE anonymously: a send under a client id
   * needs the key of that client's open stream, §6.4).
   */
  async sender(): Promise<PushClient> {
    const { client } = this.client(this.target.transport === 'sse' ? {} : { clientId: this.name('sender') });
    if (this.target.transport === 'ws') await client.connect();
    return client;
  }

  /** Sends `count` chat messages to `room` (mid 0, 1, ...), a window of them in flight at once; the hub's seqs, not the mids, give their order. */
  async publish(sender: PushClient, room: string, count: number, payload: string | Uint8Array): Promise<void> {
    const window = 32;
    for (let first = 0; first < count; first += window) {
      const mids = Array.from({ length: Math.min(window, count - first) }, (_, i) => first + i);
      await Promise.all(mids.map((mid) => sender.send({ type: 'send', room, mid, payload })));
    }
  }

  /** GET /stats, which every server serves (§10). */
  async stats(): Promise<ServerStatsSnapshot> {
    const stats = await this.api.stats();
    if (stats === null) throw new Error(`GET /stats did not answer 200: every server serves it (docs/PROTOCOL.md §10)`);
    return stats;
  }

  /** The channel's latest seq, as a new subscriber is told it (WS/SSE welcome, long-poll handshake). */
  async latestSeq(channel: string, kind: 'topic' | 'room'): Promise<number> {
    const { client } = this.client(kind === 'topic' ? { topics: [channel] } : { rooms: [channel] });
    const open = await client.connect();
    await client.close();
    return parseCursor(open.cursor).get(channel) ?? 0;
  }

  /** Runs the feed at this rate (PUT /feed); it is stopped again when the check ends. */
  async startFeed(ratePerSec: number, payloadBytes: number): Promise<void> {
    if (!this.feedStarted) this.defer(() => this.api.setFeed(0, this.feedPayloadBytes));
    this.feedStarted = true;
    this.feedPayloadBytes = payloadBytes;
    if (!(await this.api.setFeed(ratePerSec, payloadBytes))) throw new Error('PUT /feed answered 404 although it was served when the run started');
  }

  /** Stops the feed and returns the topic's latest seq, the last one a subscriber must receive. */
  async stopFeed(): Promise<number> {
    await this.api.setFeed(0, this.feedPayloadBytes);
    return this.latestSeq(this.target.topic, 'topic');
  }

  /** Waits for a condition for up to `factor` times the target's timeout. */
  wait(condition: () => boolean | Promise<boolean>, what: string, factor = 1): Promise<void> {
    return waitFor(condition, what, this.target.timing.timeoutMs * factor);
  }

  /** The query every raw probe needs besides its own parameters. */
  withToken(query: string): string {
    return this.target.token === null ? query : `${query}&token=${encodeURIComponent(this.target.token)}`;
  }
}

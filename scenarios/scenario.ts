/**
 * What a scenario is to the bench (pure): who connects to what, who sets the pace, where its sizes,
 * rates and payload come from in the configuration, and how its offered load is counted. The bench
 * asks these questions instead of branching on scenario names; feed.ts and chat.ts answer them.
 */
import type { RunLoad } from '../metrics/result-types.ts';
import type { BenchConfig } from './bench-options.ts';
import type { ClientKind, ScenarioName } from './constants.ts';

/** One connection: the topics and rooms it joins (the load and page clients take the same shape). */
export interface ConnectionSpec {
  /** Client id, also the `from` of the chat messages it sends. */
  id: string;
  topics: string[];
  rooms: string[];
}

/**
 * Who sets the pace. publisher: the server publishes `rate` messages per second (PUT /feed) and the
 * clients only receive. senders: every connection sends `rate` messages per second on an open-loop
 * schedule (the workers send from each connection that is in a room).
 */
export type Pace = 'publisher' | 'senders';

/** The part of runs[].load that says what the scenario's load was; the rest is the same for every scenario. */
export type ScenarioLoad = Pick<RunLoad, 'publishRatePerSec' | 'sendRatePerMember' | 'rooms' | 'membersPerRoom'>;

export interface Scenario {
  readonly name: ScenarioName;
  /** The scenario's name as a heading ("Feed", "Chat"). */
  readonly title: string;
  readonly pace: Pace;
  /** Senders get their own messages back, so runs measure round trips (chat) besides delivery latency. */
  readonly roundTrips: boolean;
  /** Payload bytes of every message, from the scenario's own group of the configuration. */
  payloadBytes(config: BenchConfig): number;
  /** Connections a run opens with this kind of client. */
  connections(config: BenchConfig, client: ClientKind): number;
  /** One spec per connection; `topic` is the server's feed topic. */
  connectionSpecs(config: BenchConfig, client: ClientKind, topic: string): ConnectionSpec[];
  /** The fixed-load run's rate, in the unit of `pace` (messages published per second, or sends per member per second). */
  fixedRate(config: BenchConfig, client: ClientKind): number;
  /** Fixed capacity steps, in the same unit; null: the search picks its steps. */
  capacityRates(config: BenchConfig): number[] | null;
  /** Where the capacity search starts and the highest rate it tries, in the same unit (when capacityRates gives no fixed steps). */
  capacityBounds(config: BenchConfig): { startRate: number; maxRate: number };
  /**
   * The configuration with Node clients sized to about `connections` and the run's rate set to `rate`
   * (the connections-axis capacity search: one step per count). Chat rounds down to whole rooms.
   */
  sizedFor(config: BenchConfig, connections: number, rate: number): BenchConfig;
  /** Messages published per second at `rate` over `connections`. */
  messagesPerSec(rate: number, connections: number): number;
  /** Deliveries each message makes (so offered deliveries per second = messages per second x this). */
  recipientsPerMessage(config: BenchConfig, client: ClientKind, connections: number): number;
  load(rate: number, config: BenchConfig, client: ClientKind): ScenarioLoad;
  /**
   * Browser SSE and long-poll clients per origin, at most CHROMIUM_CONNECTIONS_PER_ORIGIN: a client
   * that also sends needs room in the same pool for its POSTs.
   */
  readonly streamsPerOrigin: number;
  /**
   * Warm-up added before a Node session's first window. Chat sends over HTTP start cold (the server's POST
   * path not yet compiled, the load client's connection pools not open): measured here, the backlog of
   * the first seconds took about 5 s to drain, and with the default 2 s warm-up it drained into the
   * window (SSE round trip p99 1.2 s, against 38 ms with 6 s of warm-up).
   */
  readonly coldStartWarmupMs: number;
  /** Whether a browser run is followed by a reconnect run (the server drops every connection mid-window). */
  readonly reconnectRun: boolean;
  /** The run's size in words, for messages (e.g. "3 rooms x 10 members"). */
  describeSize(config: BenchConfig, client: ClientKind): string;
  /** The options (and flags) that size it, for messages that ask to lower it. */
  readonly sizedBy: Readonly<Record<ClientKind, string>>;
}

/** Connection ids by client kind, so a Node and a browser client never share an id. */
export const CLIENT_ID_PREFIX: Readonly<Record<ClientKind, string>> = { node: '', browser: 'b' };

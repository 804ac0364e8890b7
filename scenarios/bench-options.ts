/**
 * The shape of the bench's configuration (the types only), apart from its defaults and validation
 * in bench-config.ts, so the scenario modules can name it without importing the validator that
 * asks them for their sizes.
 */
import type { ClientKind, Encoding, ScenarioName, TransportName } from './constants.ts';

export const PROFILES = ['quick', 'default'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** What a capacity search varies: the offered rate on fixed connections, or the connections at a fixed rate per connection. */
export const CAPACITY_AXES = ['rate', 'connections'] as const;
export type CapacityAxis = (typeof CAPACITY_AXES)[number];
/** How the lab's own servers size their V8 heap (bench/server-heap.ts): Node's defaults, or a small heap that costs CPU. */
export const SERVER_HEAPS = ['default', 'lean'] as const;
export type ServerHeap = (typeof SERVER_HEAPS)[number];

export interface FeedConfig {
  /** Subscribers, all on one topic. */
  subscribers: number;
  /** Messages published per second (each subscriber receives them all). */
  ratePerSec: number;
  payloadBytes: number;
}

export interface ChatConfig {
  rooms: number;
  membersPerRoom: number;
  /** Messages each member sends per second, on an open-loop schedule. */
  sendRatePerMember: number;
  payloadBytes: number;
}

/** Clients inside headless Chromium (clients/browser/), run when `clients` includes 'browser'. */
export interface BrowserConfig {
  /** Feed subscribers and chat rooms x members for browser clients (Node clients use feed and chat). */
  feedSubscribers: number;
  chatRooms: number;
  chatMembersPerRoom: number;
  /** Feed messages per second and chat sends per member per second for browser runs; null: the Node runs' rates. */
  feedRatePerSec: number | null;
  chatSendRatePerMember: number | null;
  clientsPerPage: number;
  /** More clients than this start another Chromium (each has its own 6-per-origin pool and its own renderers). */
  clientsPerBrowser: number;
  /** After each browser feed run, a run in which the server cuts every connection mid-window. */
  reconnect: boolean;
  /** The dedicated measurement that shows Chromium's 6 connections per host:port. */
  connectionLimit: boolean;
}

export interface CapacityConfig {
  enabled: boolean;
  scenarios: ScenarioName[];
  /** Fixed feed steps: publish rates per second (deliveries = rate x subscribers); given, they replace the search. null: search. */
  feedRates: number[] | null;
  /** Fixed chat steps: sends per member per second; given, they replace the search. null: search. */
  chatRates: number[] | null;
  /** The search's first rate (feed: publish rate; chat: sends per member per second); it doubles from there while steps hold. */
  feedStartRate: number;
  chatStartRate: number;
  /** The highest rate the search tries: a step there that holds ends it ("at least"). */
  feedMaxRate: number;
  chatMaxRate: number;
  /** At most this many steps per search, however it stands: bounds a run's time. */
  maxSteps: number;
  /** Bisect until the lowest rate that broke is within this fraction above the highest that held (0.1: 10 %). */
  resolution: number;
  stepWarmupMs: number;
  stepDurationMs: number;
  /** The SLO a step must meet: p99 delivery latency (and chat round trip) at most this, and at most sloMaxLoss lost messages. */
  sloP99Ms: number;
  sloMaxLoss: number;
  /** rate: the rate is searched on the run's connections; connections: the connection count is searched, each step with a fresh server and fresh connections. */
  axis: CapacityAxis;
  /** Connections axis: the first step's connections (feed subscribers; chat members, in rooms of chat.membersPerRoom); it doubles from there while steps hold. */
  startConnections: number;
  /** Connections axis: the most connections the search tries (workers share them: a process here may hold 20,000 files). */
  maxConnections: number;
  /** Connections axis: the rate held at every step (feed: messages published per second; chat: sends per member per second). */
  connectionRate: number;
}

export interface BenchConfig {
  profile: ProfileName;
  transports: TransportName[];
  scenarios: ScenarioName[];
  clients: ClientKind[];
  encodings: Encoding[];
  feed: FeedConfig;
  chat: ChatConfig;
  browser: BrowserConfig;
  warmupMs: number;
  durationMs: number;
  /** After a window, wait for late messages until arrivals stop, at most this long. */
  drainMaxMs: number;
  capacity: CapacityConfig;
  /** Connection attempts per second (all workers together), and handshakes in flight. */
  connectRatePerSec: number;
  maxConnectsInFlight: number;
  /** Load worker processes; 0 picks one per core, more when connections need more file descriptors. */
  workers: number;
  /** Measure this already-running server instead of starting one (http://host:port). */
  target: string | null;
  token: string | null;
  /** Where results go: <out>/<timestamp>/results.json and <out>/latest/results.json. */
  out: string;
  json: boolean;
  /**
   * How many times each fixed run and each capacity search is measured: the whole matrix once per
   * round, transports alternating (ws, sse, long-poll, ws, ...), so drift over the bench hits all alike.
   */
  repeat: number;
  /** Linux with taskset: the server process on the first CPU, the load workers on the others. */
  pin: boolean;
  /** The V8 heap sizing of the lab's own servers (not of a --target). */
  serverHeap: ServerHeap;
}

/** A partial configuration, as a profile, a scenario file or the flags give it. */
export type BenchConfigLayer = { [K in keyof BenchConfig]?: BenchConfig[K] extends object ? (BenchConfig[K] extends unknown[] ? BenchConfig[K] : Partial<BenchConfig[K]>) : BenchConfig[K] };

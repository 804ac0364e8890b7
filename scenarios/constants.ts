/** The vocabulary every part of the lab shares: transport and encoding names, endpoints, close codes and limits. */

export const TRANSPORTS = ['ws', 'sse', 'long-poll'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export const ENCODINGS = ['json', 'binary'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** The scenarios, in the order the bench runs them and the reports show them; each is a module (scenarios/registry.ts). */
export const SCENARIO_NAMES = ['feed', 'chat'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Who holds the connections: the lab's Node load workers, or pages in headless Chromium. */
export const CLIENT_KINDS = ['node', 'browser'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** Chromium opens at most this many HTTP/1.1 connections per host:port, browser-wide; a 7th waits. */
export const CHROMIUM_CONNECTIONS_PER_ORIGIN = 6;

/** HTTP paths. Every server serves its own transport's paths plus /stats and /health. */
export const PATHS = {
  ws: '/ws',
  sse: '/sse',
  poll: '/poll',
  messages: '/messages',
  stats: '/stats',
  health: '/health',
  /** Optional admin endpoint: PUT sets the feed rate and payload size while clients stay connected. */
  feed: '/feed',
  /** Optional admin endpoint: POST destroys every other open connection at once, as a network failure would. */
  drop: '/drop',
} as const;

/** Response header that carries a long-poll client's position after a batch. */
export const CURSOR_HEADER = 'pushbench-cursor';
/** Response header naming ranges the replay buffer no longer held (long-poll). */
export const TRUNCATED_HEADER = 'pushbench-truncated';

/** WebSocket close codes. 4001-4003 follow the auth convention of the seed notes. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  messageTooBig: 1009,
  unauthorized: 4001,
  tokenExpired: 4002,
  forbidden: 4003,
  slowConsumer: 4008,
  badRequest: 4400,
} as const;

/** Topic, room and client names: short, URL-safe, no separator characters of the cursor syntax. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const NAME_RULE = '1 to 64 characters from A-Z a-z 0-9 _ . -';

/** Limits of the wire format itself (not tunable). */
export const WIRE_LIMITS = {
  maxChannelsPerConnection: 64,
  maxMessageId: 0xffff_ffff,
} as const;

/** Server defaults; each can be changed by a flag of `npm run serve`. */
export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  topics: ['ticks'] as readonly string[],
  feedRate: 10,
  payloadBytes: 64,
  encoding: 'json' as Encoding,
  maxMessageBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  replaySize: 8192,
  maxRooms: 10_000,
  roomIdleMs: 60_000,
  maxReplayBytes: 256 * 1024 * 1024,
  heartbeatMs: 15_000,
  pollTimeoutMs: 25_000,
  pollMaxBatchBytes: 1024 * 1024,
  sseRetryMs: 1000,
  extraPorts: 0,
} as const;

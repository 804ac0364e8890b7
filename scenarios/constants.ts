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
  /** Control endpoint: POST {"client":"id"} bans a client id and closes its connections. */
  ban: '/ban',
  /** Control endpoint: POST {"client":"id"} lifts a ban. */
  unban: '/unban',
  /** Optional control endpoint: GET ?from=<µs>&to=<µs>, what each channel published with its ts in that range. */
  published: '/published',
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
  /** RFC 6455 "policy violation": a connection that kept sending over its message rate limit. */
  rateLimited: 1008,
} as const;

/** The reason of a 1008 close, in the seed notes' words. */
export const RATE_LIMIT_CLOSE_REASON = 'rate limit exceeded';

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
  // Rate limits (docs/PROTOCOL.md §9.1): generous or off, so the bench's own load from 127.0.0.1
  // (up to 20,000 connections, up to 1,000 chat messages per second per member) never trips them.
  /** Messages per second per client (WS connection; POST /messages client id per address); 0: no limit. */
  rateLimitMessages: 10_000,
  /** Messages a client may send at once above the rate; 0: one second's worth of the rate. */
  rateLimitBurst: 0,
  /** WS: refused messages within one second that close the connection with 1008; 0: never close. */
  rateLimitCloseAfter: 100,
  /** WS upgrades and SSE streams per second per remote address; 0: no limit. */
  connectRateLimit: 0,
  /** Connection attempts at once above that rate; 0: one second's worth of the rate. */
  connectBurst: 0,
  /** Long polls held at once per remote address; 0: no limit. */
  maxHeldPollsPerIp: 0,
  /** POST /messages bodies being received at once per remote address; 0: no limit. */
  maxUploadsPerIp: 0,
  /** Longest time to receive a whole request, headers and body (node:http requestTimeout); 0: none. */
  requestTimeoutMs: 30_000,
} as const;

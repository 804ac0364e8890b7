/** Server options: defaults, then one validation pass whose messages name the option and its range. */
import { ENCODINGS, SERVER_DEFAULTS, TRANSPORTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { isValidName } from '../scenarios/names.ts';
import { isOriginEntry, LOOPBACK_ORIGINS, randomToken } from './access.ts';

export interface ServerOptions {
  transport: TransportName;
  host: string;
  /** 0 picks a free port. */
  port: number;
  topics: readonly string[];
  /** Messages per second per topic; 0 publishes nothing. */
  feedRate: number;
  payloadBytes: number;
  /** Default data encoding; a connection may ask for the other with ?encoding=. */
  encoding: Encoding;
  /** When set, every connection and request must present it (or a token minted from it, scenarios/tokens.ts). */
  token: string | undefined;
  /** Required by the control calls (PUT /feed, POST /drop, /ban, /unban, /stats?reset=1); default: `token`, else a random one. */
  controlToken: string;
  /** Browser origins whose pages may use the server: exact origins, `loopback` (the default) or `*`. */
  allowOrigins: readonly string[];
  /** Client ids refused from the start (POST /ban adds more). */
  ban: readonly string[];
  maxMessageBytes: number;
  maxBufferedBytes: number;
  replaySize: number;
  /** Live rooms at most. */
  maxRooms: number;
  /** A room with no member and no new message for this long is freed; 0 never frees one. */
  roomIdleMs: number;
  /** Bytes held by every replay buffer together; over it the oldest messages server-wide are dropped. */
  maxReplayBytes: number;
  heartbeatMs: number;
  pollTimeoutMs: number;
  pollMaxBatchBytes: number;
  sseRetryMs: number;
  /** Free ports to listen on besides `port`, same host, same server (browsers allow 6 HTTP/1.1 connections per host:port). */
  extraPorts: number;
  /** Rate limits and bounds per client and per address (docs/PROTOCOL.md §9.1); 0 turns each off. */
  rateLimitMessages: number;
  rateLimitBurst: number;
  rateLimitCloseAfter: number;
  connectRateLimit: number;
  connectBurst: number;
  maxHeldPollsPerIp: number;
  maxUploadsPerIp: number;
  requestTimeoutMs: number;
}

export type ServerOptionsInput = Partial<ServerOptions> & { transport: TransportName };

interface IntRange {
  min: number;
  max: number;
}

export const INT_OPTION_RANGES = {
  port: { min: 0, max: 65535 },
  feedRate: { min: 0, max: 1_000_000 },
  payloadBytes: { min: 0, max: 16 * 1024 * 1024 },
  maxMessageBytes: { min: 64, max: 64 * 1024 * 1024 },
  maxBufferedBytes: { min: 1024, max: 1024 * 1024 * 1024 },
  replaySize: { min: 1, max: 10_000_000 },
  maxRooms: { min: 1, max: 10_000_000 },
  roomIdleMs: { min: 0, max: 86_400_000 },
  maxReplayBytes: { min: 1024, max: 64 * 1024 * 1024 * 1024 },
  heartbeatMs: { min: 10, max: 3_600_000 },
  pollTimeoutMs: { min: 10, max: 600_000 },
  pollMaxBatchBytes: { min: 1024, max: 256 * 1024 * 1024 },
  sseRetryMs: { min: 0, max: 3_600_000 },
  extraPorts: { min: 0, max: 64 },
  rateLimitMessages: { min: 0, max: 10_000_000 },
  rateLimitBurst: { min: 0, max: 10_000_000 },
  rateLimitCloseAfter: { min: 0, max: 10_000_000 },
  connectRateLimit: { min: 0, max: 10_000_000 },
  connectBurst: { min: 0, max: 10_000_000 },
  maxHeldPollsPerIp: { min: 0, max: 10_000_000 },
  maxUploadsPerIp: { min: 0, max: 10_000_000 },
  requestTimeoutMs: { min: 0, max: 3_600_000 },
} satisfies Record<string, IntRange>;

function checkInt(name: keyof typeof INT_OPTION_RANGES, value: number): void {
  const { min, max } = INT_OPTION_RANGES[name];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError('BAD_OPTION', `option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

export function resolveServerOptions(input: ServerOptionsInput): ServerOptions {
  const given = {
    host: SERVER_DEFAULTS.host,
    port: SERVER_DEFAULTS.port,
    topics: SERVER_DEFAULTS.topics,
    feedRate: SERVER_DEFAULTS.feedRate,
    payloadBytes: SERVER_DEFAULTS.payloadBytes,
    encoding: SERVER_DEFAULTS.encoding,
    token: undefined,
    allowOrigins: [LOOPBACK_ORIGINS] as readonly string[],
    ban: [] as readonly string[],
    maxMessageBytes: SERVER_DEFAULTS.maxMessageBytes,
    maxBufferedBytes: SERVER_DEFAULTS.maxBufferedBytes,
    replaySize: SERVER_DEFAULTS.replaySize,
    maxRooms: SERVER_DEFAULTS.maxRooms,
    roomIdleMs: SERVER_DEFAULTS.roomIdleMs,
    maxReplayBytes: SERVER_DEFAULTS.maxReplayBytes,
    heartbeatMs: SERVER_DEFAULTS.heartbeatMs,
    pollTimeoutMs: SERVER_DEFAULTS.pollTimeoutMs,
    pollMaxBatchBytes: SERVER_DEFAULTS.pollMaxBatchBytes,
    sseRetryMs: SERVER_DEFAULTS.sseRetryMs,
    extraPorts: SERVER_DEFAULTS.extraPorts,
    rateLimitMessages: SERVER_DEFAULTS.rateLimitMessages,
    rateLimitBurst: SERVER_DEFAULTS.rateLimitBurst,
    rateLimitCloseAfter: SERVER_DEFAULTS.rateLimitCloseAfter,
    connectRateLimit: SERVER_DEFAULTS.connectRateLimit,
    connectBurst: SERVER_DEFAULTS.connectBurst,
    maxHeldPollsPerIp: SERVER_DEFAULTS.maxHeldPollsPerIp,
    maxUploadsPerIp: SERVER_DEFAULTS.maxUploadsPerIp,
    requestTimeoutMs: SERVER_DEFAULTS.requestTimeoutMs,
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
  } as Omit<ServerOptions, 'controlToken'> & { controlToken?: string };
  // Control calls are never open: without a token of their own they take the client token, else a secret nobody else has.
  const options: ServerOptions = { ...given, controlToken: given.controlToken ?? given.token ?? randomToken() };
  if (!TRANSPORTS.includes(options.transport)) {
    throw new UsageError('BAD_OPTION', `option transport must be one of ${TRANSPORTS.join(', ')}, got ${String(options.transport)}`);
  }
  if (!ENCODINGS.includes(options.encoding)) {
    throw new UsageError('BAD_OPTION', `option encoding must be one of ${ENCODINGS.join(', ')}, got ${String(options.encoding)}`);
  }
  for (const name of Object.keys(INT_OPTION_RANGES) as (keyof typeof INT_OPTION_RANGES)[]) checkInt(name, options[name]);
  if (options.topics.length === 0 || options.topics.some((t) => !isValidName(t))) {
    throw new UsageError('BAD_OPTION', `option topics must be one or more names of 1 to 64 characters from A-Z a-z 0-9 _ . -, got ${JSON.stringify(options.topics)}`);
  }
  for (const name of ['token', 'controlToken'] as const) {
    const token = options[name];
    if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 512 || /[\s,]/.test(token))) {
      throw new UsageError('BAD_OPTION', `option ${name} must be 1 to 512 characters without spaces or commas`);
    }
  }
  if (options.allowOrigins.length === 0 || !options.allowOrigins.every(isOriginEntry)) {
    throw new UsageError('BAD_OPTION', `option allowOrigins must be origins such as http://127.0.0.1:3000 (scheme://host[:port], no path), loopback or *, got ${JSON.stringify(options.allowOrigins)}`);
  }
  if (options.ban.some((client) => !isValidName(client))) {
    throw new UsageError('BAD_OPTION', `option ban must be client ids of 1 to 64 characters from A-Z a-z 0-9 _ . -, got ${JSON.stringify(options.ban)}`);
  }
  if (typeof options.host !== 'string' || options.host === '') throw new UsageError('BAD_OPTION', 'option host must be a host name or address, such as 127.0.0.1');
  return options;
}

/**
 * The server under test as the checks see it, learnt over the wire the way the bench learns a
 * --target: its transport from /health, its topic from /stats, and from the caller what the wire
 * cannot tell (token, encodings, limits it was started with).
 */
import { ServerApi } from '../bench/server-api.ts';
import { targetTransport } from '../bench/target.ts';
import { ENCODINGS, SERVER_DEFAULTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';

/**
 * What a check may need. The first three are real differences between the transports (docs/PROTOCOL.md
 * §6); the others are optional endpoints a server may leave out (§10.1, §10.2) and a token it may be
 * started with (§7).
 */
export type Capability = 'membership' | 'backPressureCut' | 'polling' | 'streamKey' | 'feedControl' | 'drop' | 'token';

export const TRANSPORT_CAPABILITIES: Record<TransportName, readonly Capability[]> = {
  /** join/leave on an open connection; a reader that stalls is cut when its outgoing buffer fills. */
  ws: ['membership', 'backPressureCut'],
  /** SSE client ids are held by streams: POST /messages acts for one only with its stream's key (§6.4). */
  sse: ['membership', 'backPressureCut', 'streamKey'],
  /** A poll names its rooms itself; each answer is bounded by --poll-max-batch-bytes instead of a buffer. */
  'long-poll': ['polling'],
};

/** The server's limits the checks size their load by; a server's own flags when it was not started with the protocol's defaults. */
export interface ServerLimits {
  maxMessageBytes: number;
  maxBufferedBytes: number;
  pollMaxBatchBytes: number;
}

export interface Timing {
  /** Longest wait for one expected event (a delivery, a reply, a counter); a wait ends as soon as it happens. */
  timeoutMs: number;
  /** The library clients' first reconnect delay; "never reconnects" is watched for 10 of these. */
  reconnectDelayMs: number;
}

export interface Target {
  baseUrl: string;
  transport: TransportName;
  encodings: readonly Encoding[];
  token: string | null;
  /** A feed topic the server publishes. */
  topic: string;
  limits: ServerLimits;
  timing: Timing;
  capabilities: ReadonlySet<Capability>;
  /** The feed publishes nothing unless a check runs it (stopped through PUT /feed, or at rate 0): counters can be exact. */
  feedQuiet: boolean;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxMessageBytes: SERVER_DEFAULTS.maxMessageBytes,
  maxBufferedBytes: SERVER_DEFAULTS.maxBufferedBytes,
  pollMaxBatchBytes: SERVER_DEFAULTS.pollMaxBatchBytes,
};

export const DEFAULT_TIMING: Timing = { timeoutMs: 10_000, reconnectDelayMs: 50 };

export interface TargetOptions {
  baseUrl: string;
  token?: string | null;
  /** When given, /health must name it. */
  transport?: TransportName;
  topic?: string;
  encodings?: readonly Encoding[];
  limits?: Partial<ServerLimits>;
  timing?: Partial<Timing>;
}

export interface DiscoveredTarget {
  target: Target;
  /** Puts the feed back as it was found. */
  restore(): Promise<void>;
}

/** Probes the server once: /health, /stats, and whether it serves the optional PUT /feed and POST /drop. Stops its feed while checks run. */
export async function discoverTarget(options: TargetOptions): Promise<DiscoveredTarget> {
  const baseUrl = options.baseUrl.replace(/\/$/, '');
  const token = options.token ?? null;
  const api = new ServerApi(baseUrl, token);
  const transport = await targetTransport(api, options.transport === undefined ? [] : [options.transport], '--transport');
  const stats = await api.stats();
  if (stats === null && (await fetch(`${baseUrl}/stats`)).status === 401) {
    throw new UsageError('TARGET_MISMATCH', `--target ${baseUrl} requires a token${token === null ? '' : ' and refused the one given'}: pass the token it was started with as --token T`);
  }
  const capabilities = new Set<Capability>(TRANSPORT_CAPABILITIES[transport]);
  if (token !== null) capabilities.add('token');
  // The feed's original settings are needed to put it back, so PUT /feed is used only when /stats shows them.
  const feedControl =
    stats !== null &&
    (await api.setFeed(0, stats.feed.payloadBytes).catch((err: Error) => {
      // Control calls are never open (§10.3): the checks need the token they take.
      if (/answered 40[13]/.test(err.message)) {
        throw new UsageError('TARGET_MISMATCH', `--target ${baseUrl} refused PUT /feed (${err.message.slice(0, 120)}): start it with a token that is also its control token (the reference server: --token T) and pass that token as --token T`);
      }
      return false;
    }));
  if (feedControl) capabilities.add('feedControl');
  // Nothing of the runner's is open yet, so this drops nothing of its own.
  if ((await api.drop().catch(() => null)) !== null) capabilities.add('drop');
  const target: Target = {
    baseUrl,
    transport,
    encodings: options.encodings ?? ENCODINGS,
    token,
    topic: options.topic ?? stats?.feed.topics[0] ?? SERVER_DEFAULTS.topics[0]!,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    timing: { ...DEFAULT_TIMING, ...options.timing },
    capabilities,
    feedQuiet: feedControl || stats?.feed.rate === 0,
  };
  return {
    target,
    restore: async () => {
      if (feedControl) await api.setFeed(stats.feed.rate, stats.feed.payloadBytes);
    },
  };
}

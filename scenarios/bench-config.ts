/**
 * The bench's configuration: typed, with profiles as defaults, a scenario file and CLI flags as
 * layers on top, and one validation pass whose messages name the option (or flag), its accepted
 * range, and where the bad value came from. Pure: no I/O.
 */
import { CLIENT_KINDS, ENCODINGS, SCENARIO_NAMES, TRANSPORTS, type ClientKind, type Encoding, type ScenarioName } from './constants.ts';
import { UsageError } from './errors.ts';
import { targetUrlProblem } from './target-url.ts';
import { scenarioOf } from './registry.ts';
import { CAPACITY_AXES, PROFILES, SERVER_HEAPS, type BenchConfig, type BenchConfigLayer, type ProfileName } from './bench-options.ts';

export * from './bench-options.ts';


const COMMON = {
  transports: [...TRANSPORTS],
  scenarios: [...SCENARIO_NAMES],
  clients: ['node'] as ClientKind[],
  encodings: ['json'] as Encoding[],
  connectRatePerSec: 5000,
  maxConnectsInFlight: 200,
  workers: 0,
  target: null,
  token: null,
  out: 'reports',
  json: false,
  repeat: 1,
  // Off until measured: whether pinning lowers the spread on this machine decides its default.
  pin: false,
  // Lean halved server memory per connection but cost a third of long-poll's feed capacity (bench/server-heap.ts).
  serverHeap: 'default',
} satisfies Partial<BenchConfig>;

/** The most connections one run opens (the per-process file limit here is 20,000; workers share them). */
export const MAX_CONNECTIONS = 20_000;

/**
 * The connections axis is off by default (axis rate). When asked for, it starts at 1,000 and may go up
 * to MAX_CONNECTIONS; 2 messages/s per connection is light enough that the count, not the rate, is what runs out.
 */
const CONNECTIONS_AXIS = { axis: 'rate', startConnections: 1000, maxConnections: MAX_CONNECTIONS, connectionRate: 2 } satisfies Partial<BenchConfig['capacity']>;

export const PROFILE_DEFAULTS: Record<ProfileName, BenchConfig> = {
  quick: {
    ...COMMON,
    profile: 'quick',
    feed: { subscribers: 200, ratePerSec: 50, payloadBytes: 100 },
    chat: { rooms: 20, membersPerRoom: 10, sendRatePerMember: 2, payloadBytes: 100 },
    browser: { feedSubscribers: 30, chatRooms: 3, chatMembersPerRoom: 10, feedRatePerSec: 10, chatSendRatePerMember: 1, clientsPerPage: 25, clientsPerBrowser: 150, reconnect: true, connectionLimit: true },
    warmupMs: 1000,
    durationMs: 3000,
    drainMaxMs: 2000,
    capacity: { enabled: true, scenarios: ['feed'], feedRates: null, chatRates: null, feedStartRate: 200, chatStartRate: 2, feedMaxRate: 100_000, chatMaxRate: 1000, maxSteps: 10, resolution: 0.1, stepWarmupMs: 500, stepDurationMs: 2000, sloP99Ms: 100, sloMaxLoss: 0, ...CONNECTIONS_AXIS },
  },
  default: {
    ...COMMON,
    profile: 'default',
    clients: ['node', 'browser'],
    feed: { subscribers: 1000, ratePerSec: 100, payloadBytes: 100 },
    chat: { rooms: 100, membersPerRoom: 10, sendRatePerMember: 2, payloadBytes: 100 },
    // A modest browser run beside the Node one: what users get, not what the transports cost. Chromium
    // spent about 180 µs of CPU per WebSocket message, 240 µs per SSE message and 1.5 ms per long-poll
    // delivery here: 50 long-poll clients at 20/s already took 1.6 of the machine's 2 cores.
    browser: { feedSubscribers: 50, chatRooms: 3, chatMembersPerRoom: 10, feedRatePerSec: 10, chatSendRatePerMember: 1, clientsPerPage: 25, clientsPerBrowser: 150, reconnect: true, connectionLimit: true },
    warmupMs: 2000,
    durationMs: 5000,
    drainMaxMs: 3000,
    // At most 12 steps per search (about 4.7 s each with warm-up and drain): on this machine a search reaches 3 to 4 million
    // deliveries/s, 6 doublings from the start, then bisects 3 or 4 times to the 10 % resolution.
    capacity: { enabled: true, scenarios: ['feed'], feedRates: null, chatRates: null, feedStartRate: 100, chatStartRate: 2, feedMaxRate: 100_000, chatMaxRate: 1000, maxSteps: 12, resolution: 0.1, stepWarmupMs: 1000, stepDurationMs: 3000, sloP99Ms: 100, sloMaxLoss: 0, ...CONNECTIONS_AXIS },
  },
};

type Check = (value: unknown) => string | undefined;

const int =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `an integer from ${min} to ${max}`;
const millis =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `a duration from ${min / 1000} s to ${max / 1000} s (in ms: an integer from ${min} to ${max})`;
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `one of ${values.join(', ')}`;
const listOf =
  (values: readonly string[]): Check =>
  (v) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => values.includes(x as string)) && new Set(v).size === v.length
      ? undefined
      : `a non-empty list of distinct values from ${values.join(', ')}`;
const intList =
  (min: number, max: number): Check =>
  (v) =>
    Array.isArray(v) && v.length > 0 && v.length <= 20 && v.every((x) => Number.isInteger(x) && x >= min && x <= max) && v.every((x, i) => i === 0 || x > v[i - 1])
      ? undefined
      : `1 to 20 increasing integers from ${min} to ${max}`;
const fraction =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? undefined : `a fraction from ${min} to ${max} (0.1: 10 %)`;
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const text: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string');
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? undefined : check(v);
const loopbackUrl: Check = targetUrlProblem;

/** Browser clients in one run: each Chromium holds at most MAX_CLIENTS_PER_BROWSER, and this machine has 2 cores. */
export const MAX_BROWSER_CLIENTS = 1000;
/**
 * Chat SSE and long-poll clients take 3 per origin (their sends need connections too) and a server
 * offers at most 65 origins; Chromium also pools at most 256 sockets per profile.
 */
export const MAX_CLIENTS_PER_BROWSER = 180;

/** Repeats of the whole matrix: 20 rounds of the default profile already take well over an hour. */
export const MAX_REPEATS = 20;

/** Every option, by its path in BenchConfig, with its check. The same table validates files and flags. */
export const OPTION_CHECKS: Record<string, Check> = {
  profile: oneOf(PROFILES),
  transports: listOf(TRANSPORTS),
  scenarios: listOf(SCENARIO_NAMES),
  clients: listOf(CLIENT_KINDS),
  encodings: listOf(ENCODINGS),
  'feed.subscribers': int(1, 20_000),
  'feed.ratePerSec': int(1, 100_000),
  'feed.payloadBytes': int(1, 65_536),
  'chat.rooms': int(1, 10_000),
  'chat.membersPerRoom': int(2, 1000),
  'chat.sendRatePerMember': int(1, 1000),
  'chat.payloadBytes': int(1, 65_536),
  'browser.feedSubscribers': int(1, MAX_BROWSER_CLIENTS),
  'browser.chatRooms': int(1, 100),
  'browser.chatMembersPerRoom': int(2, 100),
  'browser.feedRatePerSec': nullable(int(1, 100_000)),
  'browser.chatSendRatePerMember': nullable(int(1, 1000)),
  'browser.clientsPerPage': int(1, 200),
  'browser.clientsPerBrowser': int(1, MAX_CLIENTS_PER_BROWSER),
  'browser.reconnect': bool,
  'browser.connectionLimit': bool,
  warmupMs: millis(0, 600_000),
  durationMs: millis(500, 3_600_000),
  drainMaxMs: millis(100, 60_000),
  'capacity.enabled': bool,
  'capacity.scenarios': listOf(SCENARIO_NAMES),
  'capacity.feedRates': nullable(intList(1, 100_000)),
  'capacity.chatRates': nullable(intList(1, 1000)),
  'capacity.feedStartRate': int(1, 100_000),
  'capacity.chatStartRate': int(1, 1000),
  'capacity.feedMaxRate': int(1, 100_000),
  'capacity.chatMaxRate': int(1, 1000),
  'capacity.maxSteps': int(2, 40),
  'capacity.resolution': fraction(0.01, 1),
  'capacity.stepWarmupMs': millis(0, 60_000),
  'capacity.stepDurationMs': millis(500, 600_000),
  'capacity.sloP99Ms': int(1, 600_000),
  'capacity.sloMaxLoss': int(0, 1_000_000_000),
  'capacity.axis': oneOf(CAPACITY_AXES),
  'capacity.startConnections': int(1, MAX_CONNECTIONS),
  'capacity.maxConnections': int(1, MAX_CONNECTIONS),
  'capacity.connectionRate': int(1, 1000),
  connectRatePerSec: int(1, 100_000),
  maxConnectsInFlight: int(1, 10_000),
  workers: int(0, 64),
  target: nullable(loopbackUrl),
  token: nullable(text),
  out: text,
  json: bool,
  repeat: int(1, MAX_REPEATS),
  pin: bool,
  serverHeap: oneOf(SERVER_HEAPS),
};

const NESTED = new Set(['feed', 'chat', 'browser', 'capacity']);

/** How a layer names its options in messages: flags show as --flag, file keys as their path. */
export interface LayerSource {
  /** e.g. 'scenario file ./my.json' or 'flag'. */
  description: string;
  /** Option path -> the flag that set it, for messages. */
  flagOf?: Record<string, string>;
}

/** Keys a layer may have at its top level (nested groups by their name). */
function topLevelKeys(): string[] {
  return [...new Set(Object.keys(OPTION_CHECKS).map((k) => k.split('.')[0]!))];
}

/** What an option accepts, in words (for messages that come before its value could be checked). */
export function acceptedValues(path: string): string {
  return OPTION_CHECKS[path]?.(Symbol('none')) ?? 'a valid value';
}

function describe(path: string, source: LayerSource): string {
  const flag = source.flagOf?.[path];
  return flag !== undefined ? `--${flag}` : `option "${path}" (${source.description})`;
}

/** Checks one layer: every key known, every value in range. Throws UsageError naming the first problem. */
export function validateLayer(layer: unknown, source: LayerSource): BenchConfigLayer {
  if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) {
    throw new UsageError('BAD_SCENARIO', `${source.description} must be a JSON object of options, such as {"feed": {"subscribers": 1000}}`);
  }
  const known = Object.keys(OPTION_CHECKS);
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    if (key.includes('.')) {
      const [head, ...rest] = key.split('.');
      const hint = NESTED.has(head!) ? `: write {"${head}": {"${rest.join('.')}": ...}}` : `; accepted: ${topLevelKeys().join(', ')}`;
      throw new UsageError('UNKNOWN_OPTION', `unknown option "${key}" in ${source.description}${hint}`);
    }
    if (NESTED.has(key)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new UsageError('BAD_SCENARIO', `option "${key}" (${source.description}) must be an object with keys ${known.filter((k) => k.startsWith(key + '.')).map((k) => k.slice(key.length + 1)).join(', ')}`);
      }
      for (const [inner, innerValue] of Object.entries(value)) checkOption(`${key}.${inner}`, innerValue, source);
    } else checkOption(key, value, source);
  }
  return layer as BenchConfigLayer;
}

function checkOption(path: string, value: unknown, source: LayerSource): void {
  const check = OPTION_CHECKS[path];
  if (check === undefined) {
    const prefix = path.includes('.') ? path.slice(0, path.indexOf('.') + 1) : '';
    const siblings = prefix === '' ? topLevelKeys() : Object.keys(OPTION_CHECKS).filter((k) => k.startsWith(prefix));
    throw new UsageError('UNKNOWN_OPTION', `unknown option "${path}" in ${source.description}; accepted: ${siblings.join(', ')}`);
  }
  const expected = check(value);
  if (expected !== undefined) throw new UsageError('BAD_OPTION', `${describe(path, source)} must be ${expected}, got ${JSON.stringify(value)}`);
}

/**
 * Profile defaults, then each layer in order (later wins), then checks across options.
 * `chatMembers` (from --clients N / --connections N) sizes chat as N members in rooms of the
 * configured size, unless a layer set the room count itself; `browserChatMembers` does the same for
 * browser clients; `excludeBrowser` (--no-browser) drops browser clients before any check about them.
 */
export function resolveBenchConfig(layers: { layer: BenchConfigLayer; source: LayerSource }[], options: { chatMembers?: number; browserChatMembers?: number; excludeBrowser?: boolean } = {}): BenchConfig {
  for (const { layer, source } of layers) validateLayer(layer, source);
  const profileLayer = [...layers].reverse().find((l) => l.layer.profile !== undefined);
  const profile = profileLayer?.layer.profile ?? 'default';
  const config: BenchConfig = structuredClone(PROFILE_DEFAULTS[profile]);
  for (const { layer } of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (NESTED.has(key)) Object.assign(config[key as 'feed' | 'chat' | 'browser' | 'capacity'], value);
      else (config as unknown as Record<string, unknown>)[key] = value;
    }
  }
  if (options.chatMembers !== undefined && !layers.some((l) => l.layer.chat?.rooms !== undefined)) {
    config.chat.rooms = Math.max(1, Math.round(options.chatMembers / config.chat.membersPerRoom));
  }
  // --no-browser: browser clients are out before any check about them.
  if (options.excludeBrowser === true) {
    config.clients = config.clients.filter((kind) => kind !== 'browser');
    if (config.clients.length === 0) throw new UsageError('BAD_FLAG', '--no-browser leaves no client kind to run: use --clients node');
  }
  if (options.browserChatMembers !== undefined && !layers.some((l) => l.layer.browser?.chatRooms !== undefined)) {
    config.browser.chatRooms = Math.max(1, Math.round(options.browserChatMembers / config.browser.chatMembersPerRoom));
  }
  for (const name of config.scenarios) checkSize(config, name);
  checkCapacityBounds(config, layers);
  if (config.target !== null && config.transports.length !== 1 && !layers.some((l) => l.layer.transports !== undefined)) {
    // A target serves one transport; it is read from its /health unless the user names it.
    config.transports = [];
  }
  return config;
}

/** The search starts at or below its maximum rate; the message names the options as the layers set them. */
function checkCapacityBounds(config: BenchConfig, layers: { layer: BenchConfigLayer; source: LayerSource }[]): void {
  const name = (path: string): string => {
    const source = [...layers].reverse().find((l) => (l.layer.capacity as Record<string, unknown> | undefined)?.[path.slice('capacity.'.length)] !== undefined)?.source;
    return source === undefined ? `option "${path}" (profile ${config.profile})` : describe(path, source);
  };
  for (const [start, max] of [
    ['feedStartRate', 'feedMaxRate'],
    ['chatStartRate', 'chatMaxRate'],
    ['startConnections', 'maxConnections'],
  ] as const) {
    if (config.capacity[start] > config.capacity[max]) {
      throw new UsageError('BAD_OPTION', `${name(`capacity.${start}`)} (${config.capacity[start]}) must not exceed ${name(`capacity.${max}`)} (${config.capacity[max]}): lower the start or raise the maximum`);
    }
  }
}

/** A run's connections within what one run may open: browser clients first (they have the lower limit), then Node clients. */
function checkSize(config: BenchConfig, name: ScenarioName): void {
  const scenario = scenarioOf(name);
  const browserClients = scenario.connections(config, 'browser');
  if (config.clients.includes('browser') && browserClients > MAX_BROWSER_CLIENTS) {
    throw new UsageError('BAD_OPTION', `browser ${name} would open ${browserClients} clients (${scenario.describeSize(config, 'browser')}); at most ${MAX_BROWSER_CLIENTS}: lower ${scenario.sizedBy.browser}`);
  }
  const connections = scenario.connections(config, 'node');
  if (connections > MAX_CONNECTIONS) {
    throw new UsageError('BAD_OPTION', `${name} would open ${connections} connections (${scenario.describeSize(config, 'node')}); at most ${MAX_CONNECTIONS}: lower ${scenario.sizedBy.node}`);
  }
}

/** `npm run bench [-- flags]`: runs the lab and prints a summary; results go to reports/<timestamp>/results.json. */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBench } from '../bench/run-bench.ts';
import { renderSummary } from '../reports/terminal.ts';
import { acceptedValues, CAPACITY_AXES, MAX_BROWSER_CLIENTS, MAX_REPEATS, PROFILE_DEFAULTS, PROFILES, resolveBenchConfig, validateLayer, type BenchConfigLayer, type LayerSource } from '../scenarios/bench-config.ts';
import { CLIENT_KINDS, ENCODINGS, SCENARIO_NAMES, TRANSPORTS } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { parseFlags, runMain } from './cli.ts';
import { outputProblem, requireInput, requireOutput } from './paths.ts';
import { stopOnSignals } from './stop-on-signal.ts';

/** After a first SIGINT or SIGTERM, how long finishing the window, writing and stopping children may take before it is forced. */
const INTERRUPT_GRACE_MS = 15_000;

const d = PROFILE_DEFAULTS.default;
const q = PROFILE_DEFAULTS.quick;
const both = (pick: (c: typeof d) => unknown): string => {
  const [a, b] = [JSON.stringify(pick(d)), JSON.stringify(pick(q))].map((s) => s.replace(/^\[|\]$/g, '').replace(/"/g, ''));
  return a === b ? a! : `${a}; quick ${b}`;
};

const USAGE = `usage: npm run bench [-- options]

Runs WebSocket, SSE and long-polling servers through the same scenarios and measures them.
Progress goes to stderr, the summary to stdout, results to <out>/<timestamp>/results.json
and <out>/latest/results.json. Defaults are the default profile's (quick profile after ';').

  --profile NAME            ${PROFILES.join(' or ')} (default default; quick takes about 1 min 45 s, default about 4 min 30 s)
  --transports LIST         ${TRANSPORTS.join(',')} (default all)
  --scenarios LIST          ${SCENARIO_NAMES.join(',')} (default ${both((c) => c.scenarios)})
  --clients N|KINDS         a number: connections (feed subscribers; chat members, in rooms of --room-size);
                            or client kinds ${CLIENT_KINDS.join(',')} (default ${both((c) => c.clients)}): browser runs the
                            scenarios in headless Chromium with its own WebSocket, EventSource and fetch
  --no-browser              skip the browser clients (and the reconnect and connection-limit measurements)
  --browser-clients N       browser feed subscribers, and chat members in rooms of ${d.browser.chatMembersPerRoom}, 1 to ${MAX_BROWSER_CLIENTS}
                            (default ${d.browser.feedSubscribers} and ${d.browser.chatRooms * d.browser.chatMembersPerRoom}; --connections sets them too when --clients names browser)
  --connections N           feed subscribers, and chat members in rooms of --room-size
                            (default ${d.feed.subscribers} subscribers and ${d.chat.rooms * d.chat.membersPerRoom} members; quick ${q.feed.subscribers} and ${q.chat.rooms * q.chat.membersPerRoom})
  --rooms N                 chat rooms (default ${both((c) => c.chat.rooms)})
  --room-size N             chat members per room (default ${both((c) => c.chat.membersPerRoom)})
  --rate N                  feed messages published per second; every subscriber gets each (default ${both((c) => c.feed.ratePerSec)};
                            browser runs ${both((c) => c.browser.feedRatePerSec)}, set by --rate too)
  --send-rate N             chat messages each member sends per second, open loop (default ${both((c) => c.chat.sendRatePerMember)};
                            browser runs ${both((c) => c.browser.chatSendRatePerMember)}, set by --send-rate too)
  --payload-bytes N         payload size of feed and chat messages (default ${both((c) => c.feed.payloadBytes)})
  --encoding LIST           ${ENCODINGS.join(',')} (default json)
  --duration TIME           measured window per run, e.g. 5s, 1500ms (default ${both((c) => c.durationMs)} ms)
  --warmup TIME             warm-up before each window, excluded from figures (default ${both((c) => c.warmupMs)} ms)
  --capacity / --no-capacity
                            capacity search after the fixed run (default on): the rate doubles while steps
                            meet the SLO, halves while they break, then bisects between the highest that held
                            and the lowest that broke down to --capacity-resolution
  --capacity-scenarios LIST which scenarios get a capacity search (default ${both((c) => c.capacity.scenarios)})
  --capacity-start N        feed publish rate of the search's first step (default ${both((c) => c.capacity.feedStartRate)})
  --chat-capacity-start N   chat sends per member per second of the first step (default ${both((c) => c.capacity.chatStartRate)})
  --capacity-max-rate N     highest feed rate the search tries (default ${both((c) => c.capacity.feedMaxRate)})
  --chat-capacity-max-rate N
                            highest chat send rate the search tries (default ${both((c) => c.capacity.chatMaxRate)})
  --capacity-max-steps N    at most N steps per search (default ${both((c) => c.capacity.maxSteps)})
  --capacity-resolution R   bisect until the rate that broke is within R of the one that held,
                            as a fraction or a percentage: 0.1 or 10% (default ${both((c) => c.capacity.resolution)})
  --capacity-steps LIST     fixed feed publish rates instead of the search, increasing; wins over the search:
                            steps in order until one breaks, no bisection (default none: search)
  --chat-capacity-steps LIST
                            fixed chat send rates per member instead of the search (default none: search)
  --capacity-axis AXIS      what the search varies: ${CAPACITY_AXES.join(' or ')} (default ${both((c) => c.capacity.axis)}); connections finds the
                            most connections held within the SLO at --capacity-conn-rate, each step on a fresh
                            server with every connection opened anew (a connection that fails to open breaks the step)
  --capacity-start-connections N
                            connections of the connections axis's first step (default ${both((c) => c.capacity.startConnections)})
  --capacity-max-connections N
                            most connections the connections axis tries, spread over workers (default ${both((c) => c.capacity.maxConnections)})
  --capacity-conn-rate N    rate held on the connections axis: feed messages published per second, or chat
                            sends per member per second (default ${both((c) => c.capacity.connectionRate)})
  --step-duration TIME      measured window per capacity step (default ${both((c) => c.capacity.stepDurationMs)} ms)
  --slo-p99-ms N            capacity SLO: p99 delivery latency (and chat round trip) at most N ms (default ${d.capacity.sloP99Ms})
  --slo-max-loss N          capacity SLO: at most N lost messages per step (default ${d.capacity.sloMaxLoss})
  --repeat N                measure each fixed run and capacity search N times, 1 to ${MAX_REPEATS} (default ${d.repeat}):
                            round by round, transports alternating; figures show the median (min-max) and a
                            verdict names a winner only when the repeats' ranges do not overlap
  --pin on|off              pin the server to the first CPU and the load workers to the others with taskset
                            (Linux, util-linux; default ${d.pin ? 'on' : 'off'}); without taskset the run says so and runs unpinned
  --server-heap NAME        default or lean: the V8 heap of the lab's servers (default ${d.serverHeap}); lean keeps
                            it small (about half the memory per connection, more server CPU and less capacity)
  --workers N               load worker processes, 0 = one per core (default 0)
  --connect-rate N          connection attempts per second during ramp-up (default ${d.connectRatePerSec})
  --scenario-file FILE      JSON file of options, e.g. {"feed":{"subscribers":5000},"durationMs":10000};
                            flags override it, it overrides the profile
  --target URL              measure an already-running server at http://host:port that speaks docs/PROTOCOL.md
  --token T                 token for --target servers that require one (also given to the lab's own servers)
  --out DIR                 results folder, created if missing; checked before the run (default ${d.out})
  --json                    print results.json on stdout instead of the summary (progress stays on stderr)
  --help                    this text`;

const FLAGS = {
  profile: { type: 'string' },
  transports: { type: 'string' },
  scenarios: { type: 'string' },
  clients: { type: 'string' },
  connections: { type: 'string' },
  'no-browser': { type: 'boolean' },
  'browser-clients': { type: 'string' },
  rooms: { type: 'string' },
  'room-size': { type: 'string' },
  rate: { type: 'string' },
  'send-rate': { type: 'string' },
  'payload-bytes': { type: 'string' },
  encoding: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  capacity: { type: 'boolean' },
  'no-capacity': { type: 'boolean' },
  'capacity-scenarios': { type: 'string' },
  'capacity-steps': { type: 'string' },
  'chat-capacity-steps': { type: 'string' },
  'capacity-start': { type: 'string' },
  'chat-capacity-start': { type: 'string' },
  'capacity-max-rate': { type: 'string' },
  'chat-capacity-max-rate': { type: 'string' },
  'capacity-max-steps': { type: 'string' },
  'capacity-resolution': { type: 'string' },
  'capacity-axis': { type: 'string' },
  'capacity-start-connections': { type: 'string' },
  'capacity-max-connections': { type: 'string' },
  'capacity-conn-rate': { type: 'string' },
  'step-duration': { type: 'string' },
  'slo-p99-ms': { type: 'string' },
  'slo-max-loss': { type: 'string' },
  workers: { type: 'string' },
  repeat: { type: 'string' },
  pin: { type: 'string' },
  'server-heap': { type: 'string' },
  'connect-rate': { type: 'string' },
  'scenario-file': { type: 'string' },
  target: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

/** The option each numeric flag sets, so a refusal can state the accepted range. */
const FLAG_OPTION: Record<string, string> = {
  clients: 'feed.subscribers',
  connections: 'feed.subscribers',
  'browser-clients': 'browser.feedSubscribers',
  rooms: 'chat.rooms',
  'room-size': 'chat.membersPerRoom',
  rate: 'feed.ratePerSec',
  'send-rate': 'chat.sendRatePerMember',
  'payload-bytes': 'feed.payloadBytes',
  'capacity-steps': 'capacity.feedRates',
  'chat-capacity-steps': 'capacity.chatRates',
  'capacity-start': 'capacity.feedStartRate',
  'chat-capacity-start': 'capacity.chatStartRate',
  'capacity-max-rate': 'capacity.feedMaxRate',
  'chat-capacity-max-rate': 'capacity.chatMaxRate',
  'capacity-max-steps': 'capacity.maxSteps',
  'capacity-start-connections': 'capacity.startConnections',
  'capacity-max-connections': 'capacity.maxConnections',
  'capacity-conn-rate': 'capacity.connectionRate',
  'slo-p99-ms': 'capacity.sloP99Ms',
  'slo-max-loss': 'capacity.sloMaxLoss',
  workers: 'workers',
  'connect-rate': 'connectRatePerSec',
  repeat: 'repeat',
};

function whole(flag: string, value: string): number {
  const option = FLAG_OPTION[flag];
  const accepted = option === undefined ? 'a whole number' : acceptedValues(option);
  if (!/^\d+$/.test(value)) throw new UsageError('BAD_FLAG', `--${flag} takes ${accepted}, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** 0.1 or 10% -> 0.1. */
function fractionOf(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(%)?$/.exec(value.trim());
  if (match === null) throw new UsageError('BAD_FLAG', `--${flag} takes a fraction such as 0.1 or a percentage such as 10%, got ${JSON.stringify(value)}`);
  return match[2] === '%' ? Number(match[1]) / 100 : Number(match[1]);
}

function onOff(flag: string, value: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new UsageError('BAD_FLAG', `--${flag} takes on or off, got ${JSON.stringify(value)}`);
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** 5, 5s, 1500ms, 2m -> milliseconds (a bare number is seconds). */
function duration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (match === null) throw new UsageError('BAD_FLAG', `--${flag} takes a duration such as 5s, 1500ms or 2m, got ${JSON.stringify(value)}`);
  const amount = Number(match[1]);
  return Math.round(match[2] === 'ms' ? amount : match[2] === 'm' ? amount * 60_000 : amount * 1000);
}

/** The flags as a configuration layer, remembering which flag set which option (for messages). */
function flagLayer(flags: Flags): { layer: BenchConfigLayer; source: LayerSource; clientsCount: number | undefined; browserCount: number | undefined } {
  const layer: Record<string, unknown> = {};
  const flagOf: Record<string, string> = {};
  const set = (path: string, flag: string, value: unknown): void => {
    flagOf[path] = flag;
    const [head, tail] = path.split('.') as [string, string | undefined];
    if (tail === undefined) layer[head] = value;
    else ((layer[head] ??= {}) as Record<string, unknown>)[tail] = value;
  };
  if (flags.profile !== undefined) set('profile', 'profile', flags.profile);
  if (flags.transports !== undefined) set('transports', 'transports', list(flags.transports));
  if (flags.scenarios !== undefined) set('scenarios', 'scenarios', list(flags.scenarios));
  let clientsCount: number | undefined;
  if (flags.clients !== undefined) {
    if (/^\d+$/.test(flags.clients)) clientsCount = whole('clients', flags.clients);
    else set('clients', 'clients', list(flags.clients));
  }
  const connections = flags.connections !== undefined ? whole('connections', flags.connections) : clientsCount;
  if (connections !== undefined) set('feed.subscribers', flags.connections !== undefined ? 'connections' : 'clients', connections);
  // Browser clients follow --connections only when --clients names them: the default profile's browser run stays modest.
  let browserCount: number | undefined;
  if (flags['browser-clients'] !== undefined) {
    browserCount = whole('browser-clients', flags['browser-clients']);
    set('browser.feedSubscribers', 'browser-clients', browserCount);
  } else if (connections !== undefined && flags.clients !== undefined && list(flags.clients).includes('browser')) {
    browserCount = connections;
    set('browser.feedSubscribers', flags.connections !== undefined ? 'connections' : 'clients', connections);
  }
  if (flags.rooms !== undefined) set('chat.rooms', 'rooms', whole('rooms', flags.rooms));
  if (flags['room-size'] !== undefined) set('chat.membersPerRoom', 'room-size', whole('room-size', flags['room-size']));
  // Rates given as flags apply to browser clients too (the profiles give them their own, modest rates).
  if (flags.rate !== undefined) {
    set('feed.ratePerSec', 'rate', whole('rate', flags.rate));
    set('browser.feedRatePerSec', 'rate', whole('rate', flags.rate));
  }
  if (flags['send-rate'] !== undefined) {
    set('chat.sendRatePerMember', 'send-rate', whole('send-rate', flags['send-rate']));
    set('browser.chatSendRatePerMember', 'send-rate', whole('send-rate', flags['send-rate']));
  }
  if (flags['payload-bytes'] !== undefined) {
    const bytes = whole('payload-bytes', flags['payload-bytes']);
    set('feed.payloadBytes', 'payload-bytes', bytes);
    set('chat.payloadBytes', 'payload-bytes', bytes);
  }
  if (flags.encoding !== undefined) set('encodings', 'encoding', list(flags.encoding));
  if (flags.duration !== undefined) set('durationMs', 'duration', duration('duration', flags.duration));
  if (flags.warmup !== undefined) set('warmupMs', 'warmup', duration('warmup', flags.warmup));
  if (flags.capacity && flags['no-capacity']) throw new UsageError('BAD_FLAG', 'give --capacity or --no-capacity, not both');
  if (flags.capacity) set('capacity.enabled', 'capacity', true);
  if (flags['no-capacity']) set('capacity.enabled', 'no-capacity', false);
  if (flags['capacity-scenarios'] !== undefined) set('capacity.scenarios', 'capacity-scenarios', list(flags['capacity-scenarios']));
  if (flags['capacity-steps'] !== undefined) set('capacity.feedRates', 'capacity-steps', list(flags['capacity-steps']).map((s) => whole('capacity-steps', s)));
  if (flags['chat-capacity-steps'] !== undefined) set('capacity.chatRates', 'chat-capacity-steps', list(flags['chat-capacity-steps']).map((s) => whole('chat-capacity-steps', s)));
  for (const [flag, path] of [
    ['capacity-start', 'capacity.feedStartRate'],
    ['chat-capacity-start', 'capacity.chatStartRate'],
    ['capacity-max-rate', 'capacity.feedMaxRate'],
    ['chat-capacity-max-rate', 'capacity.chatMaxRate'],
    ['capacity-max-steps', 'capacity.maxSteps'],
    ['capacity-start-connections', 'capacity.startConnections'],
    ['capacity-max-connections', 'capacity.maxConnections'],
    ['capacity-conn-rate', 'capacity.connectionRate'],
  ] as const) {
    const value = flags[flag];
    if (value !== undefined) set(path, flag, whole(flag, value));
  }
  if (flags['capacity-resolution'] !== undefined) set('capacity.resolution', 'capacity-resolution', fractionOf('capacity-resolution', flags['capacity-resolution']));
  if (flags['capacity-axis'] !== undefined) set('capacity.axis', 'capacity-axis', flags['capacity-axis']);
  if (flags['step-duration'] !== undefined) set('capacity.stepDurationMs', 'step-duration', duration('step-duration', flags['step-duration']));
  if (flags['slo-p99-ms'] !== undefined) set('capacity.sloP99Ms', 'slo-p99-ms', whole('slo-p99-ms', flags['slo-p99-ms']));
  if (flags['slo-max-loss'] !== undefined) set('capacity.sloMaxLoss', 'slo-max-loss', whole('slo-max-loss', flags['slo-max-loss']));
  if (flags.workers !== undefined) set('workers', 'workers', whole('workers', flags.workers));
  if (flags.repeat !== undefined) set('repeat', 'repeat', whole('repeat', flags.repeat));
  if (flags.pin !== undefined) set('pin', 'pin', onOff('pin', flags.pin));
  if (flags['server-heap'] !== undefined) set('serverHeap', 'server-heap', flags['server-heap']);
  if (flags['connect-rate'] !== undefined) set('connectRatePerSec', 'connect-rate', whole('connect-rate', flags['connect-rate']));
  if (flags.target !== undefined) set('target', 'target', flags.target);
  if (flags.token !== undefined) set('token', 'token', flags.token);
  if (flags.out !== undefined) set('out', 'out', flags.out);
  if (flags.json) set('json', 'json', true);
  return { layer: layer as BenchConfigLayer, source: { description: 'flags', flagOf }, clientsCount: connections, browserCount };
}

async function fileLayer(path: string): Promise<{ layer: BenchConfigLayer; source: LayerSource }> {
  const source: LayerSource = { description: `scenario file ${path}` };
  requireInput('--scenario-file', path, { code: 'BAD_SCENARIO', wanted: 'a JSON file of options' });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError('BAD_SCENARIO', `cannot read --scenario-file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the path`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError('BAD_SCENARIO', `--scenario-file ${path} is not valid JSON (${(err as Error).message}): it must be one JSON object of options, see --help`);
  }
  return { layer: validateLayer(value, source), source };
}

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const layers: { layer: BenchConfigLayer; source: LayerSource }[] = [];
  if (flags['scenario-file'] !== undefined) layers.push(await fileLayer(flags['scenario-file']));
  const fromFlags = flagLayer(flags);
  layers.push(fromFlags);
  // --clients N / --connections N size chat too: N members in rooms of the configured size.
  const noBrowser = flags['no-browser'] === true;
  if (noBrowser && flags.clients !== undefined && !/^\d+$/.test(flags.clients) && list(flags.clients).includes('browser')) {
    throw new UsageError('BAD_FLAG', '--no-browser contradicts --clients naming browser: drop one of them');
  }
  const config = resolveBenchConfig(layers, {
    ...(fromFlags.clientsCount === undefined ? {} : { chatMembers: fromFlags.clientsCount }),
    ...(fromFlags.browserCount === undefined ? {} : { browserChatMembers: fromFlags.browserCount }),
    excludeBrowser: noBrowser,
  });
  const notices: string[] = [];
  // Said only when the profile or scenario file would have run them.
  const profile = [...layers].reverse().find((l) => l.layer.profile !== undefined)?.layer.profile ?? 'default';
  const clientsAsked = [...layers].reverse().find((l) => l.layer.clients !== undefined)?.layer.clients ?? PROFILE_DEFAULTS[profile].clients;
  if (noBrowser && clientsAsked.includes('browser')) {
    notices.push('browser clients skipped (--no-browser): no browser runs, reconnect runs or connection-limit finding in this file');
  }

  checkOutputPaths(config.out, flags.out !== undefined);

  const registry = new Set<ChildProcess>();
  const stop = stopOnSignals({ registry, graceMs: INTERRUPT_GRACE_MS, stderr: (text) => process.stderr.write(text) });
  const outcome = await runBench(config, { stderr: (text) => process.stderr.write(text), signal: stop.signal, registry, notices });
  if (config.json) process.stdout.write(JSON.stringify(outcome.results, null, 2) + '\n');
  else process.stdout.write(renderSummary(outcome.results, { color: process.stdout.isTTY === true }) + '\n');
  // Where things went: after the summary on stdout, or on stderr when stdout carries the JSON.
  // latest/ is written only once a run finished: an early interrupt leaves the previous latest in place.
  const latestWritten = outcome.results.complete || outcome.results.runs.length > 0;
  const where = `results: ${outcome.path}\n` + (latestWritten ? `latest:  ${outcome.latestPath}\n` : '') + (outcome.reportPath !== null ? `report:  ${outcome.reportPath}\n` : '');
  if (config.json) process.stderr.write(where);
  else process.stdout.write(where);
  // Exit now: set-up abandoned by the signal may still hold children and timers; the exit kills the children.
  const interrupted = stop.exitCode();
  if (interrupted !== null) process.exit(interrupted);
});

/** Every place the bench will write, checked before any server or worker starts. */
function checkOutputPaths(out: string, fromFlag: boolean): void {
  const label = fromFlag ? '--out' : 'the results folder (option out)';
  requireOutput(label, out, 'folder');
  const latest = join(out, 'latest');
  const problem = outputProblem(latest, 'folder');
  if (problem !== null) throw new UsageError('BAD_PATH', `${label} ${out} cannot hold the latest results (${latest} ${problem.what}): move it away or pass another --out`);
  // Node writes the CPU profiles (worker-pool.ts profilingArgs) into this folder, creating it.
  const profiles = process.env.PUSHBENCH_CPU_PROF;
  if (profiles !== undefined && profiles !== '') requireOutput('PUSHBENCH_CPU_PROF', profiles, 'folder');
}

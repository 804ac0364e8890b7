/**
 * `npm run floor`: how close the lab's servers come to the least a Node server of each protocol
 * does on this machine. The lab's server and the floor server (bare-server.ts) are measured by one
 * client (floor-client.ts), in alternating rounds, so a figure of each is taken within seconds of
 * the other's:
 * - memory per idle connection: server RSS once every connection is open, over the RSS before any,
 *   per connection, as the bench's "idle KB/conn" (bench/session.ts);
 * - long-poll, server CPU per answered poll with pollers re-polling at once, at a low publish rate
 *   (every poll held, then answered) and a high one (the server a full core, answers batched).
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TransportName } from '../../scenarios/constants.ts';
import { median } from '../../metrics/median.ts';
import { ServerApi } from '../server-api.ts';
import { startServerProcess } from '../server-process.ts';
import type { FloorReply, FloorRequest } from './bare-server.ts';
import { openIdleConnections, PollLoop } from './floor-client.ts';

export type ServerKind = 'lab' | 'floor';
export const SERVER_KINDS: readonly ServerKind[] = ['lab', 'floor'];

const PAYLOAD_BYTES = 100;
const READY_TIMEOUT_MS = 15_000;

/** How long each measurement waits and measures (tests pass shorter ones). */
export interface FloorTiming {
  /** After the server started, before the RSS the connections are counted from. */
  settleMs: number;
  /** After the last connection opened, before the idle RSS: the server's own allocations settle. */
  idleSettleMs: number;
  /** Pollers polling before the CPU window. */
  pollWarmupMs: number;
  pollWindowMs: number;
}

export const FLOOR_TIMING: FloorTiming = { settleMs: 1000, idleSettleMs: 2000, pollWarmupMs: 2000, pollWindowMs: 5000 };

interface FloorServer {
  readonly baseUrl: string;
  /** `open`: connections the server holds (long-poll: polls held). */
  sample(): Promise<{ rssBytes: number; cpuUs: number; open: number }>;
  /** Feed messages per second on the one topic. */
  publishAt(rate: number): Promise<void>;
  stop(): Promise<void>;
}

async function startLab(transport: TransportName, registry: Set<ChildProcess>): Promise<FloorServer> {
  const server = await startServerProcess({ transport, payloadBytes: PAYLOAD_BYTES, token: null, registry });
  const api = new ServerApi(server.baseUrl, null, server.controlToken);
  return {
    baseUrl: server.baseUrl,
    async sample() {
      const stats = await api.stats();
      if (stats === null) throw new Error(`the lab's ${transport} server served no /stats`);
      return { rssBytes: stats.memory.rssBytes, cpuUs: stats.cpu.userUs + stats.cpu.systemUs, open: stats.connections.open };
    },
    async publishAt(rate) {
      await api.setFeed(rate, PAYLOAD_BYTES);
    },
    stop: () => server.stop(),
  };
}

async function startBare(transport: TransportName, registry: Set<ChildProcess>): Promise<FloorServer> {
  const child = fork(fileURLToPath(new URL('./bare-server.ts', import.meta.url)), [transport], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  registry.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => registry.delete(child));
  const replies: ((reply: FloorReply) => void)[] = [];
  child.on('message', (reply: FloorReply) => replies.shift()?.(reply));
  const next = <T extends FloorReply['type']>(type: T, request?: FloorRequest): Promise<Extract<FloorReply, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the floor ${transport} server did not answer ${type} within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      replies.push((reply) => {
        clearTimeout(timer);
        if (reply.type === type) resolve(reply as Extract<FloorReply, { type: T }>);
        else reject(new Error(`the floor ${transport} server answered ${reply.type} to ${type}`));
      });
      if (request !== undefined) child.send(request);
    });
  const ready = await next('ready');
  return {
    baseUrl: `http://127.0.0.1:${ready.port}`,
    async sample() {
      const { rssBytes, cpuUs, open } = await next('sample', { type: 'sample' });
      return { rssBytes, cpuUs, open };
    },
    async publishAt(rate) {
      await next('rate', { type: 'rate', rate });
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function startServer(kind: ServerKind, transport: TransportName, registry: Set<ChildProcess>): Promise<FloorServer> {
  return kind === 'lab' ? startLab(transport, registry) : startBare(transport, registry);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Server RSS per idle connection, bytes, on a fresh server of `kind`. */
export async function idleBytesPerConnection(kind: ServerKind, transport: TransportName, connections: number, registry: Set<ChildProcess>, timing = FLOOR_TIMING): Promise<number> {
  const server = await startServer(kind, transport, registry);
  try {
    await sleep(timing.settleMs);
    const before = await server.sample();
    const sockets = await openIdleConnections(server.baseUrl, transport, connections);
    try {
      await sleep(timing.idleSettleMs);
      const idle = await server.sample();
      if (idle.open < connections) throw new Error(`the ${kind} ${transport} server held ${idle.open} of the ${connections} connections when its idle memory was read`);
      return (idle.rssBytes - before.rssBytes) / connections;
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  } finally {
    await server.stop();
  }
}

export interface PollCost {
  /** Server CPU per answered poll, µs. */
  usPerAnswer: number;
  answersPerSec: number;
  serverCores: number;
}

/** Long-poll server CPU per answered poll with `pollers` re-polling at once, at `rate` messages/s. */
export async function pollCost(kind: ServerKind, pollers: number, rate: number, registry: Set<ChildProcess>, timing = FLOOR_TIMING): Promise<PollCost> {
  const server = await startServer(kind, 'long-poll', registry);
  const loop = new PollLoop(server.baseUrl, pollers);
  try {
    await server.publishAt(rate);
    await sleep(timing.pollWarmupMs);
    const before = await server.sample();
    const answersBefore = loop.answers;
    const startedAt = performance.now();
    await sleep(timing.pollWindowMs);
    const after = await server.sample();
    const seconds = (performance.now() - startedAt) / 1000;
    const answers = loop.answers - answersBefore;
    const cpuUs = after.cpuUs - before.cpuUs;
    return { usPerAnswer: answers > 0 ? cpuUs / answers : Number.NaN, answersPerSec: answers / seconds, serverCores: cpuUs / 1e6 / seconds };
  } finally {
    loop.stop();
    await server.stop();
  }
}

export interface FloorOptions {
  transports: readonly TransportName[];
  connections: number;
  pollers: number;
  pollRates: readonly number[];
  rounds: number;
  timing?: FloorTiming;
}

export interface Figures {
  /** One per round. */
  rounds: number[];
  median: number;
}

export interface FloorReport {
  memory: { transport: TransportName; lab: Figures; floor: Figures }[];
  pollCost: { rate: number; lab: Figures; floor: Figures; labCores: number[]; floorCores: number[] }[];
}

function figures(rounds: number[]): Figures {
  return { rounds, median: median(rounds) };
}

/** Every measurement, rounds alternating lab and floor (which goes first alternates too). */
export async function runFloor(options: FloorOptions, registry: Set<ChildProcess>, progress: (line: string) => void): Promise<FloorReport> {
  const order = (round: number): readonly ServerKind[] => (round % 2 === 0 ? SERVER_KINDS : [...SERVER_KINDS].reverse());
  const report: FloorReport = { memory: [], pollCost: [] };
  for (const transport of options.transports) {
    const measured: Record<ServerKind, number[]> = { lab: [], floor: [] };
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of order(round)) {
        progress(`${transport}: ${options.connections} idle connections to the ${kind} server (round ${round + 1} of ${options.rounds})`);
        measured[kind].push(await idleBytesPerConnection(kind, transport, options.connections, registry, options.timing));
      }
    }
    report.memory.push({ transport, lab: figures(measured.lab), floor: figures(measured.floor) });
  }
  if (!options.transports.includes('long-poll')) return report;
  for (const rate of options.pollRates) {
    const measured: Record<ServerKind, PollCost[]> = { lab: [], floor: [] };
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of order(round)) {
        progress(`long-poll: ${options.pollers} pollers at ${rate} messages/s, the ${kind} server (round ${round + 1} of ${options.rounds})`);
        measured[kind].push(await pollCost(kind, options.pollers, rate, registry, options.timing));
      }
    }
    report.pollCost.push({
      rate,
      lab: figures(measured.lab.map((cost) => cost.usPerAnswer)),
      floor: figures(measured.floor.map((cost) => cost.usPerAnswer)),
      labCores: measured.lab.map((cost) => cost.serverCores),
      floorCores: measured.floor.map((cost) => cost.serverCores),
    });
  }
  return report;
}

/**
 * One session: a server (started in its own process, or a target), load workers holding the
 * scenario's connections, and the measurements taken while they are open. A fixed run is one
 * measure(); a capacity search is several on the same connections.
 */
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import type { LoadEndpoint } from '../clients/load/load-connection.ts';
import type { ConnectReport, TimelineTick, WorkerPlan } from '../clients/load/worker-protocol.ts';
import { originsNeeded } from '../clients/browser/layout.ts';
import { decodeHistogram, mergeHistograms } from '../metrics/histogram.ts';
import type { ClockCheck, RunKind, RunRecord, TimelinePoint } from '../metrics/result-types.ts';
import { connectionsOf, type BenchConfig, type ClientKind, type ScenarioName } from '../scenarios/bench-config.ts';
import { everySecondSince, nowMicros } from '../scenarios/clock.ts';
import { SERVER_DEFAULTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import type { ServerStatsSnapshot } from '../servers/stats.ts';
import { aggregateWindow, type ServerWindow } from './aggregate.ts';
import { browserWorkerCount, connectionSpecs, shareOut, streamsPerOrigin, workerCount } from './plan.ts';
import { reconnectMetrics } from './reconnect.ts';
import type { Progress } from './progress.ts';
import { ServerApi } from './server-api.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { WorkerPool } from './worker-pool.ts';

const DRAIN_POLL_MS = 200;
const CONNECT_TIMEOUT_FLOOR_MS = 30_000;
/** Other processes using more than this many cores during a window make its figures noisy: say so. */
const NOISY_OTHER_CORES = 0.3;

export interface SessionKey {
  transport: TransportName;
  scenario: ScenarioName;
  encoding: Encoding;
  client: ClientKind;
}

export interface SessionDeps {
  config: BenchConfig;
  registry: Set<ChildProcess>;
  progress: Progress;
  signal: AbortSignal;
}

export interface MeasureSpec {
  id: string;
  kind: RunKind;
  /** feed: messages published per second; chat: sends per member per second. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  step: RunRecord['step'];
  /** Reconnect runs: the server cuts every connection (POST /drop) this long into the window. */
  dropAfterMs?: number;
}

interface TickSum {
  deliveries: number;
  latency: string[];
  connections: number;
  cpuUs: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const sleepUntil = (us: number, signal: AbortSignal): Promise<void> => sleep((us - nowMicros()) / 1000, signal);

/** Busy CPU time of the whole machine, µs (os.cpus() counts in ms ticks). */
function machineBusyUs(): number {
  let busy = 0;
  for (const cpu of cpus()) busy += (cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq) * 1000;
  return busy;
}

export class Session {
  readonly notices: string[] = [];
  readonly clock: ClockCheck['samples'] = [];
  /** Cores busy outside the lab during each window of this session. */
  readonly otherCpuCores: number[] = [];
  private readonly ticks = new Map<number, TickSum>();
  private readonly serverSamples: { second: number; stats: ServerStatsSnapshot }[] = [];
  private stopSampler: () => void = () => undefined;
  private connectReports: ConnectReport[] = [];
  /** False when a target server has no PUT /feed: it publishes at its own rate. */
  feedControllable = true;
  private readonly originUs = nowMicros();
  private server: ServerProcess | undefined;
  private pool: WorkerPool | undefined;
  private api!: ServerApi;
  private baselineRssBytes = 0;
  private connections = 0;

  private constructor(
    readonly key: SessionKey,
    private readonly deps: SessionDeps,
  ) {}

  static async open(key: SessionKey, deps: SessionDeps): Promise<Session> {
    const session = new Session(key, deps);
    try {
      await session.start();
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  private get label(): string {
    return `${this.key.transport} ${this.key.scenario} ${this.key.encoding}${this.key.client === 'browser' ? ' browser' : ''}`;
  }

  private async start(): Promise<void> {
    const { config, progress, registry } = this.deps;
    const payloadBytes = this.key.scenario === 'feed' ? config.feed.payloadBytes : config.chat.payloadBytes;
    const browser = this.key.client === 'browser';
    const specsCount = connectionsOf(config, this.key.scenario, this.key.client);
    const workers = browser ? browserWorkerCount(config, specsCount) : 0;
    const perOrigin = streamsPerOrigin(this.key.scenario);
    // Browser SSE and long-poll clients need several origins (6 connections per host:port in Chromium): one server, several ports.
    const origins = browser ? originsNeeded(this.key.transport, Math.ceil(specsCount / workers), perOrigin) : 1;
    if (config.target === null) {
      progress.step(this.label, 'starting the server');
      this.server = await startServerProcess({ transport: this.key.transport, payloadBytes, token: config.token, registry, extraPorts: origins - 1 });
    } else if (origins > 1) {
      throw new Error(`${specsCount} ${this.key.transport} browser clients need ${origins} origins (Chromium opens at most 6 connections per host:port), and --target serves one: use --browser-clients ${perOrigin * workers} or fewer`);
    }
    const baseUrl = this.server?.baseUrl ?? config.target!.replace(/\/$/, '');
    this.api = new ServerApi(baseUrl, config.token);
    const before = await this.api.stats();
    if (before === null) this.notices.push(`${baseUrl} serves no /stats: server CPU, memory and event-loop figures are not measured`);
    this.baselineRssBytes = before?.memory.rssBytes ?? 0;
    if (before !== null && before.connections.open > 0) this.notices.push(`${baseUrl} already had ${before.connections.open} connections open: its memory per connection includes them`);
    await this.checkServerClock();

    const topic = before?.feed.topics[0] ?? SERVER_DEFAULTS.topics[0]!;
    const specs = connectionSpecs(config, this.key.scenario, topic, this.key.client);
    this.connections = specs.length;
    const poolSize = browser ? workers : workerCount(config, specs.length, cpus().length);
    const kind = browser ? 'browser worker' : 'load worker';
    this.pool = new WorkerPool(poolSize, { progress: (opened, failed) => progress.connecting(this.label, opened, failed, specs.length), tick: (w, t) => this.onTick(w, t) }, registry, this.key.client);
    const offsets = await this.pool.clock();
    offsets.forEach((o, i) => this.clock.push({ process: `${kind} ${i + 1} (${this.label})`, offsetUs: Math.round(o.offsetUs), uncertaintyUs: Math.round(o.uncertaintyUs) }));

    const endpoint: LoadEndpoint = { transport: this.key.transport, baseUrl, encoding: this.key.encoding, token: config.token };
    const browserPlan = browser ? { origins: [...(this.server?.baseUrls ?? [baseUrl])], streamsPerOrigin: perOrigin, clientsPerPage: config.browser.clientsPerPage } : undefined;
    const plans: WorkerPlan[] = shareOut(specs, poolSize).map((share, index) => ({
      index,
      endpoint,
      connections: share,
      connectRatePerSec: Math.max(1, Math.floor(config.connectRatePerSec / poolSize)),
      maxConnectsInFlight: Math.max(1, Math.floor(config.maxConnectsInFlight / poolSize)),
      payloadBytes,
      originUs: this.originUs,
      ...(browserPlan === undefined ? {} : { browser: browserPlan }),
    }));
    const timeoutMs = Math.max(CONNECT_TIMEOUT_FLOOR_MS, (specs.length / config.connectRatePerSec) * 3000);
    progress.step(this.label, browser ? `opening ${specs.length} browser clients in ${poolSize} Chromium (${origins} origins)` : `opening ${specs.length} connections over ${poolSize} workers`);
    this.connectReports = await this.pool.connect(plans, timeoutMs);
    for (const report of this.connectReports) for (const clock of report.clocks ?? []) this.clock.push({ ...clock, process: `${clock.process} (${this.label})` });
    const failed = this.connectReports.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) {
      const reasons = [...new Set(this.connectReports.flatMap((r) => r.failures))].slice(0, 3).join('; ');
      this.notices.push(`${this.label}: ${failed} of ${specs.length} connections failed to open (${reasons})`);
      if (failed === specs.length) throw new Error(`no connection could be opened to ${baseUrl}: ${reasons}`);
    }
    this.startSampler();
  }

  private async checkServerClock(): Promise<void> {
    let best: { offsetUs: number; uncertaintyUs: number } | undefined;
    for (let i = 0; i < 3; i++) {
      const sent = nowMicros();
      const stats = await this.api.stats();
      const back = nowMicros();
      if (stats === null || typeof stats.now !== 'number') return;
      const uncertaintyUs = (back - sent) / 2;
      if (best === undefined || uncertaintyUs < best.uncertaintyUs) best = { offsetUs: stats.now - (sent + back) / 2, uncertaintyUs };
    }
    if (best !== undefined) this.clock.push({ process: `${this.key.transport} server`, offsetUs: Math.round(best.offsetUs), uncertaintyUs: Math.round(best.uncertaintyUs) });
  }

  private onTick(_worker: number, tick: TimelineTick): void {
    let sum = this.ticks.get(tick.second);
    if (sum === undefined) this.ticks.set(tick.second, (sum = { deliveries: 0, latency: [], connections: 0, cpuUs: 0 }));
    sum.deliveries += tick.deliveries;
    if (tick.latency !== null) sum.latency.push(tick.latency);
    sum.connections += tick.connections;
    sum.cpuUs += tick.cpuUs;
  }

  /** Samples the server's /stats once a second (resetting its loop-delay histogram each time). */
  private startSampler(): void {
    this.stopSampler = everySecondSince(this.originUs, (second) => {
      this.api.stats(true).then(
        (stats) => {
          if (stats !== null) this.serverSamples.push({ second, stats });
        },
        () => undefined,
      );
    });
  }

  private async setRate(rate: number): Promise<void> {
    const { config } = this.deps;
    if (this.key.scenario === 'feed') {
      if (!this.feedControllable) return;
      this.feedControllable = await this.api.setFeed(rate, config.feed.payloadBytes);
      if (!this.feedControllable) this.notices.push(`${this.api.baseUrl} does not support PUT /feed: it published at its own rate, not at ${rate}/s`);
    } else this.pool!.broadcast({ type: 'send-rate', perConnectionPerSec: rate, startUs: nowMicros() + 20_000 });
  }

  /** Waits after the window until in-window arrivals stop growing (late messages still count), at most drainMaxMs. */
  private async drain(): Promise<number> {
    const { config, signal } = this.deps;
    const started = performance.now();
    let last = -1;
    let stable = 0;
    while (!signal.aborted && performance.now() - started < config.drainMaxMs) {
      await sleep(DRAIN_POLL_MS, signal);
      const count = await this.pool!.drainStatus();
      stable = count === last ? stable + 1 : 0;
      last = count;
      if (stable >= 2) break;
    }
    return Math.round(performance.now() - started);
  }

  async measure(spec: MeasureSpec): Promise<RunRecord> {
    const { config, progress, signal } = this.deps;
    const pool = this.pool!;
    const runStartUs = nowMicros();
    await this.setRate(spec.rate);
    const startUs = nowMicros() + spec.warmupMs * 1000;
    const endUs = startUs + spec.durationMs * 1000;
    pool.broadcast({ type: 'window', startUs, endUs });
    progress.step(this.label, `${spec.id}: warm-up ${spec.warmupMs / 1000} s, measuring ${spec.durationMs / 1000} s`);

    await sleepUntil(startUs, signal);
    const serverStart = await this.api.stats().catch(() => null);
    const busyStart = machineBusyUs();
    const ownStart = process.cpuUsage();
    let drop: { atUs: number; dropped: number } | undefined;
    if (spec.dropAfterMs !== undefined) {
      await sleepUntil(startUs + spec.dropAfterMs * 1000, signal);
      if (!signal.aborted) {
        progress.step(this.label, `${spec.id}: the server drops every connection`);
        const dropped = await this.api.drop();
        if (dropped === null) throw new Error(`${this.api.baseUrl} has no POST /drop (docs/PROTOCOL.md §10.2): reconnects cannot be measured against it`);
        // From the answer on, a message could only reach a client over a new connection.
        drop = { atUs: nowMicros(), dropped };
        pool.broadcast({ type: 'drop', atUs: drop.atUs });
      }
    }
    await sleepUntil(endUs, signal);
    const interrupted = signal.aborted;
    const actualEndUs = Math.min(endUs, nowMicros());
    const serverEnd = await this.api.stats().catch(() => null);
    const busy = machineBusyUs() - busyStart;
    const own = process.cpuUsage(ownStart);
    const drainMs = interrupted ? 0 : await this.drain();
    const reports = await pool.collect();
    await this.setRate(0);

    const durationMs = Math.max(1, (actualEndUs - startUs) / 1000);
    const windowSeconds = [Math.floor((startUs - this.originUs) / 1e6), Math.floor((actualEndUs - this.originUs) / 1e6)] as const;
    const server: ServerWindow | null =
      serverStart !== null && serverEnd !== null
        ? { start: serverStart, end: serverEnd, baselineRssBytes: this.baselineRssBytes, samples: this.serverSamples.filter((s) => s.second >= windowSeconds[0] && s.second < windowSeconds[1]).map((s) => s.stats) }
        : null;
    const payloadBytes = this.key.scenario === 'feed' ? config.feed.payloadBytes : config.chat.payloadBytes;
    const result = aggregateWindow({ durationMs, payloadBytes, connect: this.connectReports, reports, server });

    const notes: string[] = [];
    const ours = (server === null ? 0 : server.end.cpu.userUs + server.end.cpu.systemUs - server.start.cpu.userUs - server.start.cpu.systemUs) + reports.reduce((s, r) => s + r.cpuUs, 0) + own.user + own.system;
    const otherCores = Math.max(0, (busy - ours) / (durationMs * 1000));
    this.otherCpuCores.push(otherCores);
    if (this.server === undefined) notes.push('measured against a target server (--target); its CPU figures include whatever else it serves');
    else if (otherCores > NOISY_OTHER_CORES) notes.push(`other processes kept ${otherCores.toFixed(2)} cores busy during the window: figures may be noisy`);
    for (const report of reports) for (const problem of report.problems) if (!notes.includes(problem)) notes.push(problem);
    if (interrupted) notes.push('interrupted before the window ended: figures cover the part that ran');

    const connections = this.connections;
    // A server that would not take the rate published at its own: report what it did.
    const rate = this.key.scenario === 'feed' && !this.feedControllable ? (serverEnd?.feed.rate ?? spec.rate) : spec.rate;
    const recipients = this.key.scenario === 'feed' ? connections : config.chat.membersPerRoom;
    const record: RunRecord = {
      id: spec.id,
      transport: this.key.transport,
      scenario: this.key.scenario,
      client: this.key.client,
      encoding: this.key.encoding,
      kind: spec.kind,
      step: spec.step,
      complete: !interrupted,
      clientBound: result.clientBoundReasons.length > 0,
      clientBoundReasons: result.clientBoundReasons,
      notes: notes.slice(0, 10),
      load: {
        connections,
        publishRatePerSec: this.key.scenario === 'feed' ? rate : null,
        sendRatePerMember: this.key.scenario === 'chat' ? rate : null,
        rooms: this.key.scenario === 'chat' ? config.chat.rooms : null,
        membersPerRoom: this.key.scenario === 'chat' ? config.chat.membersPerRoom : null,
        payloadBytes,
        offeredDeliveriesPerSec: rate * (this.key.scenario === 'feed' ? recipients : connections * recipients),
        warmupMs: spec.warmupMs,
        durationMs: Math.round(durationMs),
      },
      window: { startUs, endUs: actualEndUs, drainMs },
      metrics: result.metrics,
      histograms: result.histograms,
      timeline: this.timeline(runStartUs, startUs, actualEndUs, nowMicros()),
    };
    if (drop !== undefined) record.reconnect = reconnectMetrics(reports, { dropAtMs: Math.round((drop.atUs - startUs) / 100) / 10, droppedConnections: drop.dropped, clients: connections });
    return record;
  }

  private timeline(runStartUs: number, startUs: number, endUs: number, untilUs: number): TimelinePoint[] {
    const first = Math.floor((runStartUs - this.originUs) / 1e6);
    const last = Math.floor((untilUs - this.originUs) / 1e6) - 1;
    const points: TimelinePoint[] = [];
    for (let second = first; second <= last; second++) {
      const tick = this.ticks.get(second);
      const midUs = this.originUs + (second + 0.5) * 1e6;
      const sample = this.serverSamples.find((s) => s.second === second);
      const previous = this.serverSamples.find((s) => s.second === second - 1);
      const latency = tick !== undefined && tick.latency.length > 0 ? mergeHistograms(tick.latency.map(decodeHistogram)) : undefined;
      points.push({
        t: second - first,
        phase: midUs < startUs ? 'warmup' : midUs < endUs ? 'measure' : 'drain',
        deliveries: tick?.deliveries ?? 0,
        latencyP99Ms: latency === undefined ? null : latency.getValueAtPercentile(99) / 1000,
        connections: tick?.connections ?? 0,
        clientCpuCores: Math.round((tick?.cpuUs ?? 0) / 1e4) / 100,
        serverCpuCores:
          sample !== undefined && previous !== undefined
            ? Math.round(((sample.stats.cpu.userUs + sample.stats.cpu.systemUs - previous.stats.cpu.userUs - previous.stats.cpu.systemUs) / (sample.stats.now - previous.stats.now)) * 100) / 100
            : null,
        serverRssBytes: sample?.stats.memory.rssBytes ?? null,
        serverLoopDelayP99Ms: sample?.stats.eventLoopDelayMs.p99 ?? null,
      });
    }
    return points;
  }

  async close(): Promise<void> {
    this.stopSampler();
    await this.pool?.close();
    await this.server?.stop();
  }
}

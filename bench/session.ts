/**
 * One session: a server (started in its own process, or a target), load workers holding the
 * scenario's connections, and the measurements taken while they are open. A fixed run is one
 * measure(); a capacity search is several on the same connections. What differs between scenarios
 * comes from their module (scenarios/registry.ts); window-runner.ts runs each window and
 * run-record.ts builds its record.
 */
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import type { LoadEndpoint } from '../clients/load/load-connection.ts';
import type { ConnectReport, TimelineTick, WorkerPlan } from '../clients/load/worker-protocol.ts';
import { originsNeeded } from '../clients/browser/layout.ts';
import type { ClockCheck, RunRecord } from '../metrics/result-types.ts';
import type { BenchConfig } from '../scenarios/bench-config.ts';
import { everySecondSince, nowMicros } from '../scenarios/clock.ts';
import { CHROMIUM_CONNECTIONS_PER_ORIGIN, SERVER_DEFAULTS } from '../scenarios/constants.ts';
import { scenarioOf } from '../scenarios/registry.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { browserWorkerCount, shareOut, workerCount } from './plan.ts';
import type { Progress } from './progress.ts';
import { buildRunRecord, type RunKey, type ServerSample, type TickSum } from './run-record.ts';
import { ServerApi } from './server-api.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { runWindow, type MeasureSpec } from './window-runner.ts';
import { WorkerPool } from './worker-pool.ts';
import { pinningFor, serverPin, workersPin } from './pinning.ts';
import { serverHeapArgs } from './server-heap.ts';
import { sessionLabel } from '../metrics/session-label.ts';

const CONNECT_TIMEOUT_FLOOR_MS = 30_000;

export type SessionKey = RunKey;

export interface SessionDeps {
  config: BenchConfig;
  registry: Set<ChildProcess>;
  progress: Progress;
  signal: AbortSignal;
  /** How progress lines name the session; default sessionLabel(key) (run-bench adds the repeat). */
  label?: string;
}

export { sessionLabel };

export class Session {
  readonly notices: string[] = [];
  readonly clock: ClockCheck['samples'] = [];
  /** Cores busy outside the lab during each window of this session. */
  readonly otherCpuCores: number[] = [];
  /** Per measured window, in order: the load client's CPU and the whole machine's, in cores (capacity limits read them). */
  readonly windowCpu: { clientCores: number; machineBusyCores: number }[] = [];
  private readonly scenario: Scenario;
  private readonly ticks = new Map<number, TickSum>();
  private readonly serverSamples: ServerSample[] = [];
  private stopSampler: () => void = () => undefined;
  private connectReports: ConnectReport[] = [];
  /** False when a target server has no PUT /feed: it publishes at its own rate. */
  private feedControllable = true;
  private readonly originUs = nowMicros();
  private server: ServerProcess | undefined;
  private pool: WorkerPool | undefined;
  private api!: ServerApi;
  private baselineRssBytes = 0;
  private idleRssBytes: number | null = null;
  private connections = 0;

  private constructor(
    readonly key: SessionKey,
    private readonly deps: SessionDeps,
  ) {
    this.scenario = scenarioOf(key.scenario);
  }

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

  /** Why connections failed to open while the session ramped up (distinct, at most 3); empty when none failed. */
  get connectFailureReasons(): string[] {
    return [...new Set(this.connectReports.flatMap((r) => r.failures))].slice(0, 3);
  }

  /** Whether the lab sets this session's rate: clients' sends always; a publisher only if the server takes PUT /feed. */
  get rateControllable(): boolean {
    return this.scenario.pace === 'senders' || this.feedControllable;
  }

  private get label(): string {
    return this.deps.label ?? sessionLabel(this.key);
  }

  private async start(): Promise<void> {
    const { config, progress, registry } = this.deps;
    const payloadBytes = this.scenario.payloadBytes(config);
    const browser = this.key.client === 'browser';
    const specsCount = this.scenario.connections(config, this.key.client);
    const workers = browser ? browserWorkerCount(config, specsCount) : 0;
    const perOrigin = this.scenario.streamsPerOrigin;
    // Browser SSE and long-poll clients need several origins (Chromium's connections per host:port): one server, several ports.
    const origins = browser ? originsNeeded(this.key.transport, Math.ceil(specsCount / workers), perOrigin) : 1;
    const poolSize = browser ? workers : workerCount(config, specsCount, cpus().length);
    const kind = browser ? 'browser worker' : 'load worker';
    // The workers start while the server does: their start-ups overlap instead of adding up, in every session
    // (the CI gate runs 60).
    this.pool = new WorkerPool(poolSize, { progress: (opened, failed) => progress.connecting(this.label, opened, failed, specsCount), tick: (w, t) => this.onTick(w, t) }, registry, this.key.client, workersPin(pinningFor(config.pin).pinning));
    if (config.target === null) {
      progress.step(this.label, 'starting the server');
      const pin = serverPin(pinningFor(config.pin).pinning);
      this.server = await startServerProcess({ transport: this.key.transport, payloadBytes, token: config.token, registry, extraPorts: origins - 1, nodeArgs: serverHeapArgs(config.serverHeap), ...(pin === undefined ? {} : { pin }) });
    } else if (origins > 1) {
      throw new Error(`${specsCount} ${this.key.transport} browser clients need ${origins} origins (Chromium opens at most ${CHROMIUM_CONNECTIONS_PER_ORIGIN} connections per host:port), and --target serves one: use --browser-clients ${perOrigin * workers} or fewer`);
    }
    const baseUrl = this.server?.baseUrl ?? config.target!.replace(/\/$/, '');
    // The lab's own server has a control token of its own (made by startServerProcess); a --target has one token for both.
    this.api = new ServerApi(baseUrl, config.token, this.server?.controlToken ?? config.token);
    const before = await this.api.stats();
    if (before === null) this.notices.push(`${baseUrl} serves no /stats: server CPU, memory and event-loop figures are not measured`);
    this.baselineRssBytes = before?.memory.rssBytes ?? 0;
    if (before !== null && before.connections.open > 0) this.notices.push(`${baseUrl} already had ${before.connections.open} connections open: its memory per connection includes them`);
    await this.checkServerClock();

    const topic = before?.feed.topics[0] ?? SERVER_DEFAULTS.topics[0]!;
    const specs = this.scenario.connectionSpecs(config, this.key.client, topic);
    this.connections = specs.length;
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
    // Every connection open and nothing published yet (the lab's server starts at --feed-rate 0, and chat
    // senders wait for their first window): memory per idle connection, as toolchain.md's reference was
    // measured. A --target may be publishing at its own rate meanwhile, so its reading would not be idle.
    if (this.server !== undefined && before !== null) this.idleRssBytes = (await this.api.stats())?.memory.rssBytes ?? null;
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

  /** The scenario's pace decides who takes the rate: the server's publisher (PUT /feed) or the workers' senders. */
  private async setRate(rate: number): Promise<void> {
    if (this.scenario.pace === 'senders') {
      this.pool!.broadcast({ type: 'send-rate', perConnectionPerSec: rate, startUs: nowMicros() + 20_000 });
      return;
    }
    if (!this.feedControllable) return;
    this.feedControllable = await this.api.setFeed(rate, this.scenario.payloadBytes(this.deps.config));
    if (!this.feedControllable) this.notices.push(`${this.api.baseUrl} does not support PUT /feed: it published at its own rate, not at ${rate}/s`);
  }

  async measure(spec: MeasureSpec): Promise<RunRecord> {
    const { config, progress, signal } = this.deps;
    const window = await runWindow({ pool: this.pool!, api: this.api, progress, signal, label: this.label, drainMaxMs: config.drainMaxMs, setRate: (rate) => this.setRate(rate) }, spec);
    const { record, otherCpuCores, clientCpuCores, machineBusyCores } = buildRunRecord({
      key: this.key,
      spec,
      config,
      connections: this.connections,
      connect: this.connectReports,
      window,
      baselineRssBytes: this.baselineRssBytes,
      idleRssBytes: this.idleRssBytes,
      originUs: this.originUs,
      ticks: this.ticks,
      serverSamples: this.serverSamples,
      againstTarget: this.server === undefined,
      rateControllable: this.rateControllable,
    });
    this.otherCpuCores.push(otherCpuCores);
    this.windowCpu.push({ clientCores: clientCpuCores, machineBusyCores });
    return record;
  }

  /** How the lab's own server ended, if it ended by itself (null while it runs, or for a --target). */
  serverExitNote(): string | null {
    return this.server?.exitNote() ?? null;
  }

  async close(): Promise<void> {
    this.stopSampler();
    await this.pool?.close();
    await this.server?.stop();
  }
}

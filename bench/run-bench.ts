/**
 * The bench: for each transport x scenario x encoding, a session (server + workers + connections),
 * a fixed-load run, then a capacity search if asked. results.json is rewritten after every run, so
 * an interruption or a crash leaves the runs so far (marked incomplete), and every child process
 * is stopped whatever happens.
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { CapacityResult, ClockCheck, ResultsFile, RunRecord } from '../metrics/result-types.ts';
import { SCHEMA_VERSION } from '../metrics/result-types.ts';
import { ResultsError, writeResultsFile } from '../metrics/results-io.ts';
import type { BenchConfig } from '../scenarios/bench-config.ts';
import type { TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { scenarioOf } from '../scenarios/registry.ts';
import { reportPathFor, writeReport } from '../reports/write-report.ts';
import { summarizeRepeats } from '../reports/spread.ts';
import { repeatBase } from '../metrics/repeat-id.ts';
import { findChromium } from '../clients/browser/chromium.ts';
import { measureConnectionLimit } from '../clients/browser/connection-limit.ts';
import { searchCapacity } from './capacity.ts';
import { searchConnectionCapacity } from './capacity-connections.ts';
import { collectEnvironment } from './environment.ts';
import { Progress } from './progress.ts';
import { pinningFor } from './pinning.ts';
import { serverHeapArgs } from './server-heap.ts';
import { ServerApi } from './server-api.ts';
import { checkTargetControl, targetTransport } from './target.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { Session, sessionLabel, type SessionKey } from './session.ts';

/** Clocks agree when every offset is within its measurement uncertainty plus this much. */
const CLOCK_TOLERANCE_US = 1000;

export interface BenchOutcome {
  results: ResultsFile;
  /** The results file of this bench, and the stable copy of the latest one. */
  path: string;
  latestPath: string;
  /** report.html beside each results file; null when rendering failed (the results are still written). */
  reportPath: string | null;
  latestReportPath: string | null;
}

export interface BenchIo {
  stderr: (text: string) => void;
  signal: AbortSignal;
  /** Child processes alive right now (servers, workers), for the caller's last-resort cleanup. */
  registry: Set<ChildProcess>;
  /** Notices decided before the bench started (e.g. --no-browser), recorded in the results. */
  notices?: string[];
}

function timestampDir(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-').replace('T', '_').replace('Z', '');
}

function clockCheck(samples: ClockCheck['samples']): ClockCheck | null {
  if (samples.length === 0) return null;
  const maxAbsOffsetUs = Math.max(...samples.map((s) => Math.abs(s.offsetUs)));
  return { samples, maxAbsOffsetUs, agreed: samples.every((s) => Math.abs(s.offsetUs) <= s.uncertaintyUs + CLOCK_TOLERANCE_US) };
}

export async function runBench(config: BenchConfig, io: BenchIo): Promise<BenchOutcome> {
  const startedAt = new Date();
  const progress = new Progress(io.stderr);
  const dir = join(config.out, timestampDir(startedAt));
  const path = join(dir, 'results.json');
  const latestPath = join(config.out, 'latest', 'results.json');
  const clockSamples: ClockCheck['samples'] = [];
  const otherCores: number[] = [];
  const results: ResultsFile = {
    schemaVersion: SCHEMA_VERSION,
    complete: false,
    interruption: null,
    environment: collectEnvironment(startedAt),
    // The token is a secret: results files get shared, so only its presence is recorded.
    config: { ...config, token: config.token === null ? null : '(set)' } as unknown as Record<string, unknown>,
    clock: null,
    runs: [],
    capacity: [],
    notices: [],
  };
  // One failed write ends the bench (WRITE_FAILED): measuring on without a place to keep the figures wastes the run.
  let writeFailure: UsageError | null = null;
  const write = async (file: string): Promise<void> => {
    if (writeFailure !== null) throw writeFailure;
    try {
      await writeResultsFile(file, results);
    } catch (err) {
      if (err instanceof ResultsError) throw err;
      writeFailure = writeFailed(file, err);
      throw writeFailure;
    }
  };
  const save = async (): Promise<void> => {
    results.clock = clockCheck(clockSamples);
    results.summary = summarizeRepeats(results);
    results.environment.otherCpuCores = otherCores.length > 0 ? Math.round((otherCores.reduce((a, b) => a + b, 0) / otherCores.length) * 100) / 100 : null;
    await write(path);
  };
  const notice = (text: string): void => {
    if (results.notices.includes(text)) return;
    results.notices.push(text);
    progress.notice(text);
  };
  const addRun = async (label: string, run: RunRecord): Promise<void> => {
    results.runs.push(run);
    progress.run(label, run);
    await save();
  };

  let transports: TransportName[] = config.transports;
  if (config.target !== null) {
    const api = new ServerApi(config.target, config.token);
    const served = await targetTransport(api, transports, '--transports');
    await checkTargetControl(api);
    transports = [served];
    notice(`measuring the ${served} server at ${config.target} (not started by the lab)`);
  }
  for (const text of io.notices ?? []) notice(text);
  const browser = browserAvailability(config);
  if (browser.notice !== null) notice(browser.notice);
  const pinned = pinningFor(config.pin);
  if (pinned.notice !== null) notice(pinned.notice);
  else if (pinned.pinning !== null && config.target === null) notice(`--pin on: the server ran on CPU ${pinned.pinning.server}, the load workers on CPU ${pinned.pinning.workers} (taskset)`);
  if (config.serverHeap !== 'default') {
    notice(
      config.target === null
        ? `--server-heap ${config.serverHeap}: the lab's servers ran with ${serverHeapArgs(config.serverHeap).join(' ')} (less memory per connection, at a cost in server CPU and capacity: compare figures only with runs of the same setting)`
        : `--server-heap ${config.serverHeap} had no effect: the --target server was not started by the lab`,
    );
  }

  const rounds = config.repeat > 1 ? `, ${config.repeat} repeats (transports alternating)` : '';
  progress.step('bench', `profile ${config.profile}: ${transports.join(', ')} x ${config.scenarios.join(', ')} x ${config.encodings.join(', ')} x ${config.clients.join(', ')} clients${rounds}; results in ${path}`);
  await save();
  const collect: Collect = { addRun, notice, clockSamples, otherCores, results, save };
  try {
    for (const session of sessionOrder(config, transports, browser.run)) {
      if (io.signal.aborted) break;
      await runSession(session.key, session.repeat, config, io, progress, collect);
    }
    if (browser.run) {
      if (config.browser.connectionLimit && config.target === null && !io.signal.aborted) await findConnectionLimit(config, io, progress, collect);
    }
  } finally {
    results.complete = !io.signal.aborted && results.interruption === null;
    if (io.signal.aborted) results.interruption ??= String(io.signal.reason ?? 'interrupted');
    results.environment.finishedAt = new Date().toISOString();
    await save();
    if (results.complete || results.runs.length > 0) await write(latestPath);
  }
  const reportPath = await renderBeside(path, results, progress);
  const latestReportPath = results.complete || results.runs.length > 0 ? await renderBeside(latestPath, results, progress) : null;
  return { results, path, latestPath, reportPath, latestReportPath };
}

/**
 * Every session of the bench in the order they run. With --repeat N the matrix runs N rounds, each
 * complete before the next: transports alternate (ws, sse, long-poll, ws, ...), so whatever drifts
 * over the bench (another process, heat, the page cache) hits each transport alike, and an
 * interrupted bench still has every combination from its first round. A session keeps its fixed run
 * and its capacity search together: both need the same server and connections, and a fresh server
 * per repeat puts its start-up's variance (heap layout, JIT) into the spread, where it belongs.
 */
export function sessionOrder(config: BenchConfig, transports: readonly TransportName[], browser: boolean): { key: SessionKey; repeat: number }[] {
  const order: { key: SessionKey; repeat: number }[] = [];
  for (let repeat = 1; repeat <= config.repeat; repeat++) {
    if (config.clients.includes('node')) {
      for (const scenario of config.scenarios) {
        for (const encoding of config.encodings) {
          for (const transport of transports) order.push({ key: { transport, scenario, encoding, client: 'node' }, repeat });
        }
      }
    }
    if (browser) {
      // Browser clients speak JSON, the encoding browsers' own APIs hand over as text.
      for (const scenario of config.scenarios) {
        for (const transport of transports) order.push({ key: { transport, scenario, encoding: 'json', client: 'browser' }, repeat });
      }
    }
  }
  return order;
}

function writeFailed(file: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new UsageError('WRITE_FAILED', `cannot write the results to ${file} (${code}), so the bench stopped: check the space and permissions of ${dirname(file)}, or pass another --out`);
}

/** A write failure is not one session's problem: it ends the bench. */
function isWriteFailure(err: unknown): boolean {
  return err instanceof UsageError && err.code === 'WRITE_FAILED';
}

/**
 * Resolves with what `work` gives, or with undefined as soon as the bench is interrupted (set-up:
 * a server starting, workers connecting, Chromium launching, can take many seconds and does not
 * watch the signal). What `work` gives later is handed to `abandon`; the caller's exit kills any
 * child still alive.
 */
async function unlessInterrupted<T>(work: Promise<T>, signal: AbortSignal, abandon: (value: T) => unknown): Promise<T | undefined> {
  if (signal.aborted) {
    void work.then(abandon, () => undefined);
    return undefined;
  }
  let onAbort = (): void => undefined;
  const interrupted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const winner = await Promise.race([work.then((value) => ({ value })), interrupted]);
    if (winner === undefined) {
      void work.then(abandon, () => undefined);
      return undefined;
    }
    return winner.value;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** report.html next to a results file; a rendering failure is reported, never lets the results go unwritten. */
async function renderBeside(resultsPath: string, results: ResultsFile, progress: Progress): Promise<string | null> {
  const out = reportPathFor(resultsPath);
  try {
    await writeReport(results, null, out);
    return out;
  } catch (err) {
    progress.notice(`the HTML report could not be rendered (${(err as Error).message}); the results are in ${resultsPath}: try npm run report -- ${resultsPath}`);
    return null;
  }
}

interface Collect {
  addRun(label: string, run: RunRecord): Promise<void>;
  notice(text: string): void;
  clockSamples: ClockCheck['samples'];
  otherCores: number[];
  results: ResultsFile;
  save(): Promise<void>;
}

/** Whether browser clients run, and what to tell the user when they were asked for and cannot. */
function browserAvailability(config: BenchConfig): { run: boolean; notice: string | null } {
  if (!config.clients.includes('browser')) return { run: false, notice: null };
  try {
    findChromium();
  } catch (err) {
    // Asked for on their own, a missing browser is an error; as part of the default profile, a notice.
    if (!config.clients.includes('node')) throw err;
    return { run: false, notice: `browser clients skipped: ${(err as Error).message}` };
  }
  if (!config.encodings.includes('json')) return { run: true, notice: `browser clients ran json only (not ${config.encodings.join(', ')}): browser pages here decode JSON text` };
  if (config.encodings.length > 1) return { run: true, notice: 'browser clients ran json only: browser pages here decode JSON text' };
  return { run: true, notice: null };
}

/** The dedicated measurement of Chromium's connections per origin, against an SSE server on two ports. */
async function findConnectionLimit(config: BenchConfig, io: BenchIo, progress: Progress, collect: Collect): Promise<void> {
  const label = 'browser connection limit';
  progress.step(label, 'opening 7 EventSources to one origin in Chromium');
  let server: ServerProcess | undefined;
  try {
    server = await unlessInterrupted(startServerProcess({ transport: 'sse', payloadBytes: config.feed.payloadBytes, token: config.token, registry: io.registry, extraPorts: 1 }), io.signal, (late) => late.stop());
    if (server === undefined) return;
    // Abandoned, it is still stopped: the finally below stops the server its Chromium connects to.
    const finding = await unlessInterrupted(measureConnectionLimit({ baseUrls: server.baseUrls, token: config.token }), io.signal, () => undefined);
    if (finding === undefined) return;
    (collect.results.findings ??= []).push(finding);
    progress.step(label, `${finding.openedAtOnce} of ${finding.attempted} opened at once to one origin`);
    await collect.save();
  } catch (err) {
    if (isWriteFailure(err)) throw err;
    collect.notice(`${label} failed: ${(err as Error).message}`);
  } finally {
    await server?.stop();
  }
}

async function runSession(key: SessionKey, repeat: number, config: BenchConfig, io: BenchIo, progress: Progress, collect: Collect): Promise<void> {
  const label = config.repeat > 1 ? `${sessionLabel(key)} (repeat ${repeat}/${config.repeat})` : sessionLabel(key);
  const base = repeatBase(`${key.transport}/${key.scenario}/${key.encoding}/${key.client}`, repeat, config.repeat);
  // Every record says which repeat it belongs to; its id carries it too when there is more than one.
  const addRun = (run: RunRecord): Promise<void> => collect.addRun(label, { ...run, repeat });
  const scenario = scenarioOf(key.scenario);
  let session: Session | undefined;
  try {
    session = await unlessInterrupted(Session.open(key, { config, registry: io.registry, progress, signal: io.signal, label }), io.signal, (late) => late.close());
    if (session === undefined) return;
    const fixedRate = scenario.fixedRate(config, key.client);
    // The session's first window also warms what starts cold (scenario.coldStartWarmupMs; run.load.warmupMs records it):
    // Node clients only, whose thousands of sends a second are what backs up (a browser run sends tens).
    const coldStart = key.client === 'node' ? scenario.coldStartWarmupMs : 0;
    const run = await session.measure({ id: base, kind: 'fixed', rate: fixedRate, warmupMs: config.warmupMs + coldStart, durationMs: config.durationMs, step: null });
    const fixedCpu = session.windowCpu[session.windowCpu.length - 1];
    await addRun(run);
    if (key.client === 'browser') {
      if (scenario.reconnectRun && config.browser.reconnect && !io.signal.aborted) {
        // The drop comes early enough that the slowest first retry (1 s) is back well inside the window.
        const dropAfterMs = Math.min(1000, Math.floor(config.durationMs / 3));
        const reconnect = await session.measure({ id: `${base}/reconnect`, kind: 'reconnect', rate: fixedRate, warmupMs: config.warmupMs, durationMs: Math.max(config.durationMs, dropAfterMs + 3000), step: null, dropAfterMs });
        await addRun(reconnect);
      }
      // Capacity searches use Node clients: they measure the server, not the browser.
      return;
    }
    const steppable = session.rateControllable;
    if (!steppable && config.capacity.enabled) collect.notice(`${label}: capacity search skipped: the server does not let the lab set its feed rate (PUT /feed)`);
    if (config.capacity.axis === 'connections') {
      if (config.capacity.enabled && steppable && config.capacity.scenarios.includes(key.scenario) && !io.signal.aborted) {
        // Each step opens a session of its own: this one's server and connections close first.
        const fixed = session;
        session = undefined;
        await releaseSession(fixed, progress, collect);
        collect.results.capacity.push({ ...(await searchConnectionsAxis(key, base, addRun, config, io, progress, collect)), repeat });
        await collect.save();
      }
      return;
    }
    if (config.capacity.enabled && steppable && config.capacity.scenarios.includes(key.scenario) && !io.signal.aborted) {
      const capacity = await searchCapacity(
        session,
        {
          id: `${base}/capacity`,
          bounds: {
            ...scenario.capacityBounds(config),
            // Rates are whole numbers, feed publish rates and chat sends per member alike: 1 is the lowest.
            minRate: 1,
            maxSteps: config.capacity.maxSteps,
            resolution: config.capacity.resolution,
            steps: scenario.capacityRates(config),
            probeAboveBrokenStart: true,
          },
          warmupMs: config.capacity.stepWarmupMs,
          durationMs: config.capacity.stepDurationMs,
          slo: { p99Ms: config.capacity.sloP99Ms, maxLoss: config.capacity.sloMaxLoss },
        },
        addRun,
        io.signal,
        { rate: fixedRate, run, cpu: fixedCpu },
      );
      collect.results.capacity.push({ ...capacity, repeat });
      await collect.save();
    }
  } catch (err) {
    if (isWriteFailure(err)) throw err;
    if (io.signal.aborted) return;
    // A control call that failed says only that the server went away: say how, when the lab knows.
    const exit = session?.serverExitNote() ?? null;
    collect.notice(`${label} failed: ${(err as Error).message}${exit === null ? '' : `; ${exit}`}`);
  } finally {
    if (session !== undefined) await releaseSession(session, progress, collect);
  }
}

/** Closes a session, keeping its notices, clock samples and CPU figures for the results. */
async function releaseSession(session: Session, progress: Progress, collect: Collect): Promise<void> {
  for (const note of session.notices) collect.notice(note);
  collect.clockSamples.push(...session.clock);
  collect.otherCores.push(...session.otherCpuCores);
  progress.step(sessionLabel(session.key), 'closing connections and stopping the server');
  await session.close();
}

/** The connections-axis capacity search (--capacity-axis connections): a session per step, each closed before the next opens. */
async function searchConnectionsAxis(
  key: SessionKey,
  base: string,
  addRun: (run: RunRecord) => Promise<void>,
  config: BenchConfig,
  io: BenchIo,
  progress: Progress,
  collect: Collect,
): Promise<CapacityResult> {
  const { capacity } = config;
  return searchConnectionCapacity(
    key,
    config,
    {
      id: `${base}/capacity`,
      // Fixed steps (--capacity-steps) are rates: this axis always searches.
      bounds: { startRate: capacity.startConnections, minRate: 1, maxRate: capacity.maxConnections, maxSteps: capacity.maxSteps, resolution: capacity.resolution, steps: null },
      warmupMs: capacity.stepWarmupMs,
      durationMs: capacity.stepDurationMs,
      slo: { p99Ms: capacity.sloP99Ms, maxLoss: capacity.sloMaxLoss },
      connectionRate: capacity.connectionRate,
    },
    {
      open: (stepConfig) => unlessInterrupted(Session.open(key, { config: stepConfig, registry: io.registry, progress, signal: io.signal }), io.signal, (late) => late.close()),
      release: (session) => releaseSession(session, progress, collect),
    },
    addRun,
    io.signal,
  );
}

/**
 * Runs one measured window on connections that are already open: sets the rate, warms up, measures
 * (cutting every connection partway when asked), drains late arrivals, collects the workers'
 * reports and the server's /stats around the window, and sets the rate back to 0. It returns what
 * it observed, raw; run-record.ts turns that into the run's record.
 */
import type { WindowReport } from '../clients/load/worker-protocol.ts';
import type { RunKind, RunRecord } from '../metrics/result-types.ts';
import { nowMicros } from '../scenarios/clock.ts';
import type { PublishedWindow } from '../servers/hub.ts';
import type { ServerStatsSnapshot } from '../servers/stats.ts';
import { machineBusyUs } from './machine-cpu.ts';
import type { Progress } from './progress.ts';
import type { ServerApi } from './server-api.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * How often the drain asks whether arrivals have stopped; two unchanged answers in a row end it.
 * Loopback deliveries land within milliseconds, and each poll also waits for the server to answer,
 * so 100 ms apart is ample; at 200 ms the drain took at least 0.6 s a session, 36 s of the CI gate's
 * 60 sessions (10 benches of 6).
 */
const DRAIN_POLL_MS = 100;

export interface MeasureSpec {
  id: string;
  kind: RunKind;
  /** In the unit of the scenario's pace: messages published per second, or sends per member per second. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  step: RunRecord['step'];
  /** Reconnect runs: the server cuts every connection (POST /drop) this long into the window. */
  dropAfterMs?: number;
}

/** What a window runs on: the session's workers and server, and how its scenario sets the rate. */
export interface WindowDriver {
  pool: WorkerPool;
  api: ServerApi;
  progress: Progress;
  signal: AbortSignal;
  /** For progress lines. */
  label: string;
  drainMaxMs: number;
  setRate(rate: number): Promise<void>;
}

export interface WindowObservation {
  /** When the rate was set (the timeline starts here), the window's marks, and when collection ended. */
  runStartUs: number;
  startUs: number;
  /** The window's end, or the interruption if that came first. */
  endUs: number;
  finishedUs: number;
  interrupted: boolean;
  /** The server's /stats at the window's marks; null when it serves none or did not answer. */
  serverStart: ServerStatsSnapshot | null;
  serverEnd: ServerStatsSnapshot | null;
  /** CPU time the whole machine, and this coordinator process, spent over the window, µs. */
  machineBusyUs: number;
  coordinatorCpuUs: number;
  drainMs: number;
  /** False when the drain reached drainMaxMs before in-window arrivals settled. */
  drainSettled?: boolean;
  reports: WindowReport[];
  /**
   * What the server published in the window, asked after the drain (GET /published); null when it
   * cannot say (then expected is inferred); `publishedProblem` says why the call failed, if it did.
   */
  published?: PublishedWindow | null;
  publishedProblem?: string;
  /** When the server answered POST /drop, and how many connections it cut. */
  drop?: { atUs: number; dropped: number };
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

/**
 * Waits after the window until in-window arrivals stop growing (late messages still count), at most
 * drainMaxMs. Each poll also waits for the server to answer: on a busy machine the server can be
 * descheduled for seconds, partway through a fan-out, and arrivals that pause because it is not
 * running have not ended (collecting then counted the recipients it had not reached yet as lost).
 */
async function drain(driver: WindowDriver): Promise<{ ms: number; settled: boolean }> {
  const started = performance.now();
  let last = -1;
  let stable = 0;
  while (!driver.signal.aborted && performance.now() - started < driver.drainMaxMs) {
    await sleep(DRAIN_POLL_MS, driver.signal);
    const [count, serverAnswered] = await Promise.all([driver.pool.drainStatus(), driver.api.stats().then(() => true, () => false)]);
    stable = count === last && serverAnswered ? stable + 1 : 0;
    last = count;
    if (stable >= 2) break;
  }
  return { ms: Math.round(performance.now() - started), settled: stable >= 2 || driver.signal.aborted };
}

export async function runWindow(driver: WindowDriver, spec: MeasureSpec): Promise<WindowObservation> {
  const { pool, api, progress, signal, label } = driver;
  const runStartUs = nowMicros();
  await driver.setRate(spec.rate);
  // Whole µs: the recorders and GET /published (whole µs on the wire) must draw the same edges, or a
  // message between the rounded and the exact edge counts on one side only.
  const startUs = Math.ceil(nowMicros() + spec.warmupMs * 1000);
  const plannedEndUs = startUs + spec.durationMs * 1000;
  pool.broadcast({ type: 'window', startUs, endUs: plannedEndUs });
  progress.step(label, `${spec.id}: warm-up ${spec.warmupMs / 1000} s, measuring ${spec.durationMs / 1000} s`);

  await sleepUntil(startUs, signal);
  const serverStart = await api.stats().catch(() => null);
  const busyStart = machineBusyUs();
  const ownStart = process.cpuUsage();
  let drop: WindowObservation['drop'];
  if (spec.dropAfterMs !== undefined) {
    await sleepUntil(startUs + spec.dropAfterMs * 1000, signal);
    if (!signal.aborted) {
      progress.step(label, `${spec.id}: the server drops every connection`);
      const dropped = await api.drop();
      if (dropped === null) throw new Error(`${api.baseUrl} has no POST /drop (docs/PROTOCOL.md §10.2): reconnects cannot be measured against it`);
      // From the answer on, a message could only reach a client over a new connection.
      drop = { atUs: nowMicros(), dropped };
      pool.broadcast({ type: 'drop', atUs: drop.atUs });
    }
  }
  await sleepUntil(plannedEndUs, signal);
  const interrupted = signal.aborted;
  // The planned end unless interrupted: a timer may wake a fraction of a millisecond early, and the
  // recorders count up to the planned end (a window cut short there would leave an edge message uncounted by GET /published).
  const endUs = interrupted ? Math.min(plannedEndUs, Math.floor(nowMicros())) : plannedEndUs;
  const serverEnd = await api.stats().catch(() => null);
  const busy = machineBusyUs() - busyStart;
  const own = process.cpuUsage(ownStart);
  const drained = interrupted ? { ms: 0, settled: true } : await drain(driver);
  // After the drain: a feed message due in the window may be published late, after its end. Up to
  // the window's end, the interruption if that came first: expected then covers the part that ran,
  // as every other figure does (its loss is still partial, with no drain: run-record.ts says so).
  let publishedProblem: string | undefined;
  const published = await api.published(startUs, endUs).catch((err: Error) => {
    publishedProblem = err.message;
    return null;
  });
  const reports = await pool.collect();
  await driver.setRate(0);
  return {
    runStartUs,
    startUs,
    endUs,
    finishedUs: nowMicros(),
    interrupted,
    serverStart,
    serverEnd,
    machineBusyUs: busy,
    coordinatorCpuUs: own.user + own.system,
    drainMs: drained.ms,
    drainSettled: drained.settled,
    reports,
    published,
    ...(publishedProblem === undefined ? {} : { publishedProblem }),
    ...(drop === undefined ? {} : { drop }),
  };
}

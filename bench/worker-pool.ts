/** The coordinator's side of the load workers: spawn, plan, ask, collect, close. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConnectReport, FromWorker, TimelineTick, ToWorker, WindowReport, WorkerPlan } from '../clients/load/worker-protocol.ts';
import type { ClientKind } from '../scenarios/constants.ts';
import { nowMicros } from '../scenarios/clock.ts';
import { forkUnder, type PinTo } from './pinning.ts';
import { processBundle } from './process-bundle.ts';

/**
 * Node load workers and browser workers speak the same protocol. Load workers start from their
 * bundle with plain node (bench/process-bundle.ts); the browser worker, once per bench beside its
 * Chromium, through tsx.
 */
function workerScript(kind: ClientKind): { script: string; execArgv: string[] } {
  if (kind === 'node') return { script: processBundle('load worker'), execArgv: profilingArgs() };
  return { script: fileURLToPath(new URL('../clients/browser/browser-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx', ...profilingArgs()] };
}
const REPLY_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** PUSHBENCH_CPU_PROF=<dir>: every server and worker writes a V8 CPU profile there (for finding what bounds a run). */
export function profilingArgs(): string[] {
  const dir = process.env.PUSHBENCH_CPU_PROF;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

class WorkerHandle {
  private readonly waiting = new Map<string, ((message: FromWorker) => void)[]>();
  readonly exited: Promise<void>;
  fatal: string | undefined;

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
    onMessage: (index: number, message: FromWorker) => void,
  ) {
    child.on('message', (message: FromWorker) => {
      if (message.type === 'fatal') this.fatal = message.message;
      onMessage(index, message);
      const queue = this.waiting.get(message.type);
      const next = queue?.shift();
      next?.(message);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Sends a message and waits for the reply of the given type. */
  ask<T extends FromWorker['type']>(message: ToWorker | undefined, replyType: T, timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(replyType) ?? [];
      this.waiting.set(replyType, queue);
      const timer = setTimeout(() => reject(new Error(`load worker ${this.index} did not answer ${replyType} within ${timeoutMs / 1000} s${this.fatal ? `: ${this.fatal}` : ''}`)), timeoutMs);
      const settle = (reply: FromWorker): void => {
        clearTimeout(timer);
        resolve(reply as Reply<T>);
      };
      queue.push(settle);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`load worker ${this.index} exited${this.fatal ? `: ${this.fatal}` : ''}`));
      });
      if (message !== undefined) this.send(message);
    });
  }
}

export interface PoolEvents {
  progress(opened: number, failed: number): void;
  tick(worker: number, tick: TimelineTick): void;
}

export class WorkerPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly progress: { opened: number; failed: number }[] = [];

  constructor(
    count: number,
    private readonly events: PoolEvents,
    registry: Set<ChildProcess>,
    kind: ClientKind = 'node',
    /** --pin on: every worker (and, for browser workers, their Chromium) on these CPUs. */
    pin?: PinTo,
  ) {
    const { script, execArgv } = workerScript(kind);
    for (let i = 0; i < count; i++) {
      const child = fork(script, [], { ...forkUnder(pin, execArgv), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      registry.add(child);
      child.once('exit', () => registry.delete(child));
      this.progress.push({ opened: 0, failed: 0 });
      this.workers.push(new WorkerHandle(i, child, (index, message) => this.onMessage(index, message)));
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private onMessage(index: number, message: FromWorker): void {
    if (message.type === 'connect-progress' || message.type === 'connected') {
      this.progress[index] = { opened: message.opened, failed: message.failed };
      const opened = this.progress.reduce((sum, p) => sum + p.opened, 0);
      const failed = this.progress.reduce((sum, p) => sum + p.failed, 0);
      this.events.progress(opened, failed);
    } else if (message.type === 'tick') this.events.tick(index, message);
  }

  /** Hands each worker its plan and waits until all have opened (or failed) their connections. */
  connect(plans: WorkerPlan[], timeoutMs: number): Promise<ConnectReport[]> {
    return Promise.all(this.workers.map((worker, i) => worker.ask({ type: 'plan', plan: plans[i]! }, 'connected', timeoutMs)));
  }

  /** Clock offsets: each worker's clock minus the coordinator's midpoint of the exchange, with half the round trip as uncertainty. */
  async clock(): Promise<{ offsetUs: number; uncertaintyUs: number }[]> {
    return Promise.all(
      this.workers.map(async (worker) => {
        let best = { offsetUs: 0, uncertaintyUs: Number.POSITIVE_INFINITY };
        for (let i = 0; i < 5; i++) {
          const sentUs = nowMicros();
          const reply = await worker.ask({ type: 'clock', sentUs }, 'clock');
          const back = nowMicros();
          const uncertaintyUs = (back - sentUs) / 2;
          if (uncertaintyUs < best.uncertaintyUs) best = { offsetUs: reply.workerUs - (sentUs + back) / 2, uncertaintyUs };
        }
        return best;
      }),
    );
  }

  broadcast(message: ToWorker): void {
    for (const worker of this.workers) worker.send(message);
  }

  async drainStatus(): Promise<number> {
    const replies = await Promise.all(this.workers.map((w) => w.ask({ type: 'drain-status' }, 'drain-status')));
    return replies.reduce((sum, r) => sum + r.inWindow, 0);
  }

  collect(): Promise<WindowReport[]> {
    return Promise.all(this.workers.map((w) => w.ask({ type: 'collect' }, 'window-result')));
  }

  /** Asks every worker to close its connections and exit; kills those that do not. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
        worker.send({ type: 'close' });
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
        await worker.exited;
        clearTimeout(timer);
      }),
    );
  }
}

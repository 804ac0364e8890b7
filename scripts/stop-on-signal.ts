/**
 * SIGINT and SIGTERM end the bench, whatever it is doing. The first asks it to finish the current
 * window, write what was measured and stop its servers and workers; a second signal, or the first
 * one's grace period running out (something in the way did not finish: a worker that no longer
 * answers, a write the kernel holds), stops every child at once and exits. Either way no child
 * outlives the bench, and the exit status says which signal ended it (128 + its number).
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

const HANDLED = ['SIGINT', 'SIGTERM'] as const;

export interface SignalStop {
  /** Aborted by the first signal; its reason names the signal. */
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM; null while no signal came. */
  exitCode(): number | null;
}

export interface SignalStopOptions {
  /** Every live child process (servers, workers): killed at exit, and at once when stopping is forced. */
  registry: Set<ChildProcess>;
  /** How long the graceful stop may take before it is forced. */
  graceMs: number;
  stderr: (text: string) => void;
}

export function stopOnSignals(options: SignalStopOptions): SignalStop {
  const controller = new AbortController();
  let first: NodeJS.Signals | null = null;
  const code = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];
  const killAll = (): void => {
    for (const child of options.registry) child.kill('SIGKILL');
  };
  const force = (why: string): void => {
    options.stderr(`\npushbench: ${why}: stopping every server and worker at once\n`);
    killAll();
    process.exit(code(first!));
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== null) return force(`${signal} again`);
    first = signal;
    options.stderr(`\npushbench: ${signal}: finishing the current window, writing partial results and stopping servers (again to force)\n`);
    controller.abort(`${signal} received`);
    // unref: a bench that finishes in time exits without waiting for this.
    setTimeout(() => force(`still stopping ${options.graceMs / 1000} s after ${signal}`), options.graceMs).unref();
  };
  for (const signal of HANDLED) process.on(signal, onSignal);
  // Whatever happens (a crash, process.exit anywhere), no server or worker outlives the bench.
  process.on('exit', killAll);
  return { signal: controller.signal, exitCode: () => (first === null ? null : code(first)) };
}

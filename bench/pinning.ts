/**
 * --pin on: the server process on one CPU and the load workers on the others, so the two sides of a
 * measurement do not take turns on the same core (whether that lowers the spread on a 2-core machine
 * is what the option is there to measure). Pinning is done by starting each process under taskset
 * (util-linux) as a command prefix: the affinity is set before Node starts, so every thread Node
 * makes inherits it. os.setPriority only changes priority, and Node has no affinity API.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** taskset CPU lists (e.g. "0", "1-3"), one for the server and one for the load workers. */
export interface CpuPinning {
  taskset: string;
  server: string;
  workers: string;
}

export interface PinningDecision {
  pinning: CpuPinning | null;
  /** Why --pin on did not pin (no taskset, not Linux, one CPU), for the results' notices; null otherwise. */
  notice: string | null;
}

/** "0-2,5" -> [0, 1, 2, 5]. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) continue;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (its affinity, which a container may have narrowed), from /proc. */
function allowedCpus(): number[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((entry) => entry.startsWith('Cpus_allowed_list:'));
    return line === undefined ? [] : parseCpuList(line.slice('Cpus_allowed_list:'.length));
  } catch {
    return [];
  }
}

function findOnPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** The server gets the first allowed CPU, the load workers the rest. */
export function planPinning(cpus: readonly number[], taskset: string): CpuPinning | null {
  const [server, ...rest] = cpus;
  if (server === undefined || rest.length === 0) return null;
  return { taskset, server: String(server), workers: rest.join(',') };
}

let decided: PinningDecision | undefined;

/** Whether and how to pin, decided once per bench process. */
export function pinningFor(enabled: boolean): PinningDecision {
  if (!enabled) return { pinning: null, notice: null };
  if (decided !== undefined) return decided;
  const unpinned = (why: string): PinningDecision => ({ pinning: null, notice: `--pin on: ${why}, so the server and the load workers ran unpinned` });
  if (process.platform !== 'linux') decided = unpinned(`CPU pinning needs Linux's taskset (this is ${process.platform})`);
  else {
    const taskset = findOnPath('taskset');
    const cpus = allowedCpus();
    if (taskset === null) decided = unpinned('taskset was not found on the PATH (install util-linux: apt-get install util-linux)');
    else {
      const pinning = planPinning(cpus, taskset);
      decided = pinning === null ? unpinned(`the bench may use ${cpus.length} CPU (${cpus.join(',') || 'unknown'}), and pinning needs 2 or more`) : { pinning, notice: null };
    }
  }
  return decided;
}

/** One process's pinning: taskset's path and the CPU list to give it. */
export interface PinTo {
  taskset: string;
  cpus: string;
}

export const serverPin = (pinning: CpuPinning | null): PinTo | undefined => (pinning === null ? undefined : { taskset: pinning.taskset, cpus: pinning.server });
export const workersPin = (pinning: CpuPinning | null): PinTo | undefined => (pinning === null ? undefined : { taskset: pinning.taskset, cpus: pinning.workers });

/** fork() options that start a Node script under `taskset -c CPUS` (taskset execs Node: same pid, same IPC channel); as given when unpinned. */
export function forkUnder(pin: PinTo | undefined, execArgv: string[]): { execPath?: string; execArgv: string[] } {
  if (pin === undefined) return { execArgv };
  return { execPath: pin.taskset, execArgv: ['-c', pin.cpus, process.execPath, ...execArgv] };
}

/**
 * What a Chromium costs, read from /proc: Chromium is many processes (browser, renderers, network
 * and GPU utilities), so its CPU and memory are sums over the process tree under the one we
 * launched. Memory is PSS, which counts each shared page once over the processes that share it;
 * summing RSS would count Chromium's shared libraries once per process.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  ppid: number;
  cpuUs: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name is in parentheses and may hold spaces: fields count from after its ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { pid, ppid, cpuUs: (ticks / clockTicksPerSecond()) * 1e6 };
}

/** The root and every process descending from it, with their CPU so far. */
function tree(rootPid: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== null) all.push(stat);
  }
  const children = new Map<number, ProcStat[]>();
  for (const stat of all) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const root = all.find((stat) => stat.pid === rootPid);
  if (root === undefined) return [];
  const found: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return found;
}

/** The PIDs of a process and all its descendants (empty when it is gone). */
export function treePids(rootPid: number): number[] {
  return tree(rootPid).map((stat) => stat.pid);
}

export interface TreeCpu {
  /** CPU time per process so far, µs. */
  byPid: Map<number, number>;
  totalUs: number;
}

export function treeCpu(rootPid: number): TreeCpu {
  const byPid = new Map<number, number>();
  let totalUs = 0;
  for (const stat of tree(rootPid)) {
    byPid.set(stat.pid, stat.cpuUs);
    totalUs += stat.cpuUs;
  }
  return { byPid, totalUs };
}

/**
 * CPU used between two samples: in all, and by the busiest single process. A process that exited in
 * between is not counted after its last sample; one that started counts in full.
 */
export function cpuBetween(before: TreeCpu, after: TreeCpu): { totalUs: number; busiestUs: number; processes: number } {
  let totalUs = 0;
  let busiestUs = 0;
  for (const [pid, us] of after.byPid) {
    const used = Math.max(0, us - (before.byPid.get(pid) ?? 0));
    totalUs += used;
    busiestUs = Math.max(busiestUs, used);
  }
  return { totalUs, busiestUs, processes: after.byPid.size };
}

/** PSS summed over the tree, bytes; processes whose smaps_rollup cannot be read count 0. */
export function treePssBytes(rootPid: number): number {
  let kb = 0;
  for (const stat of tree(rootPid)) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${stat.pid}/smaps_rollup`, 'utf8'));
      if (match !== null) kb += Number(match[1]);
    } catch {
      // exited, or not readable: nothing to add
    }
  }
  return kb * 1024;
}

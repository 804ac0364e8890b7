/** Runs `npm run bench` as a user would (a real process), for the integration tests. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
  /** PIDs of every process the bench started, read from the process table while it ran. */
  childPids: Set<number>;
}

export async function runBenchProcess(args: string[], options: { timeoutMs: number; onStart?: (pid: number) => void }): Promise<BenchProcessResult> {
  const outDir = await mkdtemp(join(tmpdir(), 'pushbench-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args, '--out', outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  options.onStart?.(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const childPids = new Set<number>();
  const watch = setInterval(() => void childrenOf(child.pid!).then((pids) => pids.forEach((p) => childPids.add(p))), 500);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  clearInterval(watch);
  return { code, stdout, stderr, outDir, childPids };
}

/** Direct children of a process, from /proc (Linux). */
export async function childrenOf(pid: number): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Running, not merely a zombie waiting for its (possibly re-assigned) parent to reap it. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits up to `ms` for every PID to be gone; returns those still running. */
export async function survivors(pids: Iterable<number>, ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = [...pids].filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    alive = alive.filter(isAlive);
  }
  return alive;
}

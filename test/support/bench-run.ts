/** Runs `npm run bench` as a user would (a real process), for the integration tests. */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { scratchDir } from './scratch.ts';

export interface BenchProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
  /** PIDs of every process the bench started, read from the process table while it ran. */
  childPids: Set<number>;
}

export interface BenchProcessOptions {
  timeoutMs: number;
  onStart?: (pid: number) => void;
  /** Every chunk of the bench's stderr (its progress lines), as it comes. */
  onStderr?: (chunk: string) => void;
}

export async function runBenchProcess(args: string[], options: BenchProcessOptions): Promise<BenchProcessResult> {
  const outDir = await scratchDir('pushbench-bench-');
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args, '--out', outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  options.onStart?.(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(chunk.toString());
  });
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

/** The command line of a process, its arguments joined by spaces; '' once it is gone. */
export async function commandLineOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * The ports a process listens on over IPv4 TCP, from /proc (Linux): its sockets' inodes matched
 * against the kernel's table of listening sockets. How a test finds a server started on port 0.
 */
export async function listeningPortsOf(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const LISTEN = '0A';
  const table = await readFile('/proc/net/tcp', 'utf8');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === LISTEN && inodes.has(fields[9] ?? ''))
    .map((fields) => parseInt((fields[1] ?? '').split(':')[1] ?? '', 16));
}

export interface ReportRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run report -- <args>` as a user runs it; a hang is stopped by `timeoutMs` and shows as a null exit code. */
export function runReportProcess(args: string[], timeoutMs: number): Promise<ReportRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/report.ts', ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

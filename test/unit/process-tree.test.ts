/**
 * Chromium's cost is read from /proc over a process tree: tested here on a real tree (this process,
 * a child, and a grandchild whose name holds spaces and parentheses), each busy for ~300 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuBetween, treeCpu, treePids, treePssBytes, type TreeCpu } from '../../clients/browser/process-tree.ts';

/** Above any pid_max Linux allows (2^22): never a process. */
const NO_PID = 2 ** 22 + 1;

const BUSY_MS = 300;
// Busy for BUSY_MS on each 'go' line, then 'done'. Its name (comm) has spaces and parentheses: /proc/<pid>/stat must still parse.
const GRANDCHILD = `process.title = 'gc) x (y';
process.stdin.on('data', () => { const end = Date.now() + ${BUSY_MS}; while (Date.now() < end); process.stdout.write('done\\n'); });`;
// Starts the grandchild and prints its pid (and 'gone' when it has exited); on 'go' makes both busy, and says 'done' when both are.
const CHILD = `const { spawn } = require('node:child_process');
const g = spawn(process.execPath, ['-e', ${JSON.stringify(GRANDCHILD)}], { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdout.write('grandchild ' + g.pid + '\\n');
// This child reaps the grandchild, and says so.
g.on('exit', () => process.stdout.write('gone\\n'));
process.stdin.on('data', () => {
  g.stdin.write('go\\n');
  const end = Date.now() + ${BUSY_MS};
  while (Date.now() < end);
  g.stdout.once('data', () => process.stdout.write('done\\n'));
});`;

let child: ChildProcess | undefined;
let childPid = 0;
let grandchildPid = 0;

/** Resolves with the first stdout line matching `pattern`. */
function line(proc: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const match = pattern.exec(buffered);
      if (match !== null) {
        proc.stdout!.off('data', onData);
        resolve(match);
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${pattern}`)));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  childPid = child.pid!;
  grandchildPid = Number((await line(child, /grandchild (\d+)\n/))[1]);
});

afterAll(async () => {
  if (grandchildPid > 0 && alive(grandchildPid)) process.kill(grandchildPid, 'SIGKILL');
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
});

describe('treePids', () => {
  it('holds the root, its child and its grandchild (whose name has spaces and parentheses)', () => {
    const pids = treePids(childPid);
    expect(pids[0]).toBe(childPid);
    expect(new Set(pids)).toEqual(new Set([childPid, grandchildPid]));
  });

  it('a subtree: from the grandchild, only itself', () => {
    expect(treePids(grandchildPid)).toEqual([grandchildPid]);
  });

  it('from this process, the whole tree below it', () => {
    const pids = treePids(process.pid);
    expect(pids[0]).toBe(process.pid);
    expect(pids).toEqual(expect.arrayContaining([childPid, grandchildPid]));
    expect(new Set(pids).size).toBe(pids.length);
  });

  it('a process that does not exist: empty', () => {
    expect(treePids(NO_PID)).toEqual([]);
  });
});

describe('treeCpu and cpuBetween', () => {
  it('show the CPU the child and grandchild burn between two samples; the busiest process is at most the total', async () => {
    const before = treeCpu(childPid);
    expect([...before.byPid.keys()].sort()).toEqual([childPid, grandchildPid].sort());
    const done = line(child!, /done\n/);
    child!.stdin!.write('go\n');
    await done;
    const after = treeCpu(childPid);
    const used = cpuBetween(before, after);
    expect(used.processes).toBe(2);
    // Two processes busy ~300 ms each (at 100 ticks/s; a loaded machine may give them less).
    expect(used.totalUs).toBeGreaterThan(100_000);
    expect(used.totalUs).toBeLessThan(5_000_000);
    expect(used.busiestUs).toBeGreaterThan(50_000);
    expect(used.busiestUs).toBeLessThanOrEqual(used.totalUs);
    // Both burned CPU, so neither alone is the total.
    expect(used.busiestUs).toBeLessThan(used.totalUs);
    // The grandchild (odd name and all) is counted.
    expect(after.byPid.get(grandchildPid)! - before.byPid.get(grandchildPid)!).toBeGreaterThan(20_000);
  });

  it('totalUs is the sum of byPid; a missing process gives an empty sample', () => {
    const sample = treeCpu(childPid);
    expect(sample.totalUs).toBeCloseTo([...sample.byPid.values()].reduce((a, b) => a + b, 0), 6);
    expect(sample.totalUs).toBeGreaterThan(0);
    const none = treeCpu(NO_PID);
    expect(none.byPid.size).toBe(0);
    expect(none.totalUs).toBe(0);
  });
});

describe('cpuBetween (pure)', () => {
  const sample = (entries: [number, number][]): TreeCpu => ({ byPid: new Map(entries), totalUs: entries.reduce((a, [, us]) => a + us, 0) });

  it('differences per process: total, busiest, and processes in the later sample', () => {
    expect(cpuBetween(sample([[1, 100], [2, 1000]]), sample([[1, 400], [2, 1100]]))).toEqual({ totalUs: 400, busiestUs: 300, processes: 2 });
  });

  it('a process that started in between counts in full; one that exited is not counted', () => {
    expect(cpuBetween(sample([[1, 100], [2, 5000]]), sample([[1, 150], [3, 700]]))).toEqual({ totalUs: 750, busiestUs: 700, processes: 2 });
  });

  it('never negative (a pid reused by a newer process with less CPU)', () => {
    expect(cpuBetween(sample([[1, 900]]), sample([[1, 200]]))).toEqual({ totalUs: 0, busiestUs: 0, processes: 1 });
  });

  it('two empty samples: zeros', () => {
    expect(cpuBetween(sample([]), sample([]))).toEqual({ totalUs: 0, busiestUs: 0, processes: 0 });
  });
});

describe('treePssBytes', () => {
  it('is positive for this process’s tree and for the child’s, and whole kB', () => {
    const own = treePssBytes(process.pid);
    expect(own).toBeGreaterThan(1_000_000);
    expect(own % 1024).toBe(0);
    // Two node processes: several MB between them.
    expect(treePssBytes(childPid)).toBeGreaterThan(1_000_000);
    // The child's tree is part of this one.
    expect(treePssBytes(grandchildPid)).toBeLessThan(treePssBytes(childPid));
  });

  it('a process that does not exist: 0', () => {
    expect(treePssBytes(NO_PID)).toBe(0);
  });
});

describe('after the tree is gone', () => {
  it('reads nothing for it', async () => {
    // The child reaps its grandchild (no zombie left behind), then this process reaps the child.
    const gone = line(child!, /gone\n/);
    process.kill(grandchildPid, 'SIGKILL');
    await gone;
    expect(treePids(childPid)).toEqual([childPid]);
    const exited = once(child!, 'exit');
    child!.kill('SIGKILL');
    await exited;
    expect(alive(childPid)).toBe(false);
    expect(treePids(childPid)).toEqual([]);
    expect(treeCpu(childPid).totalUs).toBe(0);
    expect(treePssBytes(childPid)).toBe(0);
    expect(treePids(process.pid)).not.toContain(childPid);
    expect(treePids(process.pid)).not.toContain(grandchildPid);
  });
});

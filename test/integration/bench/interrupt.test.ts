/** Ctrl-C mid-run: partial results are written and marked incomplete, and every child process stops. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { childrenOf, isAlive, runBenchProcess } from '../../support/bench-run.ts';

describe('bench interrupted', () => {
  it('SIGINT during a window writes the partial run (incomplete, schema-valid), exits 130, and leaves no server or worker', { timeout: 60_000 }, async () => {
    const seen = new Set<number>();
    const run = await runBenchProcess(['--profile', 'quick', '--transports', 'ws', '--scenarios', 'feed', '--duration', '20s'], {
      timeoutMs: 50_000,
      onStart: (pid) => {
        // Interrupt once the server and both workers are up and the window has begun.
        const poll = setInterval(() => {
          void childrenOf(pid).then((pids) => {
            pids.forEach((p) => seen.add(p));
            if (pids.length >= 3) {
              clearInterval(poll);
              setTimeout(() => process.kill(pid, 'SIGINT'), 3000);
            }
          });
        }, 200);
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('SIGINT');
    const dirs = (await readdir(run.outDir)).filter((d) => d !== 'latest');
    expect(dirs).toHaveLength(1);
    const results = await readResultsFile(join(run.outDir, dirs[0]!, 'results.json'));
    expect(results.complete).toBe(false);
    expect(results.interruption).toMatch(/SIGINT/);
    expect(results.runs).toHaveLength(1);
    expect(results.runs[0]!.complete).toBe(false);
    expect(results.runs[0]!.metrics.throughput.deliveries).toBeGreaterThan(0);
    expect(run.stdout).toContain('INCOMPLETE');
    for (const pid of [...seen, ...run.childPids]) expect(isAlive(pid), `process ${pid} is still running`).toBe(false);
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });
});

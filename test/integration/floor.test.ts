/**
 * `npm run floor`: the lab's servers and the floor servers measured through one client, real
 * processes on loopback, with short waits. Figures are not judged (a few hundred connections say
 * little about memory); what is checked is that each measurement measured what it says: every
 * connection held when the idle memory was read, polls answered in the CPU window, and no server
 * left running.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';
import { runFloor } from '../../bench/floor/floor.ts';
import { isAlive } from '../support/bench-run.ts';

const TIMING = { settleMs: 100, idleSettleMs: 200, pollWarmupMs: 300, pollWindowMs: 700 };

/** The registry the tool adds each server process to, remembering every PID it was given. */
class RecordingRegistry extends Set<ChildProcess> {
  readonly pids: number[] = [];
  override add(child: ChildProcess): this {
    if (child.pid !== undefined) this.pids.push(child.pid);
    return super.add(child);
  }
}

it('measures idle memory for every transport and long-poll CPU per answer, lab and floor, then stops every server', { timeout: 90_000 }, async () => {
  const registry = new RecordingRegistry();
  const progress: string[] = [];
  const report = await runFloor({ transports: ['ws', 'sse', 'long-poll'], connections: 300, pollers: 20, pollRates: [50], rounds: 2, timing: TIMING }, registry, (line) => progress.push(line));
  expect(report.memory.map((row) => row.transport)).toEqual(['ws', 'sse', 'long-poll']);
  for (const row of report.memory) {
    for (const figures of [row.lab, row.floor]) {
      expect(figures.rounds).toHaveLength(2);
      for (const value of figures.rounds) expect(Number.isFinite(value)).toBe(true);
    }
  }
  expect(report.pollCost).toHaveLength(1);
  const [cost] = report.pollCost;
  for (const figures of [cost!.lab, cost!.floor]) {
    expect(figures.rounds).toHaveLength(2);
    for (const value of figures.rounds) expect(value).toBeGreaterThan(0);
  }
  for (const cores of [...cost!.labCores, ...cost!.floorCores]) expect(cores).toBeGreaterThan(0);
  // Rounds alternate which server goes first.
  expect(progress.filter((line) => line.startsWith('ws:')).map((line) => /the (\w+) server/.exec(line)?.[1])).toEqual(['lab', 'floor', 'floor', 'lab']);
  // A fresh server per measurement: (3 transports + 1 poll rate) x 2 rounds x lab and floor.
  expect(registry.pids).toHaveLength(16);
  expect(registry.size).toBe(0);
  expect(registry.pids.filter(isAlive)).toEqual([]);
});

const floorCli = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/floor.ts', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });

it.each([
  [['--connections', '5'], /--connections must be from 100 to 15000, got 5 \[BAD_FLAG\]/],
  [['--transports', 'ws,carrier-pigeon'], /--transports: "carrier-pigeon" is not a transport; use a comma-separated list of ws, sse, long-poll \[BAD_FLAG\]/],
  [['--rounds', 'three'], /--rounds takes a whole number, got "three" \[BAD_FLAG\]/],
  [['--bogus'], /Unknown option '--bogus'[\s\S]*usage: npm run floor/],
])('npm run floor -- %j is refused with what to fix', async (args, message) => {
  const run = await floorCli(args);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stdout).toBe('');
});

it('npm run floor -- --help prints the usage', async () => {
  const run = await floorCli(['--help']);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^usage: npm run floor/);
});

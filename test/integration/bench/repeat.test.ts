/**
 * `npm run bench -- --repeat 2` for real, at a tiny scale (5 feed subscribers, 0.5 s windows, no
 * capacity search): the sessions run round by round with the transports alternating, every record
 * carries its repeat, the summary gives each figure over both repeats, and the terminal shows them
 * as "median (min–max)". With --pin on (when taskset exists and the bench may use 2 CPUs or more),
 * the server and the load workers are read from /proc while they run: each on its own CPUs.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { parseCpuList } from '../../../bench/pinning.ts';
import { childrenOf, commandLineOf, runBenchProcess } from '../../support/bench-run.ts';
import { labProcessOf } from '../../support/lab-processes.ts';

const allowed = async (pid: number | 'self'): Promise<string | null> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? null;
};

const canPin = existsSync('/usr/bin/taskset') && parseCpuList((await allowed('self')) ?? '').length >= 2;

it('--repeat 2 --pin on: rounds in order, transports alternating, repeats recorded and summarised, each process on its CPUs', { timeout: 150_000 }, async () => {
  // A short drain: the windows are tiny and nothing is in flight for long.
  const scenarioFile = join(tmpdir(), `pushbench-repeat-${process.pid}.json`);
  await writeFile(scenarioFile, JSON.stringify({ drainMaxMs: 100 }));
  const affinity = new Map<string, string>();
  let benchPid = 0;
  const run = await runBenchProcess(
    ['--profile', 'quick', '--scenarios', 'feed', '--transports', 'ws,sse', '--no-capacity', '--connections', '5', '--rate', '5', '--duration', '500ms', '--warmup', '0', '--repeat', '2', '--pin', canPin ? 'on' : 'off', '--scenario-file', scenarioFile],
    {
      timeoutMs: 140_000,
      onStart: (pid) => (benchPid = pid),
      // Once connections are open, the session's server and workers are all alive: read where they may run.
      onStderr: (chunk) => {
        if (!/opening 5 connections/.test(chunk)) return;
        void childrenOf(benchPid).then((pids) =>
          Promise.all(pids.map(async (pid) => {
            const command = await commandLineOf(pid);
            const cpus = await allowed(pid);
            const role = labProcessOf(command) === 'server' ? 'server' : labProcessOf(command) === 'load worker' ? 'worker' : null;
            if (role !== null && cpus !== null) affinity.set(`${role} ${pid}`, cpus);
          })),
        );
      },
    },
  );
  await rm(scenarioFile, { force: true });
  expect(run.code, run.stderr).toBe(0);

  // Sessions in order: round 1 (ws, sse), then round 2 (ws, sse).
  const starts = [...run.stderr.matchAll(/\] (\S+) feed json \(repeat (\d)\/2\): starting the server/g)].map((m) => `${m[2]} ${m[1]}`);
  expect(starts).toEqual(['1 ws', '1 sse', '2 ws', '2 sse']);

  const results = await readResultsFile(join(run.outDir, 'latest', 'results.json'));
  expect(results.runs.map((r) => [r.id, r.repeat])).toEqual([
    ['ws/feed/json/node/repeat-1', 1],
    ['sse/feed/json/node/repeat-1', 1],
    ['ws/feed/json/node/repeat-2', 2],
    ['sse/feed/json/node/repeat-2', 2],
  ]);
  expect(results.summary?.repeats).toBe(2);
  const wsSeries = results.summary?.runs.find((series) => series.series === 'ws/feed/json/node');
  const deliveries = wsSeries?.figures.find((figure) => figure.id === 'deliveries');
  expect(deliveries?.n).toBe(2);
  expect(deliveries?.values).toEqual(results.runs.filter((r) => r.transport === 'ws').map((r) => r.metrics.throughput.deliveriesPerSec));
  expect(run.stdout).toContain('Feed: fixed load (4 runs, 2 repeats)');
  expect(run.stdout).toMatch(/^\s+ws\s+json\s+5\s+\S+ \(\S+–\S+\)/m);

  if (canPin) {
    expect(results.notices.some((n) => /^--pin on: the server ran on CPU \d+, the load workers on CPU [\d,]+ \(taskset\)$/.test(n))).toBe(true);
    const servers = [...affinity].filter(([role]) => role.startsWith('server')).map(([, cpus]) => cpus);
    const workers = [...affinity].filter(([role]) => role.startsWith('worker')).map(([, cpus]) => cpus);
    expect(servers.length, JSON.stringify([...affinity])).toBeGreaterThan(0);
    expect(workers.length, JSON.stringify([...affinity])).toBeGreaterThan(0);
    const serverCpus = new Set(servers.flatMap(parseCpuList));
    const workerCpus = new Set(workers.flatMap(parseCpuList));
    expect(serverCpus.size).toBe(1);
    expect([...workerCpus].filter((cpu) => serverCpus.has(cpu))).toEqual([]);
  }
});

/**
 * `npm run compare` and `npm run bench:ci` as a user runs them, on results files written here:
 * verdicts, outputs and exit codes (0, 99, 2). bench:ci itself measures for minutes; only its
 * refusals are run here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeResultsFile } from '../../metrics/results-io.ts';
import type { ResultsFile } from '../../metrics/result-types.ts';
import { buildResults, buildRun, buildServerMetrics } from '../support/results.ts';

vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    if (env.GITHUB_STEP_SUMMARY === undefined) delete childEnv.GITHUB_STEP_SUMMARY;
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: 45_000, env: childEnv }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, stdout, stderr });
      if (typeof err.code === 'string') return reject(err);
      resolve({ code: err.code ?? null, stdout, stderr });
    });
  });
}

/** One file holding 5 repeats of a ws feed run, its server CPU per 1k deliveries `cpu` times a small jitter. */
function repeated(cpu: number): ResultsFile {
  const jitter = [1, 1.03, 0.98, 1.01, 0.99];
  return buildResults({
    config: { repeat: 5 },
    runs: jitter.map((j, i) => buildRun({ id: `ws/feed/json/node/repeat-${i + 1}`, metrics: { server: buildServerMetrics({ cpuMsPer1kDeliveries: cpu * j }) } })),
  });
}

let dir = '';
const at = (name: string) => path.join(dir, name);
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pushbench-compare-cli-'));
  await writeResultsFile(at('base.json'), repeated(10));
  await writeResultsFile(at('same.json'), repeated(10.1));
  await writeResultsFile(at('slower.json'), repeated(12));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run compare', () => {
  it('exits 0 with a markdown summary when nothing regressed', async () => {
    const run = await cli('scripts/compare.ts', [at('base.json'), at('same.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^## pushbench CI gate: \*\*no regression\*\*/);
  });

  it('exits 99 on a regression, writes every format to --out-dir and the summary to $GITHUB_STEP_SUMMARY', async () => {
    const summary = at('summary.md');
    const run = await cli('scripts/compare.ts', [at('base.json'), at('slower.json'), '--format', 'bmf', '--out-dir', at('gate')], { GITHUB_STEP_SUMMARY: summary });
    expect(run.code).toBe(99);
    const bmf = JSON.parse(run.stdout) as Record<string, Record<string, { value: number }>>;
    expect(bmf['ws.feed']!['server-cpu']!.value).toBeCloseTo(12, 5);
    expect(await readFile(summary, 'utf8')).toMatch(/\*\*1 regression\*\*[\s\S]*ws\.feed\.server-cpu/);
    const smaller = JSON.parse(await readFile(at('gate/github-action-benchmark-smaller.json'), 'utf8')) as { name: string }[];
    expect(smaller.map((e) => e.name)).toContain('ws.feed.server-cpu');
    const gate = JSON.parse(await readFile(at('gate/gate.json'), 'utf8')) as { regressions: { name: string }[] };
    expect(gate.regressions.map((f) => f.name)).toEqual(['ws.feed.server-cpu']);
  });

  it('refuses bad usage with exit 2 and says what to do', async () => {
    const one = await cli('scripts/compare.ts', [at('base.json')]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/give a base and a head results file, got 1 file/);
    expect(one.stderr).toMatch(/\[BAD_FLAG\]/);
    const threshold = await cli('scripts/compare.ts', [at('base.json'), at('same.json'), '--threshold', 'p99=15']);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toMatch(/is not NAME:\+N%/);
    const missing = await cli('scripts/compare.ts', [at('base.json'), at('nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/RESULTS_NOT_FOUND/);
    const format = await cli('scripts/compare.ts', [at('base.json'), at('same.json'), '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format "xml" is not one of markdown, github-action-benchmark, bmf/);
  });
});

describe('npm run bench:ci refusals (before anything is measured)', () => {
  it('refuses too few pairs, an unknown base and --head-only without --baseline', async () => {
    const pairs = await cli('scripts/bench-ci.ts', ['--pairs', '3']);
    expect(pairs.code).toBe(2);
    expect(pairs.stderr).toMatch(/--pairs takes a whole number from 5 to 20/);
    const base = await cli('scripts/bench-ci.ts', ['--base', 'no-such-ref-anywhere', '--out', at('ci')]);
    expect(base.code).toBe(2);
    expect(base.stderr).toMatch(/is not a commit git knows here.*\[BAD_REF\]/);
    const headOnly = await cli('scripts/bench-ci.ts', ['--head-only']);
    expect(headOnly.code).toBe(2);
    expect(headOnly.stderr).toMatch(/--head-only needs --baseline FILE/);
  });
});

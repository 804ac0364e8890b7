/** `npm run report` checks its paths before rendering: one line and exit 2 for a bad one, a new folder for --out is fine. */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportProcess, type ReportRun } from '../support/bench-run.ts';
import { SAMPLE_RESULTS_PATH } from '../support/results.ts';

/** A hang (as --out under /proc did) is stopped by the timeout and fails the exit-code check. */
const report = (args: string[]): Promise<ReportRun> => runReportProcess(args, 15_000);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pushbench-report-paths-'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('npm run report paths', () => {
  it.concurrent.for<{ label: string; args: string[]; message: string }>([
    {
      label: '--out /proc/forbidden/r.html',
      args: [SAMPLE_RESULTS_PATH, '--out', '/proc/forbidden/r.html'],
      message: "pushbench: --out /proc/forbidden/r.html is on /proc, a kernel file system, not storage for the lab's files: pass a file on a disk instead [BAD_PATH]\n",
    },
    {
      label: '--baseline /proc/self (a folder of the kernel, not a results file)',
      args: [SAMPLE_RESULTS_PATH, '--baseline', '/proc/self'],
      message: 'pushbench: --baseline /proc/self is on /proc, a kernel file system, not a file the lab wrote: check the path, or pass the path of a results.json written by npm run bench [RESULTS_NOT_FOUND]\n',
    },
  ])('refuses $label with exit 2 and one line', async ({ args, message }) => {
    const run = await report(args);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it.concurrent('writes to an --out whose folders do not exist yet, leaving no temporary file', async () => {
    const out = join(dir, 'new', 'deeper', 'r.html');
    const run = await report([SAMPLE_RESULTS_PATH, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`report: ${out}\n`);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(await readdir(join(dir, 'new', 'deeper'))).toEqual(['r.html']);
  });
});

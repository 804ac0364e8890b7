/** `npm run report` as a user runs it: renders a real results file, compares with a baseline, refuses bad files clearly. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ReportRun, runBenchProcess, runReportProcess } from '../support/bench-run.ts';
import { scratchDir } from '../support/scratch.ts';

const report = (args: string[]): Promise<ReportRun> => runReportProcess(args, 30_000);

let resultsPath = '';
let dir = '';

beforeAll(async () => {
  const run = await runBenchProcess(['--profile', 'quick', '--transports', 'ws,sse', '--scenarios', 'feed', '--no-capacity', '--warmup', '300ms', '--duration', '1s'], { timeoutMs: 60_000 });
  expect(run.code, run.stderr).toBe(0);
  resultsPath = join(run.outDir, 'latest', 'results.json');
  dir = await scratchDir('pushbench-report-cli-');
}, 70_000);

describe('npm run report', () => {
  it('writes report.html beside the results by default, and prints its path', async () => {
    const run = await report([resultsPath]);
    expect(run.code, run.stderr).toBe(0);
    const out = join(resultsPath, '..', 'report.html');
    expect(run.stdout).toBe(`report: ${out}\n`);
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('table class="verdict');
    expect(html).not.toContain('id="baseline"');
  });

  it('--baseline and --out: the gate’s comparison, with ratios, intervals and verdicts in words', async () => {
    const out = join(dir, 'compare.html');
    const run = await report([resultsPath, '--baseline', resultsPath, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('id="baseline"');
    // A file against itself, one run a side: counted bytes unchanged, every sampled figure inconclusive and why; nothing better or worse.
    const section = html.slice(html.indexOf('<section id="baseline">'), html.indexOf('</section>', html.indexOf('<section id="baseline">')));
    expect(section).toContain('<th scope="col" class="num">95 % interval</th>');
    expect(section).toContain('1 run on a side: no sampled figure can be judged');
    expect(section).toContain('inconclusive ?<span class="muted small why">1 run on a side, 5 needed</span>');
    expect(section).toMatch(/<code>ws\.feed\.bytes<\/code>[\s\S]*?no change ≈/);
    expect(section.match(/class="change change-(better|worse)"/g)).toBeNull();
  });

  it.each<[string, (d: string) => Promise<string[]>, RegExp]>([
    ['no file', async () => [], /give exactly one results file, got 0/],
    ['a missing file', async (d) => [join(d, 'nope.json')], /nope\.json.*\[RESULTS_NOT_FOUND\]/s],
    ['a file that is not JSON', async (d) => [await put(d, 'bad.json', '{not json')], /bad\.json.*not.*JSON.*\[BAD_RESULTS\]/s],
    ['a file of another schema version', async (d) => [await put(d, 'v2.json', JSON.stringify({ schemaVersion: 2 }))], /schemaVersion 2.*\[RESULTS_VERSION\]/s],
    ['a file that is not results', async (d) => [await put(d, 'other.json', JSON.stringify({ schemaVersion: 1, hello: 'world' }))], /other\.json.*\[BAD_RESULTS\]/s],
    ['an unknown flag', async () => ['--colour'], /Unknown option '--colour'.*usage: npm run report/s],
  ])('refuses %s with exit 2 and a message that says what is wrong', async (_label, args, message) => {
    const run = await report(await args(dir));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('    at ');
  });
});

async function put(d: string, name: string, content: string): Promise<string> {
  const path = join(d, name);
  await writeFile(path, content);
  return path;
}

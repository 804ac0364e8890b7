/**
 * `npm run bench:ci`: the CI regression gate. Checks the base ref out into a temporary git
 * worktree (its npm packages installed with npm ci, or linked from a cache keyed by its lockfile),
 * runs the CI profile against base and head on this machine, interleaved pair by pair (base then
 * head, then head then base, so drift hits both alike), re-runs a pair measured while other
 * processes kept the machine busy once, and decides with reports/gate/gate.ts. The worktree is
 * removed at the end, on an error or an interrupt too.
 *
 * Exit status: 0 no regression, 99 at least one regression (k6's convention), 2 bad usage, 1 the
 * lab failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isNoisyMachine } from '../metrics/noisy-machine.ts';
import type { ResultsFile } from '../metrics/result-types.ts';
import { readResultsFile, ResultsError } from '../metrics/results-io.ts';
import { gate, DEFAULT_BYTES_THRESHOLD, DEFAULT_RSS_THRESHOLD, DEFAULT_THRESHOLD, GATE_FIGURE_KEYS } from '../reports/gate/gate.ts';
import { gateExitCode } from '../reports/gate/formats.ts';
import { writeReport } from '../reports/write-report.ts';
import { UsageError } from '../scenarios/errors.ts';
import { readResultsOrRefuse, runMain } from './cli.ts';
import { GATE_FILES, GATE_FORMATS, gateFormatOf, publishGate, thresholdsOf } from './gate-output.ts';
import { requireInput, requireOutput } from './paths.ts';

const DEFAULT_PAIRS = 5;
/**
 * What each side runs: the quick profile (200 feed subscribers at 50 messages/s, 200 chat members
 * in rooms of 10 sending 2/s) without browsers, with 1.5 s windows after 0.5 s of warm-up (chat
 * sessions warm 4 s more, scenario.coldStartWarmupMs), and without the capacity search unless asked
 * (it is slow): about 34 s a run here, so 5 pairs fit in 6 minutes (2 s windows took 6 min 14 s).
 */
const CI_PROFILE = ['--profile', 'quick', '--no-browser', '--duration', '1500ms', '--warmup', '500ms'];

const USAGE = `usage: npm run bench:ci [-- options]

The CI regression gate: runs the CI profile (${CI_PROFILE.join(' ')} --no-capacity) against a base ref
and against this checkout (head), interleaved on this machine, and fails only on a figure that
regressed beyond its measured noise and its threshold.

  --base REF                base commit, branch or tag (default: the merge-base with the default
                            branch, origin/HEAD or main; HEAD~1 when that is HEAD itself or missing)
  --pairs N                 base/head pairs, 5 to 20 (default ${DEFAULT_PAIRS})
  --with-capacity           run the capacity search too (slow: about a minute more per run)
  --threshold NAME:+N%      regression threshold for a figure key (${GATE_FIGURE_KEYS.join(', ')})
                            or a name such as sse.feed.p99, * matching within a part; repeatable, the
                            last match wins (default ${DEFAULT_THRESHOLD * 100} %; bytes ${DEFAULT_BYTES_THRESHOLD * 100} %; rss ${DEFAULT_RSS_THRESHOLD * 100} %)
  --fail-on-inconclusive    exit 99 when a figure is inconclusive, too
  --format FORMAT           what goes to stdout: ${GATE_FORMATS.join(', ')} (default markdown; with
                            $GITHUB_STEP_SUMMARY set the markdown goes there instead)
  --out DIR                 where both sides' results, the report and the gate's files go
                            (default reports/ci/<timestamp>): ${Object.keys(GATE_FILES).join(', ')}
  --head-only               measure only this checkout, against --baseline (weaker: the baseline
                            ran at another time, perhaps on another machine)
  --baseline FILE           the stored results file --head-only compares against
  --help                    this text

Exit status: 0 no regression, 99 at least one regression, 2 bad usage, 1 the lab failed.`;

function git(cwd: string, args: string[]): string | null {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** The base commit: --base, else the merge-base with the default branch, else HEAD~1. */
function resolveBase(root: string, asked: string | undefined): { sha: string; how: string } {
  if (asked !== undefined) {
    const sha = git(root, ['rev-parse', '--verify', '--quiet', `${asked}^{commit}`]);
    if (sha === null) throw new UsageError('BAD_REF', `--base ${JSON.stringify(asked)} is not a commit git knows here: give a branch, tag or commit (git fetch it first in a shallow CI clone)`);
    return { sha, how: `--base ${asked}` };
  }
  const head = git(root, ['rev-parse', 'HEAD'])!;
  const defaultBranch = git(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']) ?? (git(root, ['rev-parse', '--verify', '--quiet', 'main']) !== null ? 'main' : null);
  if (defaultBranch !== null) {
    const base = git(root, ['merge-base', 'HEAD', defaultBranch]);
    if (base !== null && base !== head) return { sha: base, how: `merge-base with ${defaultBranch}` };
  }
  const parent = git(root, ['rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}']);
  if (parent === null) throw new UsageError('BAD_REF', 'no base to compare with: HEAD has no parent and no default branch differs from it; pass --base REF (a shallow CI clone needs fetch-depth 0 or 2)');
  return { sha: parent, how: defaultBranch === null ? 'HEAD~1 (no default branch found)' : `HEAD~1 (HEAD is the merge-base with ${defaultBranch})` };
}

function run(command: string, args: string[], cwd: string, quiet = true): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stderr }));
  });
}

const lockHash = (tree: string): string => createHash('sha256').update(readFileSync(join(tree, 'package-lock.json'))).digest('hex').slice(0, 16);

/**
 * The base tree's node_modules: hard links to head's when the lockfiles match, else to the cache
 * for its lockfile, else npm ci (then cached). Hard links cost a second, npm ci a minute.
 */
async function installBase(worktree: string, head: string, log: (line: string) => void): Promise<string> {
  const hash = lockHash(worktree);
  const cache = join(process.env.PUSHBENCH_CACHE ?? join(homedir(), '.cache', 'pushbench'), `node_modules-${hash}`);
  const link = async (from: string): Promise<boolean> => (await run('cp', ['-al', from, join(worktree, 'node_modules')], worktree)).code === 0;
  if (hash === lockHash(head) && existsSync(join(head, 'node_modules')) && (await link(join(head, 'node_modules')))) return 'linked to head’s (same package-lock.json)';
  if (existsSync(cache) && (await link(cache))) return `linked from the cache (${cache})`;
  log('bench:ci: installing the base’s npm packages (npm ci; cached for the next run)');
  const installed = await run('npm', ['ci', '--no-audit', '--no-fund'], worktree);
  if (installed.code !== 0) throw new Error(`npm ci failed in the base worktree: ${installed.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  await mkdir(join(cache, '..'), { recursive: true });
  await rm(cache, { recursive: true, force: true });
  await run('cp', ['-al', join(worktree, 'node_modules'), cache], worktree);
  return 'installed with npm ci';
}

interface Side {
  name: 'base' | 'head';
  tree: string;
}

/** One bench run of a side; its results file, or an error saying why it failed. */
async function benchOnce(side: Side, out: string, extra: readonly string[]): Promise<ResultsFile> {
  const args = ['--import', 'tsx', 'scripts/bench.ts', ...CI_PROFILE, ...extra, '--out', out];
  const result = await run(process.execPath, args, side.tree);
  const path = join(out, 'latest', 'results.json');
  if (result.code !== 0 || !existsSync(path)) throw new Error(`the ${side.name} bench failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-6).join(' | ')}`);
  try {
    return await readResultsFile(path);
  } catch (err) {
    if (err instanceof ResultsError) throw new Error(`the ${side.name} bench wrote a results file the head cannot read (${err.message}): is the base too old for this gate?`);
    throw err;
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
}

runMain(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        base: { type: 'string' },
        pairs: { type: 'string' },
        'with-capacity': { type: 'boolean' },
        threshold: { type: 'string', multiple: true },
        'fail-on-inconclusive': { type: 'boolean' },
        format: { type: 'string' },
        out: { type: 'string' },
        'head-only': { type: 'boolean' },
        baseline: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError('BAD_FLAG', `${(err as Error).message}\n\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const format = gateFormatOf(values.format);
  const pairs = values.pairs === undefined ? DEFAULT_PAIRS : Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 5 || pairs > 20) throw new UsageError('BAD_FLAG', `--pairs takes a whole number from 5 to 20 (fewer cannot show a 10 % change beyond noise), got ${JSON.stringify(values.pairs)}`);
  const thresholds = thresholdsOf(values.threshold);
  const headOnly = values['head-only'] === true;
  if (headOnly !== (values.baseline !== undefined)) throw new UsageError('BAD_FLAG', headOnly ? '--head-only needs --baseline FILE: the stored results to compare against' : '--baseline is for --head-only; without it the gate runs the base itself (--base REF)');
  if (values.baseline !== undefined) requireInput('--baseline', values.baseline, { code: 'RESULTS_NOT_FOUND', wanted: 'a results.json written by npm run bench' });
  const head = git(process.cwd(), ['rev-parse', '--show-toplevel']);
  if (head === null) throw new UsageError('BAD_REF', `${process.cwd()} is not in a git checkout: run bench:ci from the project's clone`);
  const out = resolve(values.out ?? join(head, 'reports', 'ci', stamp()));
  requireOutput(values.out !== undefined ? '--out' : 'the results folder (default --out)', out, 'folder');
  const extra = values['with-capacity'] === true ? [] : ['--no-capacity'];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const startedAt = Date.now();
  const dirty = (git(head, ['status', '--porcelain']) ?? '') !== '';
  const headLabel = `\`${git(head, ['rev-parse', '--short', 'HEAD'])}${dirty ? '+uncommitted changes' : ''}\``;

  let worktree: string | null = null;
  let scratch: string | null = null;
  const cleanUp = async (): Promise<void> => {
    if (worktree !== null) {
      spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: head });
      worktree = null;
    }
    if (scratch !== null) await rm(scratch, { recursive: true, force: true });
    scratch = null;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`bench:ci: ${signal}: removing the base worktree`);
    void cleanUp().finally(() => process.exit(1));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let baseLabel: string;
    let baseFiles: ResultsFile[];
    const headFiles: ResultsFile[] = [];
    const sides: Side[] = [{ name: 'head', tree: head }];
    if (headOnly) {
      log('bench:ci: warning: --head-only compares against a stored file, measured at another time and perhaps elsewhere: weaker than base and head run side by side');
      baseFiles = [await readResultsOrRefuse(values.baseline!)];
      baseLabel = `the stored \`${values.baseline}\``;
    } else {
      const base = resolveBase(head, values.base);
      baseLabel = `\`${base.sha.slice(0, 7)}\` (${base.how})`;
      scratch = await mkdtemp(join(tmpdir(), 'pushbench-ci-'));
      const tree = join(scratch, 'base');
      const added = spawnSync('git', ['worktree', 'add', '--detach', tree, base.sha], { cwd: head, encoding: 'utf8' });
      if (added.status !== 0) throw new Error(`git worktree add failed: ${added.stderr.trim()}`);
      worktree = tree;
      log(`bench:ci: base ${base.sha.slice(0, 7)} (${base.how}) in ${tree}; npm packages ${await installBase(tree, head, log)}`);
      sides.push({ name: 'base', tree });
      baseFiles = [];
    }
    const byName = { base: baseFiles, head: headFiles };
    for (let pair = 1; pair <= pairs; pair++) {
      // base, head; then head, base: a drift over the gate's minutes weighs on both sides alike.
      const order = headOnly ? sides : pair % 2 === 1 ? [...sides].reverse() : sides;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const files: [Side, ResultsFile][] = [];
        for (const side of order) {
          log(`bench:ci: pair ${pair}/${pairs}${attempt > 1 ? ' (again: the machine was busy)' : ''}: ${side.name}`);
          files.push([side, await benchOnce(side, join(out, `${side.name}-${pair}${attempt > 1 ? '-again' : ''}`), extra)]);
        }
        const busy = files.some(([, file]) => isNoisyMachine(file));
        if (!busy || attempt === 2) {
          for (const [side, file] of files) byName[side.name].push(file);
          if (busy) log(`bench:ci: pair ${pair} was busy twice: the figures resting on it can only be inconclusive`);
          break;
        }
      }
    }
    const report = gate(baseFiles, headFiles, { thresholds });
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    const lastHead = headFiles[headFiles.length - 1]!;
    const reportPath = join(out, 'report.html');
    const [firstBase, ...otherBases] = baseFiles;
    await writeReport(lastHead, firstBase === undefined ? null : { base: [firstBase, ...otherBases], head: headFiles, thresholds }, reportPath);
    const footer = [`The gate took ${Math.floor(seconds / 60)} min ${seconds % 60} s. Results of both sides, the gate's files and an HTML report (the last head run's figures; its Baseline section is this gate, every run of both sides) are in \`${out}\`.`];
    await publishGate(report, format, { baseLabel, headLabel, footer }, out);
    log(`bench:ci: ${report.regressions.length + report.failedInHead.length} regression(s), ${report.inconclusive.length} inconclusive, in ${seconds} s; report ${reportPath}`);
    process.exitCode = gateExitCode(report, values['fail-on-inconclusive'] === true);
  } finally {
    await cleanUp();
  }
});

/**
 * `npm run compare -- base.json head.json`: the CI gate's verdicts for two results files that
 * already exist, each figure judged on the files' repeats (bench --repeat N) when they have them.
 * Exit codes as bench:ci: 0 no regression, 99 a regression, 2 bad usage, 1 the lab failed.
 */
import { parseArgs } from 'node:util';
import { gate, DEFAULT_BYTES_THRESHOLD, DEFAULT_RSS_THRESHOLD, DEFAULT_THRESHOLD, GATE_FIGURE_KEYS } from '../reports/gate/gate.ts';
import { gateExitCode } from '../reports/gate/formats.ts';
import { UsageError } from '../scenarios/errors.ts';
import { readResultsOrRefuse, runMain } from './cli.ts';
import { GATE_FILES, GATE_FORMATS, gateFormatOf, publishGate, thresholdsOf } from './gate-output.ts';
import { requireInput, requireOutput } from './paths.ts';

const USAGE = `usage: npm run compare -- <base results.json> <head results.json> [options]
       npm run compare -- --base FILE [--base FILE ...] --head FILE [--head FILE ...] [options]

Compares two results files written by \`npm run bench\` figure by figure, as the CI gate does
(npm run bench:ci): per transport x scenario x encoding, throughput, delivery p50 and p99, chat
round trip p99, server CPU per 1,000 deliveries, lab client CPU per delivery, server memory per
connection, bytes per message and, when both searched, capacity. Each figure's runs are the
file's repeats (bench --repeat N), or one per file with --base and --head given several times
(a bench:ci folder's base-N and head-N results, say); a verdict needs at least 5 per side.

  --threshold NAME:+N%      regression threshold for a figure key (${GATE_FIGURE_KEYS.join(', ')})
                            or a name such as sse.feed.p99, * matching within a part (*.feed.p99);
                            repeatable, the last match wins (default ${DEFAULT_THRESHOLD * 100} %; bytes ${DEFAULT_BYTES_THRESHOLD * 100} %; rss ${DEFAULT_RSS_THRESHOLD * 100} %)
  --fail-on-inconclusive    exit 99 when a figure is inconclusive, too
  --format FORMAT           what goes to stdout: ${GATE_FORMATS.join(', ')} (default markdown; with
                            $GITHUB_STEP_SUMMARY set the markdown goes there instead)
  --base FILE, --head FILE  one side's results files, instead of the two positional files; repeatable
  --out-dir DIR             also write ${Object.keys(GATE_FILES).join(', ')}
  --help                    this text

Exit status: 0 no regression, 99 at least one regression, 2 bad usage, 1 the lab failed.`;

runMain(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        threshold: { type: 'string', multiple: true },
        'fail-on-inconclusive': { type: 'boolean' },
        format: { type: 'string' },
        'out-dir': { type: 'string' },
        base: { type: 'string', multiple: true },
        head: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError('BAD_FLAG', `${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const flagged = values.base !== undefined || values.head !== undefined;
  if (flagged && (positionals.length > 0 || values.base === undefined || values.head === undefined)) {
    throw new UsageError('BAD_FLAG', `give both sides with --base and --head (each at least once), or two positional files, not a mix\n\n${USAGE}`);
  }
  if (!flagged && positionals.length !== 2) throw new UsageError('BAD_FLAG', `give a base and a head results file, got ${positionals.length} file${positionals.length === 1 ? '' : 's'}\n\n${USAGE}`);
  const format = gateFormatOf(values.format);
  const thresholds = thresholdsOf(values.threshold);
  const wanted = { code: 'RESULTS_NOT_FOUND', wanted: 'a results.json written by npm run bench' } as const;
  const basePaths = values.base ?? [positionals[0]!];
  const headPaths = values.head ?? [positionals[1]!];
  for (const path of basePaths) requireInput('the base results file', path, wanted);
  for (const path of headPaths) requireInput('the head results file', path, wanted);
  const outDir = values['out-dir'] ?? null;
  if (outDir !== null) requireOutput('--out-dir', outDir, 'folder');
  const read = (paths: readonly string[]) => Promise.all(paths.map((path) => readResultsOrRefuse(path)));
  const report = gate(await read(basePaths), await read(headPaths), { thresholds });
  const label = (paths: readonly string[]): string => (paths.length === 1 ? `\`${paths[0]}\`` : `${paths.length} files (\`${paths[0]}\` …)`);
  await publishGate(report, format, { baseLabel: label(basePaths), headLabel: label(headPaths) }, outDir);
  process.exitCode = gateExitCode(report, values['fail-on-inconclusive'] === true);
});

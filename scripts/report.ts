/** `npm run report -- <results.json> [--baseline <results.json>] [--out <file>]`: one self-contained HTML report. */
import { reportPathFor, writeReport } from '../reports/write-report.ts';
import { UsageError } from '../scenarios/errors.ts';
import { readResultsOrRefuse, runMain } from './cli.ts';
import { requireInput, requireOutput } from './paths.ts';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run report -- <results.json> [--baseline <results.json>] [--out <file>]

Renders a results file written by \`npm run bench\` into one self-contained HTML file
(charts included, no network needed to open it).

  <results.json>        the results to report (e.g. reports/latest/results.json)
  --baseline FILE       another results file to compare against, as npm run compare does: each figure a
                        regression, an improvement, no change or inconclusive (a verdict needs 5 runs
                        a side: bench --repeat 5 on both)
  --out FILE            where to write the report (default: report.html beside the results file)
  --help                this text`;

runMain(async () => {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { baseline: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError('BAD_FLAG', `${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length !== 1) throw new UsageError('BAD_FLAG', `give exactly one results file, got ${positionals.length}\n\n${USAGE}`);
  const resultsPath = positionals[0]!;
  // Every path before any work: a report that cannot be written is refused before it is rendered.
  const wanted = { code: 'RESULTS_NOT_FOUND', wanted: 'a results.json written by npm run bench' } as const;
  requireInput('the results file', resultsPath, wanted);
  if (values.baseline !== undefined) requireInput('--baseline', values.baseline, wanted);
  const out = values.out ?? reportPathFor(resultsPath);
  requireOutput(values.out !== undefined ? '--out' : 'the report (default --out)', out, 'file');
  const results = await readResultsOrRefuse(resultsPath);
  const baseline = values.baseline === undefined ? null : { base: [await readResultsOrRefuse(values.baseline)] as const };
  try {
    await writeReport(results, baseline, out);
  } catch (err) {
    const failed = err as NodeJS.ErrnoException;
    // A system call that failed (disk full, folder removed meanwhile); anything else is a bug and crashes loudly.
    if (typeof failed.code !== 'string' || typeof failed.syscall !== 'string') throw err;
    throw new UsageError('WRITE_FAILED', `cannot write the report to ${out} (${failed.code}): check the space and permissions of its folder, or pass another --out`);
  }
  process.stdout.write(`report: ${out}\n`);
});

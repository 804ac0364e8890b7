/** `npm run report -- <results.json> [--baseline <results.json>] [--out <file>]`: one self-contained HTML report. */
import { readResultsFile, ResultsError } from '../metrics/results-io.ts';
import { reportPathFor, writeReport } from '../reports/write-report.ts';
import { UsageError } from '../scenarios/errors.ts';
import { runMain } from './cli.ts';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run report -- <results.json> [--baseline <results.json>] [--out <file>]

Renders a results file written by \`npm run bench\` into one self-contained HTML file
(charts included, no network needed to open it).

  <results.json>        the results to report (e.g. reports/latest/results.json)
  --baseline FILE       another results file to compare against: each figure better, worse or within noise
                        (beyond both its measured noise and a 5 % minimum effect to count)
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
  const read = async (path: string) => {
    try {
      return await readResultsFile(path);
    } catch (err) {
      if (err instanceof ResultsError) throw new UsageError(err.code, err.message);
      throw err;
    }
  };
  const results = await read(resultsPath);
  const baseline = values.baseline === undefined ? null : await read(values.baseline);
  const out = values.out ?? reportPathFor(resultsPath);
  await writeReport(results, baseline, out);
  process.stdout.write(`report: ${out}\n`);
});

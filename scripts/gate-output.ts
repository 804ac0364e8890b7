/**
 * Writes a gate's outcome, for `npm run compare` and `npm run bench:ci` alike: the chosen format on
 * stdout (markdown, github-action-benchmark or bmf), the markdown summary to $GITHUB_STEP_SUMMARY
 * when it is set, and every format as a file when an output folder is given.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../scenarios/errors.ts';
import { bencherMetricFormat, gateMarkdown, githubActionBenchmark, type MarkdownContext } from '../reports/gate/formats.ts';
import { parseThreshold, type GateReport, type Threshold } from '../reports/gate/gate.ts';

export const GATE_FORMATS = ['markdown', 'github-action-benchmark', 'bmf'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

export function gateFormatOf(value: string | undefined): GateFormat {
  if (value === undefined) return 'markdown';
  if ((GATE_FORMATS as readonly string[]).includes(value)) return value as GateFormat;
  throw new UsageError('BAD_FLAG', `--format ${JSON.stringify(value)} is not one of ${GATE_FORMATS.join(', ')}`);
}

/** Every --threshold given, parsed; a malformed one is bad usage. */
export function thresholdsOf(texts: readonly string[] | undefined): Threshold[] {
  return (texts ?? []).map((text) => {
    try {
      return parseThreshold(text);
    } catch (err) {
      throw new UsageError('BAD_FLAG', (err as Error).message);
    }
  });
}

/** The files written into `folder`: name → what it holds. */
export const GATE_FILES = {
  'gate.md': 'the markdown summary',
  'gate.json': 'every figure with its values, ratio, interval, p-value and verdict',
  'github-action-benchmark-smaller.json': "github-action-benchmark's customSmallerIsBetter array",
  'github-action-benchmark-bigger.json': "github-action-benchmark's customBiggerIsBetter array",
  'bmf.json': 'the Bencher Metric Format',
} as const;

export async function publishGate(report: GateReport, format: GateFormat, context: MarkdownContext, folder: string | null): Promise<void> {
  const markdown = gateMarkdown(report, context);
  const action = githubActionBenchmark(report);
  const bmf = bencherMetricFormat(report);
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (summaryFile !== undefined && summaryFile !== '') await appendFile(summaryFile, markdown);
  if (format === 'markdown') {
    if (summaryFile === undefined || summaryFile === '') process.stdout.write(markdown);
    else process.stdout.write(`summary written to $GITHUB_STEP_SUMMARY (${summaryFile})\n`);
  } else if (format === 'github-action-benchmark') process.stdout.write(`${JSON.stringify(action, null, 2)}\n`);
  else process.stdout.write(`${JSON.stringify(bmf, null, 2)}\n`);
  if (folder === null) return;
  await mkdir(folder, { recursive: true });
  const contents: Record<keyof typeof GATE_FILES, string> = {
    'gate.md': markdown,
    'gate.json': JSON.stringify(report, null, 2),
    'github-action-benchmark-smaller.json': JSON.stringify(action.customSmallerIsBetter, null, 2),
    'github-action-benchmark-bigger.json': JSON.stringify(action.customBiggerIsBetter, null, 2),
    'bmf.json': JSON.stringify(bmf, null, 2),
  };
  for (const [name, text] of Object.entries(contents)) await writeFile(join(folder, name), `${text}\n`);
}

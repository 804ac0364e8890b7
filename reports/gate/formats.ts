/**
 * The CI gate's outputs (pure): a markdown summary (regressions first), github-action-benchmark's
 * custom tool arrays, and the Bencher Metric Format. The same GateReport feeds all three.
 */
import type { FigureUnit } from '../compare/figures.ts';
import { ALPHA, ALPHA_COMBINED, type GateFigure, type GateReport, type GateVerdict, type MissingBenchmark } from './gate.ts';

const UNIT_LABEL: Record<FigureUnit, string> = { 'per-second': 'deliveries/s', ms: 'ms', us: 'µs', bytes: 'bytes', count: 'count' };

function number(value: number | null, unit: FigureUnit): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const digits = unit === 'per-second' || unit === 'bytes' || unit === 'count' ? (Math.abs(value) >= 100 ? 0 : 1) : Math.abs(value) >= 100 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const ratio = (value: number | null): string => (value === null ? '–' : value.toFixed(3));

const percent = (value: number | null): string => (value === null ? '–' : `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`);

const VERDICT_MARK: Record<GateVerdict, string> = { regression: '🔴 regression', improvement: '🟢 improvement', 'no change': 'no change', inconclusive: '🟡 inconclusive' };

function row(figure: GateFigure): string {
  const interval = figure.lower === null || figure.upper === null ? '–' : `${ratio(figure.lower)}–${ratio(figure.upper)}`;
  const verdict = `${VERDICT_MARK[figure.verdict]}${figure.reason === null ? '' : ` (${figure.reason})`}`;
  const unit = UNIT_LABEL[figure.unit];
  const sides =
    figure.combines === undefined
      ? `${number(figure.baseMedian, figure.unit)} ${unit} | ${number(figure.headMedian, figure.unit)} ${unit}`
      : `${figure.combines.length} benchmarks | geometric mean of their ratios`;
  return `| \`${figure.name}\` | ${sides} | ${ratio(figure.ratio)} | ${interval} | ${figure.better} is better, threshold ${percent(figure.threshold)} | ${figure.detectable === null ? 'none' : `+${percent(figure.detectable)}`} | ${verdict} |`;
}

const HEADER = ['| figure | base (median) | head (median) | head / base | 95 % interval | rule | smallest detectable | verdict |', '|---|---|---|---|---|---|---|---|'];

function missingLine(missing: MissingBenchmark): string {
  const why = missing.why.length === 0 ? '' : `: ${missing.why.join('; ')}`;
  return `- \`${missing.benchmark}\`: complete in ${missing.base} base and ${missing.head} head runs${why}`;
}

export interface MarkdownContext {
  baseLabel: string;
  headLabel: string;
  /** What else the reader should know: the cost of the gate, files written. */
  footer?: readonly string[];
}

/** The summary: a one-line outcome, regressions first, then every figure. */
export function gateMarkdown(report: GateReport, context: MarkdownContext): string {
  const lines: string[] = [];
  const failing = report.regressions.length + report.failedInHead.length;
  const outcome =
    failing > 0
      ? `**${failing} regression${failing === 1 ? '' : 's'}**`
      : report.figures.length === 0
        ? '**nothing to compare**'
        : '**no regression**';
  lines.push(`## pushbench CI gate: ${outcome}`, '');
  lines.push(
    `Base ${context.baseLabel} against head ${context.headLabel}, ${report.runs.base} base and ${report.runs.head} head runs on the same machine. ` +
      `A regression is significant (Mann-Whitney p < ${ALPHA}, and its 95 % interval for head / base excludes 1), its ratio of medians is worse than its threshold, and it is beyond the spread of each side's own runs. ` +
      `The \`all.*\` figures combine a figure over every benchmark (van Elteren's stratified test at p < ${ALPHA_COMBINED}, the geometric mean of the benchmarks' ratios): a change that moves them all is found there with the power of all their runs.`,
    '',
  );
  lines.push(`Smallest detectable: the smallest change for the worse these runs could have flagged, at the spread they measured (never below the threshold; "none": too spread or too few runs to flag any).`, '');
  for (const note of report.notes) lines.push(`> ${note}`, '');
  if (report.failedInHead.length > 0) lines.push('### Failed in head (regressions: the base completed these, the head did not)', '', ...report.failedInHead.map(missingLine), '');
  if (report.regressions.length > 0) lines.push('### Regressions', '', ...HEADER, ...report.regressions.map(row), '');
  if (report.inconclusive.length > 0) lines.push(`### Inconclusive (${report.inconclusive.length}): listed, not failed unless --fail-on-inconclusive`, '', ...HEADER, ...report.inconclusive.map(row), '');
  const rest = report.figures.filter((f) => f.verdict === 'improvement' || f.verdict === 'no change');
  if (rest.length > 0) lines.push(`### Improvements and no change (${rest.length})`, '', ...HEADER, ...rest.map(row), '');
  if (report.unmatched.length > 0) lines.push(`### Not compared (${report.unmatched.length}): measured on one side only, or incomplete in the base`, '', ...report.unmatched.map(missingLine), '');
  for (const line of context.footer ?? []) lines.push(line);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** One entry of github-action-benchmark's customSmallerIsBetter / customBiggerIsBetter tools. */
export interface ActionBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

/** The head's figures as github-action-benchmark's two custom tools expect them: one array per direction. */
export function githubActionBenchmark(report: GateReport): { customSmallerIsBetter: ActionBenchmarkEntry[]; customBiggerIsBetter: ActionBenchmarkEntry[] } {
  const entry = (figure: GateFigure): ActionBenchmarkEntry[] => {
    if (figure.headMedian === null || !Number.isFinite(figure.headMedian)) return [];
    const low = Math.min(...figure.head);
    const high = Math.max(...figure.head);
    return [
      {
        name: figure.name,
        unit: UNIT_LABEL[figure.unit],
        value: figure.headMedian,
        range: `± ${number((high - low) / 2, figure.unit)}`,
        extra: `median of ${figure.head.length} runs (min ${number(low, figure.unit)}, max ${number(high, figure.unit)}); base median ${number(figure.baseMedian, figure.unit)}; head / base ${ratio(figure.ratio)} (95 % ${ratio(figure.lower)}–${ratio(figure.upper)}); ${figure.verdict}; smallest detectable ${figure.detectable === null ? 'none' : `+${percent(figure.detectable)}`}`,
      },
    ];
  };
  return {
    customSmallerIsBetter: report.figures.filter((f) => f.better === 'lower').flatMap(entry),
    customBiggerIsBetter: report.figures.filter((f) => f.better === 'higher').flatMap(entry),
  };
}

/** Bencher Metric Format: { benchmark: { measure: { value, lower_value, upper_value } } }, the head's median and its min and max. */
export function bencherMetricFormat(report: GateReport): Record<string, Record<string, { value: number; lower_value: number; upper_value: number }>> {
  const out: Record<string, Record<string, { value: number; lower_value: number; upper_value: number }>> = {};
  for (const figure of report.figures) {
    if (figure.headMedian === null || !Number.isFinite(figure.headMedian)) continue;
    (out[figure.benchmark] ??= {})[figure.key] = { value: figure.headMedian, lower_value: Math.min(...figure.head), upper_value: Math.max(...figure.head) };
  }
  return out;
}

/** The exit code the gate ends with: 99 for a regression (k6's convention), or for an inconclusive figure when asked to fail on those. */
export function gateExitCode(report: GateReport, failOnInconclusive: boolean): 0 | 99 {
  if (report.regressions.length > 0 || report.failedInHead.length > 0) return 99;
  if (failOnInconclusive && report.inconclusive.length > 0) return 99;
  return 0;
}

/**
 * The HTML report's building blocks. Rendering is a pure function from results (and an optional
 * baseline) to one HTML string; every piece below is computed from results.json alone.
 */
import type { TransportName } from '../../scenarios/constants.ts';
import type { ResultsFile, ScenarioName, Spread } from '../../metrics/result-types.ts';
import type { Threshold } from '../gate/gate.ts';

/** What the current run is compared against, as the CI gate compares: every run of each side. */
export interface BaselineInput {
  /** The baseline's results files (one, or one per base run of bench:ci). */
  base: readonly [ResultsFile, ...ResultsFile[]];
  /** The current side's files; default the report's own results alone. */
  head?: readonly ResultsFile[];
  /** --threshold rules, as the gate was given them. */
  thresholds?: readonly Threshold[];
}

export interface ReportInput {
  results: ResultsFile;
  /** What to compare against (--baseline, or bench:ci's base runs), or null. */
  baseline: BaselineInput | null;
}

/** A table of preformatted cells: the numbers behind a chart, or a verdict. */
export interface DataTable {
  caption: string;
  columns: string[];
  rows: string[][];
}

/**
 * One chart. `config` is a chart.js configuration that must survive JSON.stringify: no functions.
 * Where a callback is needed, an axis's `ticks` may carry `pushbenchFormat` naming one of the
 * formatters the report's script provides (see FORMATTERS in page-script.ts).
 */
export interface ChartSpec {
  id: string;
  title: string;
  /** One sentence computed from the data, saying what the chart shows. */
  reading: string;
  config: Record<string, unknown>;
  table: DataTable;
  /** Caveats about the data drawn (client-bound or incomplete runs, missing series). */
  flags: string[];
}

export type ChartSection = { kind: 'chart'; spec: ChartSpec } | { kind: 'missing'; id: string; title: string; reason: string };

/** A chart family: later scenarios (reconnect, binary vs JSON, browser vs Node) add one without touching the others. */
export interface ChartBuilder {
  id: string;
  build(input: ReportInput): ChartSection[];
}

export interface VerdictFigure {
  value: number | null;
  /** Formatted with its unit, or "not measured". */
  text: string;
  /** e.g. "client-bound", "incomplete". */
  flags: string[];
  /** Over the repeats (value is its median); absent when the figure is one run's. */
  spread?: Spread;
  /**
   * One capacity search's answer is known only to lie between the rate that held and the rate that
   * broke (offered, per second); absent for other figures and for medians over repeats.
   */
  bracket?: { held: number; broke: number };
}

export interface VerdictCriterion {
  id: string;
  /** e.g. "Delivery latency (p99)". */
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  figures: Partial<Record<TransportName, VerdictFigure>>;
  /** null when fewer than two transports were measured, or the figures tie. */
  winner: TransportName | null;
  /** e.g. "ws 2.3x lower than sse (next best)"; or why there is no winner. */
  margin: string;
}

export interface Verdict {
  scenario: ScenarioName;
  transports: TransportName[];
  criteria: VerdictCriterion[];
  /** What the winners rest on, in one sentence: single runs (no spread), or medians over repeats against their ranges. */
  basis?: string;
}

export type ComparisonSupport = 'measured' | 'not-measured';

export interface ComparisonCell {
  /** The seed notes' claim, e.g. "Yes", "Server->client only". */
  claim: string;
  /** The figure from this run that backs it, or "not measured in this run". */
  evidence: string;
  support: ComparisonSupport;
}

export interface ComparisonRow {
  feature: string;
  cells: Record<TransportName, ComparisonCell>;
}

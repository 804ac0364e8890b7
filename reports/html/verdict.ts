/** Which transport wins each criterion, per scenario, with the measured figures and the margin (pure). */
import { ENCODINGS, SCENARIO_NAMES, TRANSPORTS, type Encoding, type TransportName } from '../../scenarios/constants.ts';
import type { CapacityResult, ResultsFile, RunRecord, ScenarioName } from '../../metrics/result-types.ts';
import { brokeBelowText, limitName } from '../capacity-words.ts';
import { formatBytes, formatCount, formatMs } from '../format.ts';
import { serverCutConnections } from '../loss-words.ts';
import type { ReportInput, Verdict, VerdictCriterion, VerdictFigure } from './types.ts';
import { scenarioOf } from '../../scenarios/registry.ts';
import { capacitySpreadOf, compareSpreads, figureSpread, hasRepeats, rangesOverlap, scaleSpread, seriesSpreadOf, singleValue, spreadText, summarizeRepeats, type HeadlineFigureId, type RepeatSummary, type Spread } from '../spread.ts';

/** The verdicts compare the lab's Node clients; browser runs, when they exist, are another comparison. */
const CLIENT = 'node';
/** Two figures closer than this (the worse over the better, minus one) are a tie. */
const TIE_FRACTION = 0.05;

export const NOT_MEASURED = 'not measured';

// ---------------------------------------------------------------------------------------------
// Which runs are compared (shared with comparison.ts).

const isEncoding = (value: unknown): value is Encoding => (ENCODINGS as readonly unknown[]).includes(value);

/** The fixed Node-client runs of one scenario, in results order. */
function fixedRunsOf(results: ResultsFile, scenario: ScenarioName): RunRecord[] {
  return results.runs.filter((run) => run.kind === 'fixed' && run.client === CLIENT && run.scenario === scenario);
}

/**
 * The encoding whose fixed runs a scenario's verdict compares, so that transports compare like for
 * like: json when it was run, otherwise the first of results.config.encodings (then of ENCODINGS)
 * that has fixed runs of the scenario. null when the scenario has no fixed runs.
 */
export function comparedEncoding(results: ResultsFile, scenario: ScenarioName): Encoding | null {
  const runs = fixedRunsOf(results, scenario);
  const configured = Array.isArray(results.config['encodings']) ? results.config['encodings'].filter(isEncoding) : [];
  const order: Encoding[] = ['json', ...configured, ...ENCODINGS];
  return order.find((encoding) => runs.some((run) => run.encoding === encoding)) ?? null;
}

/** The fixed Node-client run of a transport, scenario and encoding: the first complete one, else the first. */
export function fixedRun(
  results: ResultsFile,
  transport: TransportName,
  scenario: ScenarioName,
  encoding: Encoding,
): RunRecord | null {
  const runs = fixedRunsOf(results, scenario).filter((run) => run.transport === transport && run.encoding === encoding);
  return runs.find((run) => run.complete) ?? runs[0] ?? null;
}

/** The caveats a run's figures carry: "client-bound", "incomplete", "lost N". */
export function runFlags(run: RunRecord): string[] {
  const flags: string[] = [];
  if (run.clientBound) flags.push('client-bound');
  if (!run.complete) flags.push('incomplete');
  if (run.metrics.integrity.lost > 0) flags.push(`lost ${formatCount(run.metrics.integrity.lost)}`);
  // A run in which the server cut connections says so beside its loss figure.
  const cut = serverCutConnections(run.metrics.integrity);
  if (cut > 0) flags.push(`server cut ${formatCount(cut)} ${cut === 1 ? 'connection' : 'connections'}`);
  return flags;
}

const usable = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

// ---------------------------------------------------------------------------------------------
// Criteria.

interface CriterionDef {
  id: string;
  /** Without the encoding, which is appended: "Delivery latency p99 (json)". */
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  format: (value: number) => string;
}

const msText = (value: number): string => `${formatMs(value)} ms`;
const rateText = (value: number): string => `${formatCount(value)}/s`;
const kbText = (value: number): string => `${formatMs(value)} KB`;

const LATENCY: CriterionDef = { id: 'latency-p99', label: 'Delivery latency p99', unit: 'ms', better: 'lower', format: msText };
const RTT: CriterionDef = { id: 'rtt-p99', label: 'Round trip p99', unit: 'ms', better: 'lower', format: msText };
const CAPACITY: CriterionDef = { id: 'capacity', label: 'Capacity within the SLO', unit: 'deliveries/s', better: 'higher', format: rateText };
const connectionsText = (value: number): string => `${formatCount(value)} connections`;
/** --capacity-axis connections: the most concurrent connections held within the SLO at a fixed rate per connection. */
const CONNECTIONS: CriterionDef = { id: 'capacity-connections', label: 'Connections within the SLO', unit: 'connections', better: 'higher', format: connectionsText };
const BYTES: CriterionDef = { id: 'bytes-per-message', label: 'Bytes per message', unit: 'B', better: 'lower', format: formatBytes };
const CPU: CriterionDef = { id: 'server-cpu', label: 'Server CPU per 1,000 deliveries', unit: 'ms', better: 'lower', format: msText };
const MEMORY: CriterionDef = { id: 'server-memory', label: 'Server memory per connection', unit: 'KB', better: 'lower', format: kbText };
const IDLE_MEMORY: CriterionDef = { id: 'server-memory-idle', label: 'Server memory per idle connection', unit: 'KB', better: 'lower', format: kbText };

/** Flag prefixes that make a figure a lower bound ("at least"). */
const LOWER_BOUND_FLAGS = ['client-bound: at least', 'no step broke the SLO: at least'];

function figure(def: CriterionDef, value: number | null | undefined, flags: string[]): VerdictFigure {
  return usable(value) ? { value, text: def.format(value), flags } : { value: null, text: NOT_MEASURED, flags };
}

/** A figure over repeats: the median as its value, "median (min–max)" as its text when measured more than once. */
function spreadFigure(def: CriterionDef, spread: Spread | null | undefined, flags: string[]): VerdictFigure {
  if (spread === null || spread === undefined) return { value: null, text: NOT_MEASURED, flags };
  return { value: spread.median, text: spreadText(spread, def.format), flags, spread };
}

/** The caveats of the repeats a figure is the median of: client-bound or lost in any of them, incomplete in all. */
function seriesFlags(runs: RunRecord[]): string[] {
  if (runs.length === 1) return runFlags(runs[0]!);
  const flags: string[] = [];
  if (runs.some((run) => run.clientBound)) flags.push('client-bound');
  if (runs.every((run) => !run.complete)) flags.push('incomplete');
  const lost = runs.reduce((sum, run) => sum + run.metrics.integrity.lost, 0);
  if (lost > 0) flags.push(`lost ${formatCount(lost)}`);
  return flags;
}

/** How a search ended, as caveats on its figure (either axis): a lower bound, or no answer at all. */
function searchOutcomeFlags(result: CapacityResult): string[] {
  const flags: string[] = [];
  if (result.sustained && result.stopReason === 'client-bound') flags.push('client-bound: at least');
  if (result.sustained && result.stopReason === 'all-steps-passed') flags.push('no step broke the SLO: at least');
  if (result.stopReason === 'interrupted') flags.push('search interrupted');
  if (result.stopReason === 'failed') flags.push('search failed');
  return flags;
}

function capacityFigure(result: CapacityResult | undefined): VerdictFigure {
  if (!result) return { value: null, text: NOT_MEASURED, flags: [] };
  const flags = searchOutcomeFlags(result);
  const limit = limitName(result);
  if (result.broke && limit !== null) flags.push(`broke at ${rateText(result.broke.offeredDeliveriesPerSec)}; limit: ${limit}`);
  const below = brokeBelowText(result);
  if (below !== null && result.sustained) flags.push(below);
  if (!result.sustained) {
    // No step held: the lowest rate tried, which broke, is the answer (never a bare "none").
    const text = result.broke ? `none held: even ${rateText(result.broke.offeredDeliveriesPerSec)} offered broke the SLO` : NOT_MEASURED;
    return { value: null, text, flags };
  }
  const held = result.sustained.offeredDeliveriesPerSec;
  const broke = result.broke?.offeredDeliveriesPerSec;
  return { ...figure(CAPACITY, result.sustained.deliveriesPerSec, flags), ...(broke !== undefined && broke > held ? { bracket: { held, broke } } : {}) };
}

/** A connections-axis search's figure: the most connections a step held, with the same lower-bound flags as the rate's. */
function connectionsFigure(result: CapacityResult): VerdictFigure {
  const flags = searchOutcomeFlags(result);
  const limit = limitName(result);
  if (result.broke?.connectionCount !== undefined && limit !== null) flags.push(`broke at ${connectionsText(result.broke.connectionCount)}; limit: ${limit}`);
  if (!result.sustained) {
    const text = result.broke?.connectionCount !== undefined ? `none held: even ${connectionsText(result.broke.connectionCount)} broke the SLO` : NOT_MEASURED;
    return { value: null, text, flags };
  }
  return figure(CONNECTIONS, result.sustained.connectionCount, flags);
}

/** The capacity figure over a series' searches: the sustained rate's spread, every search's caveats. */
function capacitySeriesFigure(results: CapacityResult[], spread: Spread | null): VerdictFigure {
  const [first] = results;
  if (results.length <= 1 || first === undefined) return capacityFigure(first);
  const figures = results.map(capacityFigure);
  const flags = [...new Set(figures.flatMap((fig) => fig.flags))];
  if (spread === null) return { ...figures[0]!, flags };
  return spreadFigure(CAPACITY, spread, flags);
}

// ---------------------------------------------------------------------------------------------
// Winner and margin.

/** "2.3x lower" from 2 up, else "35 % higher"; null when the next best is 0 (no ratio). */
function difference(best: number, next: number, better: 'lower' | 'higher'): string | null {
  const [big, small] = better === 'lower' ? [next, best] : [best, next];
  if (small <= 0 || big <= 0) return null;
  const ratio = big / small;
  const word = better;
  if (ratio >= 2) return `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}x ${word}`;
  const percent = better === 'lower' ? (1 - best / next) * 100 : (best / next - 1) * 100;
  return `${Math.round(percent)} % ${word}`;
}

/** Whether worse is within TIE_FRACTION of best. */
function ties(best: number, worse: number): boolean {
  if (best === worse) return true;
  const [big, small] = [Math.max(best, worse), Math.min(best, worse)];
  if (small <= 0) return false;
  return big / small - 1 <= TIE_FRACTION;
}

/** What a figure's flags mean for the margin, or null when it has none worth saying. */
function caveat(transport: TransportName, fig: VerdictFigure, role: 'winner' | 'next'): string | null {
  const parts: string[] = [];
  if (fig.flags.includes('client-bound')) parts.push(`the ${transport} figure came from a client-bound run`);
  if (fig.flags.includes('incomplete')) parts.push(`the ${transport} figure came from an incomplete run`);
  const lost = fig.flags.find((flag) => flag.startsWith('lost '));
  if (lost) parts.push(`the ${transport} run ${lost} messages`);
  const cut = fig.flags.find((flag) => flag.startsWith('server cut '));
  if (cut) parts.push(`in the ${transport} run the ${cut}`);
  if (fig.flags.some((flag) => LOWER_BOUND_FLAGS.includes(flag))) {
    parts.push(role === 'winner' ? `the ${transport} figure is a lower bound` : `the ${transport} figure is a lower bound, so the gap may be smaller`);
  }
  if (fig.flags.includes('search interrupted') || fig.flags.includes('search failed')) {
    parts.push(`the ${transport} capacity search did not finish`);
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

function decide(
  def: CriterionDef,
  transports: TransportName[],
  figures: Partial<Record<TransportName, VerdictFigure>>,
): { winner: TransportName | null; margin: string } {
  const measured = transports
    .map((transport) => ({ transport, fig: figures[transport] }))
    .filter((entry): entry is { transport: TransportName; fig: VerdictFigure & { value: number } } => usable(entry.fig?.value));
  measured.sort((a, b) => (def.better === 'lower' ? a.fig.value - b.fig.value : b.fig.value - a.fig.value));
  const [best, next] = measured;
  if (!best) return { winner: null, margin: `${NOT_MEASURED} for any transport` };
  if (!next) return { winner: null, margin: `only ${best.transport} measured (${best.fig.text}): no comparison` };
  const noise = compareSpreads(best.fig.spread ?? singleValue(best.fig.value), next.fig.spread ?? singleValue(next.fig.value));
  if (noise.kind === 'overlapping') {
    // Some repeat of the next best was as good as some repeat of the best: no winner, however far apart the medians.
    const tied = measured.filter((entry) => entry.fig.spread !== undefined && rangesOverlap(best.fig.spread!, entry.fig.spread));
    const diff = difference(best.fig.value, next.fig.value, def.better);
    const by = diff === null || best.fig.value === next.fig.value ? 'the medians are equal' : `${best.transport}'s median ${diff} than ${next.transport}'s`;
    return { winner: null, margin: `tie within noise (the ranges over the repeats overlap): ${tied.map((entry) => `${entry.transport} ${entry.fig.text}`).join(', ')}; ${by}` };
  }
  // Two single searches whose brackets overlap cannot be told apart: the next best may have held
  // where the best was never tried (between its last hold and its break).
  const bracketsOverlap = (a: VerdictFigure, b: VerdictFigure): boolean => a.bracket !== undefined && b.bracket !== undefined && a.bracket.held < b.bracket.broke && b.bracket.held < a.bracket.broke;
  if (def.better === 'higher' && bracketsOverlap(best.fig, next.fig)) {
    const tied = measured.filter((entry) => entry === best || bracketsOverlap(best.fig, entry.fig));
    const list = tied.map(({ transport, fig }) => `${transport} held ${formatCount(fig.bracket!.held)}/s, broke at ${formatCount(fig.bracket!.broke)}/s`).join('; ');
    return { winner: null, margin: `tie within the searches' resolution (each capacity lies between the rate that held and the rate that broke, and these overlap): ${list}` };
  }
  if (ties(best.fig.value, next.fig.value)) {
    const tied = measured.filter((entry) => ties(best.fig.value, entry.fig.value));
    return { winner: null, margin: `tie within 5 %: ${tied.map((entry) => `${entry.transport} ${entry.fig.text}`).join(', ')}` };
  }
  const diff = difference(best.fig.value, next.fig.value, def.better);
  const head = diff
    ? `${best.transport}: ${diff} than ${next.transport} (${best.fig.text} vs ${next.fig.text})`
    : `${best.transport}: ${def.better} than ${next.transport} (${best.fig.text} vs ${next.fig.text})`;
  const notes = [caveat(best.transport, best.fig, 'winner'), caveat(next.transport, next.fig, 'next')].filter(
    (note): note is string => note !== null,
  );
  if (noise.kind === 'separated') notes.push(`every repeat of ${best.transport} beat every repeat of ${next.transport} (the ranges do not overlap)`);
  // Beside figures with a spread, one without says why its gap was not tested against noise.
  else if (best.fig.spread !== undefined || next.fig.spread !== undefined) {
    const lone = [best, next].filter((entry) => entry.fig.spread === undefined).map((entry) => entry.transport);
    notes.push(`the ${joinNames(lone)} figure is a single run, no spread: the gap is not tested against noise`);
  }
  return { winner: best.transport, margin: [head, ...notes].join('; ') };
}

const joinNames = (names: string[]): string => names.join(' and ');

function criterion(
  def: CriterionDef,
  encoding: Encoding,
  transports: TransportName[],
  figures: Partial<Record<TransportName, VerdictFigure>>,
): VerdictCriterion {
  return {
    id: def.id,
    label: `${def.label} (${encoding})`,
    unit: def.unit,
    better: def.better,
    figures,
    ...decide(def, transports, figures),
  };
}

// ---------------------------------------------------------------------------------------------

/** The repeats of a transport's fixed run (reports/spread.ts picks them: the complete ones, else all). */
function repeatsOf(results: ResultsFile, summary: RepeatSummary, first: RunRecord): RunRecord[] {
  const ids = new Set(seriesSpreadOf(summary, first)?.runIds ?? [first.id]);
  const runs = results.runs.filter((run) => ids.has(run.id));
  return runs.length > 0 ? runs : [first];
}

/** What a scenario's winners rest on: medians over repeats against their ranges, or single runs. */
function basisOf(summary: RepeatSummary, runs: Map<TransportName, RunRecord[]>): string {
  const counts = [...runs.values()].map((list) => list.length);
  if (!hasRepeats(summary) || counts.every((count) => count <= 1)) {
    return 'Single run per transport, no spread: a winner is named when it is at least 5 % ahead, and noise may be larger than that; run with --repeat 3 (or more) to test each gap against the spread of repeats.';
  }
  const range = Math.min(...counts) === Math.max(...counts) ? `${Math.max(...counts)}` : `${Math.min(...counts)} to ${Math.max(...counts)}`;
  return `Figures are medians of ${range} repeats with their range (min–max); a winner is named only when its range does not overlap the next best's and the medians differ by 5 % or more; overlapping ranges are a tie within noise.`;
}

function verdictFor(results: ResultsFile, summary: RepeatSummary, scenario: ScenarioName): Verdict | null {
  const encoding = comparedEncoding(results, scenario);
  if (!encoding) return null;
  const runs = new Map<TransportName, RunRecord[]>();
  for (const transport of TRANSPORTS) {
    const run = fixedRun(results, transport, scenario, encoding);
    if (run) runs.set(transport, repeatsOf(results, summary, run));
  }
  const transports = [...runs.keys()];

  const fromRuns = (def: CriterionDef, id: HeadlineFigureId, scale = 1): VerdictCriterion => {
    const figures: Partial<Record<TransportName, VerdictFigure>> = {};
    for (const [transport, list] of runs) {
      const spread = figureSpread(seriesSpreadOf(summary, list[0]!), id) ?? null;
      const scaled = spread === null ? null : scaleSpread(spread, scale);
      // One value has no spread to show: the figure reads as before repeats existed.
      figures[transport] = scaled === null || scaled.n <= 1 ? figure(def, scaled?.median, seriesFlags(list)) : spreadFigure(def, scaled, seriesFlags(list));
    }
    return criterion(def, encoding, transports, figures);
  };

  const capacityFigures: Partial<Record<TransportName, VerdictFigure>> = {};
  const connectionFigures: Partial<Record<TransportName, VerdictFigure>> = {};
  for (const transport of transports) {
    const searches = results.capacity.filter(
      (entry) => entry.transport === transport && entry.scenario === scenario && entry.encoding === encoding && entry.client === CLIENT,
    );
    const rateSearches = searches.filter((entry) => entry.axis !== 'connections');
    const first = rateSearches[0];
    const series = first === undefined ? undefined : capacitySpreadOf(summary, first);
    const inSeries = series === undefined ? rateSearches.slice(0, 1) : rateSearches.filter((entry) => series.searchIds.includes(entry.id));
    capacityFigures[transport] = capacitySeriesFigure(inSeries, series?.sustained ?? null);
    const byConnections = searches.find((entry) => entry.axis === 'connections');
    if (byConnections !== undefined) connectionFigures[transport] = connectionsFigure(byConnections);
  }
  const hasConnections = Object.keys(connectionFigures).length > 0;
  const hasRateSearch = results.capacity.some((entry) => entry.scenario === scenario && entry.axis !== 'connections');

  const criteria: VerdictCriterion[] = [fromRuns(LATENCY, 'latency-p99')];
  if (scenarioOf(scenario).roundTrips) criteria.push(fromRuns(RTT, 'rtt-p99'));
  // A bench run on the connections axis has no rate search: its connections criterion stands in for the capacity one.
  if (hasRateSearch || !hasConnections) criteria.push(criterion(CAPACITY, encoding, transports, capacityFigures));
  if (hasConnections) criteria.push(criterion(CONNECTIONS, encoding, transports, connectionFigures));
  criteria.push(
    fromRuns(BYTES, 'bytes'),
    fromRuns(CPU, 'server-cpu'),
    fromRuns(MEMORY, 'rss-per-connection', 1 / 1024),
  );
  // Files written before the idle figure was measured, and --target runs, have none: no row of "not measured".
  if ([...runs.values()].some((list) => list.some((run) => typeof run.metrics.server?.idleRssBytesPerConnection === 'number'))) {
    criteria.push(fromRuns(IDLE_MEMORY, 'idle-rss-per-connection', 1 / 1024));
  }
  return { scenario, transports, criteria, basis: basisOf(summary, runs) };
}

/** One verdict per scenario that has fixed runs (feed, then chat), comparing the transports on one encoding. */
export function verdicts(input: ReportInput): Verdict[] {
  const summary = summarizeRepeats(input.results);
  return SCENARIO_NAMES.map((scenario) => verdictFor(input.results, summary, scenario)).filter((verdict): verdict is Verdict => verdict !== null);
}

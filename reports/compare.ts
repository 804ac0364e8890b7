/**
 * The comparison of two results files (pure: no I/O, no HTML): a baseline ("base") and a current
 * run ("head"), each one file or several repeats of the same bench. Runs are matched by id; for
 * each matched run and each figure (reports/compare/figures.ts) it gives both values, the change,
 * which way is better, each side's noise and a verdict. A change is better or worse only when it
 * is beyond the noise of both sides combined AND beyond a minimum effect; otherwise it is within
 * noise. The report's Baseline section renders this; the CI gate decides with it.
 */
import { NOISY_OTHER_CORES } from '../bench/run-record.ts';
import type { CapacityResult, ClientKind, ResultsFile, RunKind, RunRecord, ScenarioName } from '../metrics/result-types.ts';
import type { Encoding, TransportName } from '../scenarios/constants.ts';
import { ASSUMED_NOISE, CAPACITY_FIGURE, RUN_FIGURES, type Better, type FigureDefinition, type FigureUnit } from './compare/figures.ts';
import { combinedHalfWidth, meanInterval, median, type Noise } from './compare/noise.ts';
import { formatBytes, formatCount, formatMs, usable } from './format.ts';
import { seriesOf } from '../metrics/repeat-id.ts';

export { ASSUMED_NOISE, RUN_FIGURES, type Better, type FigureUnit } from './compare/figures.ts';
export type { Noise } from './compare/noise.ts';

/**
 * A change smaller than this, relative to the baseline, is never better or worse, however steady
 * the figure. Two runs of the same code here moved their steadiest figures (deliveries/s at fixed
 * load, WebSocket and SSE bytes per message) by 0 to 1 %; 5 % stays clear of that, and of the
 * per-second noise estimate's blind spots, while a regression worth acting on (the CI gate aims at
 * 10 %) stays visible. Options set it for every figure or per figure.
 */
export const DEFAULT_MINIMUM_EFFECT = 0.05;
/** With this many repeats per side, a figure's noise is its spread across repeats instead of within a run. */
export const MIN_REPEATS_FOR_SPREAD = 3;

export type Verdict = 'better' | 'worse' | 'within noise' | 'not comparable';

export interface CompareOptions {
  /** Relative change that counts at least (default DEFAULT_MINIMUM_EFFECT); 0.1 = 10 %. */
  minimumEffect?: number;
  /** Per figure id ('latency-p99', 'capacity', ...): overrides minimumEffect for that figure. */
  minimumEffects?: Readonly<Record<string, number>>;
}

/** One side's figure: the value (the median over repeats), each repeat's value, and its noise. */
export interface SideFigure {
  value: number | null;
  values: number[];
  noise: Noise | null;
}

export interface FigureDelta {
  id: string;
  label: string;
  unit: FigureUnit;
  better: Better;
  base: SideFigure;
  head: SideFigure;
  /** head - base; null when either is missing. */
  delta: number | null;
  /** delta / |base|; null when base is 0 or either is missing. */
  relative: number | null;
  /** Half-width of the difference's noise (both sides combined), in the figure's unit. */
  noise: number | null;
  /** The minimum effect in the figure's unit, and the relative value it came from. */
  minimumEffect: { absolute: number; relative: number } | null;
  /** Which of the two a change had to exceed (the larger); null when there was nothing to decide. */
  limitedBy: 'noise' | 'minimum effect' | null;
  verdict: Verdict;
  /** Why the verdict was not read from the numbers: not comparable, or nothing sustained on one side. */
  reason: string | null;
}

interface Identity {
  id: string;
  transport: TransportName;
  scenario: ScenarioName;
  client: ClientKind;
  encoding: Encoding;
}

export interface RunDelta extends Identity {
  kind: RunKind;
  /** Loads that differ, e.g. "connections 200 → 1,000": every figure of the run is then not comparable. */
  loadDifferences: string[];
  clientBound: { base: boolean; head: boolean };
  figures: FigureDelta[];
}

export interface CapacityDelta extends Identity {
  /** The first repeat's search on each side (its outcome, its steps). */
  base: CapacityResult;
  head: CapacityResult;
  sustained: FigureDelta;
}

export interface Comparison {
  repeats: { base: number; head: number };
  minimumEffect: number;
  runs: RunDelta[];
  onlyInBase: { id: string; kind: RunKind }[];
  onlyInHead: { id: string; kind: RunKind }[];
  capacity: CapacityDelta[];
  capacityOnlyInBase: string[];
  capacityOnlyInHead: string[];
  /** Why the two sides are not like for like (cpu, node, profile...); empty when they are. */
  environmentDifferences: string[];
  /** What makes the figures less trustworthy than their noise says (a busy machine). */
  caveats: string[];
}

/** A side: one results file, or the repeats of one bench (at least one). */
export type ComparisonSide = ResultsFile | readonly [ResultsFile, ...ResultsFile[]];

const sideFiles = (side: ComparisonSide): readonly [ResultsFile, ...ResultsFile[]] => ('schemaVersion' in side ? [side] : side);

// ---------------------------------------------------------------------------------------------
// Noise and verdicts.

/** The noise of one side's figure: across repeats when there are enough, else within its runs' windows. */
function noiseOf(figure: FigureDefinition, runs: RunRecord[], value: number, values: number[]): Noise {
  const scaled = (relative: number): number => relative * Math.abs(value);
  if (values.length >= MIN_REPEATS_FOR_SPREAD) {
    const spread = meanInterval(values);
    if (spread !== null) return { kind: 'measured', source: 'repeats', samples: spread.samples, relative: spread.relative, halfWidth: scaled(spread.relative) };
  }
  const source = figure.noise(runs[0]!);
  if (source.kind === 'exact') return { kind: 'exact', relative: 0, halfWidth: 0, reason: source.reason };
  if (source.kind === 'assumed') return { kind: 'assumed', relative: ASSUMED_NOISE, halfWidth: scaled(ASSUMED_NOISE), reason: source.reason };
  // Two repeats: their seconds pooled (the offset between the two widens the spread, as it should).
  const spread = meanInterval(runs.flatMap((run) => source.samples(run)));
  if (spread === null) return { kind: 'assumed', relative: ASSUMED_NOISE, halfWidth: scaled(ASSUMED_NOISE), reason: 'fewer than 2 per-second samples in the window' };
  return {
    kind: 'measured',
    source: 'per-second',
    samples: spread.samples,
    relative: spread.relative,
    halfWidth: scaled(spread.relative),
    ...(source.of === undefined ? {} : { of: source.of }),
  };
}

function sideFigure(figure: FigureDefinition, runs: RunRecord[]): SideFigure {
  const measured = runs.filter((run) => usable(figure.value(run)));
  const values = measured.map((run) => figure.value(run) as number);
  if (values.length === 0) return { value: null, values: [], noise: null };
  const value = values.length === 1 ? values[0]! : median(values);
  return { value, values, noise: noiseOf(figure, measured, value, values) };
}

interface Decision {
  better: Better;
  /** Relative to the baseline's value: with a baseline of 0 (no loss), any change is beyond it. */
  minimumEffect: number;
}

/** The verdict for two sides of a figure; `notComparable` (a run-level reason) overrides the numbers. */
function decide(base: SideFigure, head: SideFigure, decision: Decision, notComparable: string | null): Omit<FigureDelta, 'id' | 'label' | 'unit' | 'better' | 'base' | 'head'> {
  if (base.value === null || head.value === null || base.noise === null || head.noise === null) {
    const reason = base.value === null && head.value === null ? 'measured on neither side' : base.value === null ? 'not measured in the baseline' : 'not measured in the current run';
    return { delta: null, relative: null, noise: null, minimumEffect: null, limitedBy: null, verdict: 'not comparable', reason: notComparable ?? reason };
  }
  const delta = head.value - base.value;
  const relative = base.value === 0 ? null : delta / Math.abs(base.value);
  const noise = combinedHalfWidth(base.noise, head.noise);
  const minimumEffect = { absolute: decision.minimumEffect * Math.abs(base.value), relative: decision.minimumEffect };
  const limitedBy = noise > minimumEffect.absolute ? 'noise' : 'minimum effect';
  const numbers = { delta, relative, noise, minimumEffect, limitedBy } as const;
  if (notComparable !== null) return { ...numbers, verdict: 'not comparable', reason: notComparable };
  if (delta === 0 || Math.abs(delta) <= Math.max(noise, minimumEffect.absolute)) return { ...numbers, verdict: 'within noise', reason: null };
  return { ...numbers, verdict: (delta > 0) === (decision.better === 'higher') ? 'better' : 'worse', reason: null };
}

function minimumEffectOf(id: string, options: CompareOptions): number {
  return options.minimumEffects?.[id] ?? options.minimumEffect ?? DEFAULT_MINIMUM_EFFECT;
}

/** The figure's delta; null when neither run could have it (rtt in a feed run, Chromium's cost in a Node run). */
function figureDelta(figure: FigureDefinition, base: RunRecord[], head: RunRecord[], options: CompareOptions, notComparable: string | null): FigureDelta | null {
  const baseSide = sideFigure(figure, base);
  const headSide = sideFigure(figure, head);
  const unmeasurable = figure.unmeasurable?.(base[0]!) ?? figure.unmeasurable?.(head[0]!) ?? null;
  if (baseSide.value === null && headSide.value === null && unmeasurable === null) return null;
  const decision = { better: figure.better, minimumEffect: minimumEffectOf(figure.id, options) };
  const decided = decide(baseSide, headSide, decision, unmeasurable ?? notComparable);
  return { id: figure.id, label: figure.label, unit: figure.unit, better: figure.better, base: baseSide, head: headSide, ...decided };
}

// ---------------------------------------------------------------------------------------------
// Runs.

function loadDifferences(head: RunRecord, base: RunRecord): string[] {
  const differences: string[] = [];
  const exact: [string, number | null, number | null][] = [
    ['connections', head.load.connections, base.load.connections],
    ['offered deliveries/s', head.load.offeredDeliveriesPerSec, base.load.offeredDeliveriesPerSec],
    ['payload bytes', head.load.payloadBytes, base.load.payloadBytes],
  ];
  for (const [name, now, before] of exact) {
    if (now !== before) differences.push(`${name} ${formatCount(before)} → ${formatCount(now)}`);
  }
  // The measured window is timed, so a millisecond either way is not a different load.
  const now = head.load.durationMs;
  const before = base.load.durationMs;
  if (Math.abs(now - before) > 0.1 * Math.max(now, before)) {
    differences.push(`window ${formatCount(before / 1000)} s → ${formatCount(now / 1000)} s`);
  }
  return differences;
}

/** Why a matched run's figures cannot be compared at all, or null. */
function runNotComparable(base: RunRecord[], head: RunRecord[], load: string[]): string | null {
  if (load.length > 0) return `different load: ${load.join(', ')}`;
  if (base.some((run) => !run.complete)) return 'the baseline’s run is incomplete';
  if (head.some((run) => !run.complete)) return 'the current run is incomplete';
  return null;
}

/**
 * Every item of the files by id, in the order ids first appear (one entry per repeat that has it):
 * repeats within one file (--repeat N, ids with a /repeat-N part) group under their series id too.
 */
function byId<T extends { id: string }>(files: readonly ResultsFile[], items: (file: ResultsFile) => T[]): Map<string, [T, ...T[]]> {
  const grouped = new Map<string, [T, ...T[]]>();
  for (const file of files) {
    for (const item of items(file)) {
      const id = seriesOf(item.id);
      const group = grouped.get(id);
      if (group === undefined) grouped.set(id, [item]);
      else group.push(item);
    }
  }
  return grouped;
}

function identity(item: Identity): Identity {
  return { id: item.id, transport: item.transport, scenario: item.scenario, client: item.client, encoding: item.encoding };
}

function runDelta(base: [RunRecord, ...RunRecord[]], head: [RunRecord, ...RunRecord[]], options: CompareOptions): RunDelta {
  const load = loadDifferences(head[0], base[0]);
  const notComparable = runNotComparable(base, head, load);
  const figures = RUN_FIGURES.flatMap((figure) => figureDelta(figure, base, head, options, notComparable) ?? []);
  return {
    ...identity(head[0]),
    kind: head[0].kind,
    loadDifferences: load,
    clientBound: { base: base.some((run) => run.clientBound), head: head.some((run) => run.clientBound) },
    figures,
  };
}

// ---------------------------------------------------------------------------------------------
// Capacity.

/** Searches that did not find the server's limit (the lab's was reached first, or they stopped) say nothing about it. */
const INCONCLUSIVE_STOPS: Partial<Record<CapacityResult['stopReason'], string>> = {
  'client-bound': 'client-bound (the server’s limit was not reached)',
  interrupted: 'interrupted',
  failed: 'failed',
};

function capacityNotComparable(base: CapacityResult[], head: CapacityResult[]): string | null {
  const slo = (result: CapacityResult): string => `p99 ≤ ${formatMs(result.slo.p99Ms)} ms, loss ≤ ${formatCount(result.slo.maxLoss)}`;
  const [first] = base;
  const [current] = head;
  if (first !== undefined && current !== undefined && slo(first) !== slo(current)) return `different SLO: ${slo(first)} → ${slo(current)}`;
  // A connections-axis search's deliveries/s follow its connection count at a fixed rate per connection: comparable only to another at the same rate.
  const axis = (result: CapacityResult): string => (result.axis === 'connections' ? `connections at ${result.connectionRate ?? '?'}/s per connection` : 'rate');
  if (first !== undefined && current !== undefined && axis(first) !== axis(current)) return `different search axis: ${axis(first)} → ${axis(current)}`;
  for (const [results, name] of [[base, 'the baseline’s search'], [head, 'the current search']] as const) {
    const stop = results.map((result) => INCONCLUSIVE_STOPS[result.stopReason]).find((reason) => reason !== undefined);
    if (stop !== undefined) return `${name} was ${stop}`;
  }
  return null;
}

/** One search a side: the assumed noise, or the search's resolution when coarser (its answer is only known to within it). */
function assumedCapacityNoise(results: CapacityResult[], value: number): Noise {
  const resolution = Math.max(0, ...results.map((result) => result.resolution ?? 0));
  if (resolution <= ASSUMED_NOISE) return { kind: 'assumed', relative: ASSUMED_NOISE, halfWidth: ASSUMED_NOISE * value, reason: CAPACITY_FIGURE.reason };
  return { kind: 'assumed', relative: resolution, halfWidth: resolution * value, reason: `${CAPACITY_FIGURE.reason}; the search bisected only to within ${Math.round(resolution * 100)} %` };
}

function capacityDelta(base: [CapacityResult, ...CapacityResult[]], head: [CapacityResult, ...CapacityResult[]], options: CompareOptions): CapacityDelta {
  const sustained = (results: CapacityResult[]): number[] => results.map((result) => result.sustained?.deliveriesPerSec ?? null).filter(usable);
  const side = (results: CapacityResult[]): SideFigure => {
    const values = sustained(results);
    if (values.length === 0) return { value: null, values: [], noise: null };
    const value = values.length === 1 ? values[0]! : median(values);
    const spread = values.length >= MIN_REPEATS_FOR_SPREAD ? meanInterval(values) : null;
    const noise: Noise =
      spread === null
        ? assumedCapacityNoise(results, value)
        : { kind: 'measured', source: 'repeats', samples: spread.samples, relative: spread.relative, halfWidth: spread.relative * value };
    return { value, values, noise };
  };
  const baseSide = side(base);
  const headSide = side(head);
  const figure = { id: CAPACITY_FIGURE.id, label: CAPACITY_FIGURE.label, unit: CAPACITY_FIGURE.unit, better: CAPACITY_FIGURE.better, base: baseSide, head: headSide };
  const notComparable = capacityNotComparable(base, head);
  const decision = { better: CAPACITY_FIGURE.better, minimumEffect: minimumEffectOf(CAPACITY_FIGURE.id, options) };
  let delta: FigureDelta;
  if (notComparable === null && (baseSide.value === null) !== (headSide.value === null)) {
    // A search that held no step at all is below any that held one.
    const none = { delta: null, relative: null, noise: null, minimumEffect: null, limitedBy: null } as const;
    delta =
      headSide.value === null
        ? { ...figure, ...none, verdict: 'worse', reason: 'no step held the SLO in the current run' }
        : { ...figure, ...none, verdict: 'better', reason: 'no step held the SLO in the baseline' };
  } else if (notComparable === null && baseSide.value === null && headSide.value === null) {
    delta = { ...figure, delta: null, relative: null, noise: null, minimumEffect: null, limitedBy: null, verdict: 'within noise', reason: 'no step held the SLO on either side' };
  } else {
    delta = { ...figure, ...decide(baseSide, headSide, decision, notComparable) };
  }
  return { ...identity(head[0]), base: base[0], head: head[0], sustained: delta };
}

// ---------------------------------------------------------------------------------------------
// Files.

/** The profile the bench ran with (config.profile), or null. */
export function profileOf(results: ResultsFile): string | null {
  const profile = results.config['profile'];
  return typeof profile === 'string' ? profile : null;
}

function environmentDifferences(head: ResultsFile, base: ResultsFile, baseFiles: readonly ResultsFile[]): string[] {
  const now = head.environment;
  const before = base.environment;
  const differences: string[] = [];
  if (now.cpuModel !== before.cpuModel) differences.push(`CPU model: ${before.cpuModel} → ${now.cpuModel}`);
  if (now.cpuCount !== before.cpuCount) differences.push(`CPU count: ${before.cpuCount} → ${now.cpuCount}`);
  if (now.node !== before.node) differences.push(`Node: ${before.node} → ${now.node}`);
  const profileNow = profileOf(head);
  const profileBefore = profileOf(base);
  if (profileNow !== profileBefore) differences.push(`profile: ${profileBefore ?? 'unknown'} → ${profileNow ?? 'unknown'}`);
  if (now.totalMemoryBytes !== before.totalMemoryBytes) {
    differences.push(`memory: ${formatBytes(before.totalMemoryBytes)} → ${formatBytes(now.totalMemoryBytes)}`);
  }
  if (now.platform !== before.platform || now.arch !== before.arch) {
    differences.push(`OS: ${before.platform} ${before.arch} → ${now.platform} ${now.arch}`);
  }
  if (now.hostname !== before.hostname) differences.push(`hostname: ${before.hostname} → ${now.hostname}`);
  for (const file of baseFiles) {
    if (!file.complete) differences.push(`the baseline is incomplete (${file.interruption ?? 'no reason recorded'})`);
  }
  return differences;
}

/** Files measured while the rest of the machine was busy: their spread may not be the code's. */
function caveats(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[]): string[] {
  const busy = (files: readonly ResultsFile[], name: string): string[] =>
    files
      .map((file) => file.environment.otherCpuCores)
      .filter((cores): cores is number => cores !== null && cores > NOISY_OTHER_CORES)
      .slice(0, 1)
      .map((cores) => `${name} was measured while other processes kept ${formatMs(cores)} cores busy on average (more than ${NOISY_OTHER_CORES}): its figures may move by more than their measured noise`);
  return [...busy(baseFiles, 'the baseline'), ...busy(headFiles, 'the current run')];
}

/**
 * Compares head with base, run by run and figure by figure. Each side is one results file or the
 * repeats of one bench: a figure's value is then the median over repeats and, from
 * MIN_REPEATS_FOR_SPREAD repeats, its noise is their spread.
 */
export function compareResults(base: ComparisonSide, head: ComparisonSide, options: CompareOptions = {}): Comparison {
  const baseFiles = sideFiles(base);
  const headFiles = sideFiles(head);
  const baseRuns = byId(baseFiles, (file) => file.runs);
  const headRuns = byId(headFiles, (file) => file.runs);
  const baseCapacity = byId(baseFiles, (file) => file.capacity);
  const headCapacity = byId(headFiles, (file) => file.capacity);
  const runs: RunDelta[] = [];
  for (const [id, head] of headRuns) {
    const before = baseRuns.get(id);
    if (before !== undefined) runs.push({ ...runDelta(before, head, options), id });
  }
  const capacity: CapacityDelta[] = [];
  for (const [id, head] of headCapacity) {
    const before = baseCapacity.get(id);
    if (before !== undefined) capacity.push({ ...capacityDelta(before, head, options), id });
  }
  const only = (from: Map<string, [RunRecord, ...RunRecord[]]>, other: Map<string, unknown>) =>
    [...from].filter(([id]) => !other.has(id)).map(([id, [run]]) => ({ id, kind: run.kind }));
  return {
    repeats: { base: baseFiles.length, head: headFiles.length },
    minimumEffect: options.minimumEffect ?? DEFAULT_MINIMUM_EFFECT,
    runs,
    onlyInBase: only(baseRuns, headRuns),
    onlyInHead: only(headRuns, baseRuns),
    capacity,
    capacityOnlyInBase: [...baseCapacity.keys()].filter((id) => !headCapacity.has(id)),
    capacityOnlyInHead: [...headCapacity.keys()].filter((id) => !baseCapacity.has(id)),
    environmentDifferences: environmentDifferences(headFiles[0], baseFiles[0], baseFiles),
    caveats: caveats(baseFiles, headFiles),
  };
}

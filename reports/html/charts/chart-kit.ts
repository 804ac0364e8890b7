/**
 * What every chart builder shares besides colours: the chart.js options every chart uses (axes with
 * titles, a line per transport), the words and numbers of captions and tables, and the helpers that
 * turn runs into names, series labels, groups and flags.
 *
 * Everything here returns plain JSON (no functions, no undefined): chart configs must survive
 * JSON.stringify into the page.
 */
import { ENCODINGS, SCENARIO_NAMES, TRANSPORTS, type TransportName } from '../../../scenarios/constants.ts';
import type { ResultsFile, RunRecord, ScenarioName } from '../../../metrics/result-types.ts';
import { formatCount, formatMs } from '../../format.ts';
import { lossCauseText } from '../../loss-words.ts';
import { TRANSPORT_COLORS, TRANSPORT_DASHES, TRANSPORT_POINT_RADII, TRANSPORT_POINT_STYLES, translucent } from './colors.ts';

// ---------------------------------------------------------------------------------------------
// chart.js options.

/** A line of one transport: colour, point style and dash of that transport; null y values stay gaps. */
export function lineDataset(transport: TransportName, label: string, data: { x: number; y: number | null }[]): Record<string, unknown> {
  const color = TRANSPORT_COLORS[transport];
  return {
    label,
    data,
    showLine: true,
    spanGaps: false,
    tension: 0,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: TRANSPORT_DASHES[transport],
    pointStyle: TRANSPORT_POINT_STYLES[transport],
    // Half-filled marks of growing size: where lines coincide, every transport's mark still shows.
    pointRadius: TRANSPORT_POINT_RADII[transport],
    pointHoverRadius: TRANSPORT_POINT_RADII[transport] + 2,
    pointBackgroundColor: translucent(color, 0.45),
    pointBorderColor: color,
    pointBorderWidth: 2,
  };
}

/** An axis with its title (and unit) shown. */
export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, title: { display: true, text: title } };
}

/** The options every chart shares: no animation, fills its fixed-height container, legend by point style. */
export function chartOptions(scales: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales,
    plugins: { legend: { display: true, position: 'bottom', labels: { usePointStyle: true, boxHeight: 8 } } },
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// Words and numbers.

export const NOT_MEASURED = 'not measured';

const rank = <T>(list: readonly T[], item: T): number => {
  const index = list.indexOf(item);
  return index === -1 ? list.length : index;
};

export const transportRank = (transport: TransportName): number => rank(TRANSPORTS, transport);

/** "1.2x", "2.6x", "13x". */
export function formatRatio(ratio: number): string {
  return ratio < 9.95 ? `${ratio.toFixed(1)}x` : `${formatCount(ratio)}x`;
}

/** A size in bytes as it reads in a per-message table: 79.67 -> "79.7 B", 502 -> "502 B". */
export function formatSmallBytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NOT_MEASURED;
  return Math.abs(value) >= 1000 ? `${formatCount(value)} B` : `${formatMs(value)} B`;
}

/** "a", "a and b", "a, b and c". */
export function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** An id fragment safe in HTML ids and URLs: "long-poll/feed json" -> "long-poll-feed-json". */
export function slug(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Hands out ids, adding -2, -3 when a builder would reuse one. */
export function idMaker(): (...parts: string[]) => string {
  const used = new Set<string>();
  return (...parts) => {
    const base = slug(...parts);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  };
}

// ---------------------------------------------------------------------------------------------
// Runs: names, series labels, groups and flags.

/** How a run is named in flags: "sse feed json", "ws feed json step 2 (80,000/s offered)". */
export function runName(run: RunRecord): string {
  const parts: string[] = [run.transport, run.scenario, run.encoding];
  if (run.client !== 'node') parts.push(run.client);
  if (run.step !== null) parts.push(`step ${run.step.index} (${formatCount(run.load.offeredDeliveriesPerSec)}/s offered)`);
  return parts.join(' ');
}

/** Caveats about the runs whose figures a chart draws: client-bound, incomplete, lost messages, the run's own notes. */
export function runFlags(runs: RunRecord[]): string[] {
  const flags: string[] = [];
  for (const run of runs) {
    const name = runName(run);
    if (run.clientBound) {
      const reasons = run.clientBoundReasons.length > 0 ? run.clientBoundReasons.join('; ') : 'no reason recorded';
      flags.push(`${name}: client-bound (${reasons})`);
    }
    if (!run.complete) flags.push(`${name}: incomplete (interrupted before it was collected in full)`);
    const { lost, expected } = run.metrics.integrity;
    const causes = lossCauseText(run.metrics.integrity);
    if (lost > 0) flags.push(`${name}: lost ${formatCount(lost)} of ${formatCount(expected)} deliveries${causes === null ? '' : ` (${causes})`}`);
    for (const note of run.notes) flags.push(`${name}: ${note}`);
  }
  return [...new Set(flags)];
}

/** The load a run offered, as a caption reads it: "200 connections, 100 B payload, 10,000 deliveries/s offered". */
export function describeLoad(run: RunRecord): string {
  return `${formatCount(run.load.connections)} connections, ${formatCount(run.load.payloadBytes)} B payload, ${formatCount(run.load.offeredDeliveriesPerSec)} deliveries/s offered`;
}

const loadKey = (run: RunRecord): string =>
  `${run.load.connections}/${run.load.payloadBytes}/${run.load.offeredDeliveriesPerSec}`;

/** Sorts runs by scenario, encoding, client, load, transport, then capacity step. */
export function compareRuns(a: RunRecord, b: RunRecord): number {
  const keys: ((run: RunRecord) => number | string)[] = [
    (r) => rank(SCENARIO_NAMES, r.scenario),
    (r) => rank(ENCODINGS, r.encoding),
    (r) => r.client,
    (r) => r.load.connections,
    (r) => r.load.payloadBytes,
    (r) => r.load.offeredDeliveriesPerSec,
    (r) => transportRank(r.transport),
    (r) => r.step?.index ?? 0,
  ];
  for (const key of keys) {
    const x = key(a);
    const y = key(b);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * A label per run that tells it apart from the others given: the transport, then whatever varies
 * among the runs (encoding, client, load), then "#2" if two are still alike. Same order as given.
 */
export function seriesLabels(runs: RunRecord[]): string[] {
  const varies = (key: (run: RunRecord) => string): boolean => new Set(runs.map(key)).size > 1;
  const showEncoding = varies((r) => r.encoding);
  const showClient = varies((r) => r.client);
  const showLoad = varies(loadKey);
  const labels = runs.map((run) => {
    const parts: string[] = [run.transport];
    if (showEncoding) parts.push(run.encoding);
    if (showClient) parts.push(run.client);
    if (showLoad) parts.push(`${formatCount(run.load.connections)} conns`);
    return parts.join(' ');
  });
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    return count === 1 ? label : `${label} #${count}`;
  });
}

/** Fixed-load runs drawn together: one scenario, encoding, client and load; one series per transport. */
export interface RunGroup {
  scenario: ScenarioName;
  /** What tells this group apart within its scenario: "json", "binary, browser", "json, 1,000 connections". */
  label: string;
  runs: RunRecord[];
  /** One label per run, in the same order: the transport (with "#2" if a transport ran twice). */
  series: string[];
}

/** Groups runs of one kind by scenario, encoding, client and load, in report order. */
export function groupRuns(runs: RunRecord[]): RunGroup[] {
  const sorted = [...runs].sort(compareRuns);
  const groups = new Map<string, RunRecord[]>();
  for (const run of sorted) {
    const key = `${run.scenario}|${run.encoding}|${run.client}|${loadKey(run)}`;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [run]);
    else list.push(run);
  }
  const clients = new Set(runs.map((r) => r.client));
  return [...groups.values()].map((members) => {
    const first = members[0] as RunRecord;
    const sameScenario = sorted.filter((r) => r.scenario === first.scenario && r.encoding === first.encoding && r.client === first.client);
    const parts: string[] = [first.encoding];
    if (clients.size > 1) parts.push(first.client);
    if (new Set(sameScenario.map(loadKey)).size > 1) parts.push(`${formatCount(first.load.connections)} connections`);
    return { scenario: first.scenario, label: parts.join(', '), runs: members, series: seriesLabels(members) };
  });
}

/**
 * The lab compares transports with its Node clients: browser runs hold other loads (fewer
 * connections) and measure other things (no socket bytes), so only the views about browsers draw them.
 */
export const isNodeFixedRun = (run: RunRecord): boolean => run.kind === 'fixed' && run.client === 'node';

export const hasBrowserRuns = (results: ResultsFile): boolean => results.runs.some((run) => run.client === 'browser');

/**
 * The fixed-load Node-client runs of a results file, grouped for drawing. When the file has browser
 * runs too, each label says "Node clients", so nobody takes these figures for the browsers'.
 */
export function fixedRunGroups(results: ResultsFile): RunGroup[] {
  const groups = groupRuns(results.runs.filter(isNodeFixedRun));
  return hasBrowserRuns(results) ? groups.map((group) => ({ ...group, label: `${group.label}, Node clients` })) : groups;
}

/** Why a family drawn from Node fixed-load runs has nothing to draw. */
export function noNodeFixedRunsReason(results: ResultsFile): string {
  return results.runs.some((run) => run.kind === 'fixed')
    ? 'no fixed-load runs with Node clients in this results file (browser runs are drawn under "Node vs browser clients")'
    : 'no fixed-load runs in this results file';
}

/**
 * The report's "Baseline" section: this run's key figures beside those of an earlier results file
 * (--baseline), run by run (matched by id), with the change in words and symbols, never colour
 * alone. Pure: the comparison is computed first (compareBaseline), then rendered.
 */
import type { CapacityResult, ResultsFile, RunRecord } from '../../../metrics/result-types.ts';
import { formatBytes, formatCount, formatMs } from '../../terminal.ts';
import { formatTimestamp, profileOf, shortCommit } from './environment.ts';
import { badge, escapeHtml } from '../html.ts';

/** Changes within ±2 % read as "same": run-to-run noise, not a difference. */
export const SAME_WITHIN_PERCENT = 2;

export type Better = 'higher' | 'lower';
export type Change = 'better' | 'worse' | 'same' | 'not comparable';

export interface BaselineMetric {
  id: string;
  label: string;
  better: Better;
  value(run: RunRecord): number | null;
  /** A value (or the size of a difference) with its unit. */
  format(value: number): string;
}

const ms = (value: number): string => `${formatMs(value)} ms`;
const perMessageBytes = (value: number): string => (Math.abs(value) < 1024 ? `${formatMs(value)} B` : formatBytes(value));

export const BASELINE_METRICS: BaselineMetric[] = [
  { id: 'deliveries', label: 'Deliveries/s', better: 'higher', value: (r) => r.metrics.throughput.deliveriesPerSec, format: (v) => `${formatCount(v)}/s` },
  { id: 'latency-p50', label: 'Delivery latency p50', better: 'lower', value: (r) => r.metrics.latency?.p50 ?? null, format: ms },
  { id: 'latency-p99', label: 'Delivery latency p99', better: 'lower', value: (r) => r.metrics.latency?.p99 ?? null, format: ms },
  { id: 'rtt-p99', label: 'Round trip p99', better: 'lower', value: (r) => r.metrics.rtt?.p99 ?? null, format: ms },
  // A page cannot see socket bytes: a browser run's byte figures are not measurements.
  { id: 'bytes', label: 'Bytes per message', better: 'lower', value: (r) => (r.client === 'node' ? r.metrics.bytes.perMessage : null), format: perMessageBytes },
  {
    id: 'server-cpu',
    label: 'Server CPU per 1k deliveries',
    better: 'lower',
    value: (r) => r.metrics.server?.cpuMsPer1kDeliveries ?? null,
    format: ms,
  },
  {
    id: 'rss-per-connection',
    label: 'Server memory per connection',
    better: 'lower',
    value: (r) => r.metrics.server?.rssBytesPerConnection ?? null,
    format: formatBytes,
  },
  { id: 'lost', label: 'Lost deliveries', better: 'lower', value: (r) => r.metrics.integrity.lost, format: formatCount },
  // Browser and reconnect runs only: null elsewhere, so files without them compare as before.
  {
    id: 'chromium-cpu',
    label: 'Chromium CPU per delivery',
    better: 'lower',
    value: (r) => r.metrics.client.browser?.cpuUsPerDelivery ?? null,
    format: (v) => `${formatMs(v)} µs`,
  },
  {
    id: 'chromium-memory',
    label: 'Chromium memory per client',
    better: 'lower',
    value: (r) => r.metrics.client.browser?.memoryBytesPerClient ?? null,
    format: formatBytes,
  },
  { id: 'resume-p99', label: 'Resume after the drop p99', better: 'lower', value: (r) => r.reconnect?.resume?.p99 ?? null, format: ms },
  { id: 'missed', label: 'Missed after the drop', better: 'lower', value: (r) => r.reconnect?.missed ?? null, format: formatCount },
];

export interface ValueComparison {
  current: number | null;
  baseline: number | null;
  /** current - baseline. */
  delta: number | null;
  /** delta / baseline x 100; null when the baseline is 0 or missing. */
  deltaPercent: number | null;
  change: Change;
}

/** How current compares with baseline when `better` says which way is good. */
export function compareValues(current: number | null, baseline: number | null, better: Better): ValueComparison {
  if (current === null || baseline === null || !Number.isFinite(current) || !Number.isFinite(baseline)) {
    return { current, baseline, delta: null, deltaPercent: null, change: 'not comparable' };
  }
  const delta = current - baseline;
  const deltaPercent = baseline === 0 ? null : (delta / Math.abs(baseline)) * 100;
  let change: Change;
  if (delta === 0 || (deltaPercent !== null && Math.abs(deltaPercent) <= SAME_WITHIN_PERCENT)) change = 'same';
  else change = (delta > 0) === (better === 'higher') ? 'better' : 'worse';
  return { current, baseline, delta, deltaPercent, change };
}

export interface MetricComparison extends ValueComparison {
  metric: BaselineMetric;
}

export interface RunComparison {
  id: string;
  kind: RunRecord['kind'];
  /** Loads that differ between the two runs, e.g. "connections 200 -> 1,000". */
  loadDifferences: string[];
  metrics: MetricComparison[];
}

export interface CapacityComparison {
  id: string;
  current: CapacityResult;
  baseline: CapacityResult;
  sustained: ValueComparison;
}

export interface BaselineComparison {
  runs: RunComparison[];
  onlyInCurrent: RunRecord[];
  onlyInBaseline: RunRecord[];
  capacity: CapacityComparison[];
  capacityOnlyInCurrent: CapacityResult[];
  capacityOnlyInBaseline: CapacityResult[];
  /** Why the two files are not like for like (cpu, node, profile...); empty when they are. */
  environmentDifferences: string[];
}

function loadDifferences(current: RunRecord, baseline: RunRecord): string[] {
  const differences: string[] = [];
  const exact: [string, number | null, number | null][] = [
    ['connections', current.load.connections, baseline.load.connections],
    ['offered deliveries/s', current.load.offeredDeliveriesPerSec, baseline.load.offeredDeliveriesPerSec],
    ['payload bytes', current.load.payloadBytes, baseline.load.payloadBytes],
  ];
  for (const [name, now, before] of exact) {
    if (now !== before) differences.push(`${name} ${formatCount(before)} → ${formatCount(now)}`);
  }
  // The measured window is timed, so a millisecond either way is not a different load.
  const now = current.load.durationMs;
  const before = baseline.load.durationMs;
  if (Math.abs(now - before) > 0.1 * Math.max(now, before)) {
    differences.push(`window ${formatCount(before / 1000)} s → ${formatCount(now / 1000)} s`);
  }
  return differences;
}

function environmentDifferences(current: ResultsFile, baseline: ResultsFile): string[] {
  const now = current.environment;
  const before = baseline.environment;
  const differences: string[] = [];
  if (now.cpuModel !== before.cpuModel) differences.push(`CPU model: ${before.cpuModel} → ${now.cpuModel}`);
  if (now.cpuCount !== before.cpuCount) differences.push(`CPU count: ${before.cpuCount} → ${now.cpuCount}`);
  if (now.node !== before.node) differences.push(`Node: ${before.node} → ${now.node}`);
  const profileNow = profileOf(current);
  const profileBefore = profileOf(baseline);
  if (profileNow !== profileBefore) differences.push(`profile: ${profileBefore ?? 'unknown'} → ${profileNow ?? 'unknown'}`);
  if (now.totalMemoryBytes !== before.totalMemoryBytes) {
    differences.push(`memory: ${formatBytes(before.totalMemoryBytes)} → ${formatBytes(now.totalMemoryBytes)}`);
  }
  if (now.platform !== before.platform || now.arch !== before.arch) {
    differences.push(`OS: ${before.platform} ${before.arch} → ${now.platform} ${now.arch}`);
  }
  if (now.hostname !== before.hostname) differences.push(`hostname: ${before.hostname} → ${now.hostname}`);
  if (!baseline.complete) differences.push(`the baseline is incomplete (${baseline.interruption ?? 'no reason recorded'})`);
  return differences;
}

/** Pairs items of two files by id; the rest are listed as found in one file only. */
function pairById<T extends { id: string }>(current: T[], baseline: T[]): { pairs: [T, T][]; onlyInCurrent: T[]; onlyInBaseline: T[] } {
  const before = new Map(baseline.map((item) => [item.id, item]));
  const currentIds = new Set(current.map((item) => item.id));
  const pairs: [T, T][] = [];
  const onlyInCurrent: T[] = [];
  for (const item of current) {
    const match = before.get(item.id);
    if (match === undefined) onlyInCurrent.push(item);
    else pairs.push([item, match]);
  }
  return { pairs, onlyInCurrent, onlyInBaseline: baseline.filter((item) => !currentIds.has(item.id)) };
}

/** Everything the Baseline section shows, computed. */
export function compareBaseline(current: ResultsFile, baseline: ResultsFile): BaselineComparison {
  const runs = pairById(current.runs, baseline.runs);
  const capacity = pairById(current.capacity, baseline.capacity);
  return {
    runs: runs.pairs.map(([run, before]): RunComparison => ({
      id: run.id,
      kind: run.kind,
      loadDifferences: loadDifferences(run, before),
      metrics: BASELINE_METRICS.map((metric) => ({ metric, ...compareValues(metric.value(run), metric.value(before), metric.better) })).filter(
        (comparison) => comparison.current !== null || comparison.baseline !== null,
      ),
    })),
    onlyInCurrent: runs.onlyInCurrent,
    onlyInBaseline: runs.onlyInBaseline,
    capacity: capacity.pairs.map(([result, before]): CapacityComparison => ({ id: result.id, current: result, baseline: before, sustained: compareSustained(result, before) })),
    capacityOnlyInCurrent: capacity.onlyInCurrent,
    capacityOnlyInBaseline: capacity.onlyInBaseline,
    environmentDifferences: environmentDifferences(current, baseline),
  };
}

/** Sustained deliveries/s, higher better; a search that sustained no step at all is below any that did. */
function compareSustained(current: CapacityResult, baseline: CapacityResult): ValueComparison {
  const now = current.sustained?.deliveriesPerSec ?? null;
  const before = baseline.sustained?.deliveriesPerSec ?? null;
  if (now !== null && before !== null) return compareValues(now, before, 'higher');
  if (now === null && before === null) return { current: null, baseline: null, delta: null, deltaPercent: null, change: 'same' };
  return { current: now, baseline: before, delta: null, deltaPercent: null, change: now === null ? 'worse' : 'better' };
}

// ---------------------------------------------------------------------------------------------
// Rendering.

const MINUS = '−';

/** "+12.3%" / "−4.0%" / "0.0%". */
export function formatPercent(value: number): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  const text = Math.abs(rounded).toFixed(Math.abs(rounded) >= 100 ? 0 : 1);
  return `${rounded > 0 ? '+' : rounded < 0 ? MINUS : ''}${text}%`;
}

/** A signed difference with its unit: "+1.2 ms", "−3,000/s". */
function formatDelta(delta: number, format: (value: number) => string): string {
  if (delta === 0) return format(0);
  return `${delta > 0 ? '+' : MINUS}${format(Math.abs(delta))}`;
}

/** The change as a word and a symbol: "better ▲", "worse ▼", "same". */
export function changeText(change: Change): string {
  switch (change) {
    case 'better':
      return 'better ▲';
    case 'worse':
      return 'worse ▼';
    case 'same':
      return 'same';
    case 'not comparable':
      return 'not comparable';
  }
}

function changeCell(change: Change): string {
  const cls = change === 'not comparable' ? 'change change-same' : `change change-${change}`;
  return `<td class="${cls}">${escapeHtml(changeText(change))}</td>`;
}

interface CellFormats {
  current: (value: number) => string;
  baseline: (value: number) => string;
  delta: (value: number) => string;
  /** What a missing value reads as. */
  missing: string;
}

function comparisonCells(comparison: ValueComparison, formats: CellFormats): string {
  const value = (v: number | null, format: (value: number) => string): string =>
    v === null ? `<span class="muted">${escapeHtml(formats.missing)}</span>` : escapeHtml(format(v));
  const delta = comparison.delta === null ? '—' : escapeHtml(formatDelta(comparison.delta, formats.delta));
  const percent = comparison.deltaPercent === null ? '—' : escapeHtml(formatPercent(comparison.deltaPercent));
  return (
    `<td class="num">${value(comparison.current, formats.current)}</td><td class="num">${value(comparison.baseline, formats.baseline)}</td>` +
    `<td class="num">${percent}</td><td class="num">${delta}</td>${changeCell(comparison.change)}`
  );
}

const HEAD =
  '<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Current</th><th scope="col" class="num">Baseline</th>' +
  '<th scope="col" class="num">Δ %</th><th scope="col" class="num">Δ</th><th scope="col">Change</th></tr></thead>';

function runRows(run: RunComparison): string {
  const loads =
    run.loadDifferences.length === 0
      ? ''
      : ` ${badge(`⚠ load differs: ${run.loadDifferences.join(', ')}`, 'warn')}`;
  const group = `<tr class="group" data-run="${escapeHtml(run.id)}"><th colspan="6" scope="colgroup"><code>${escapeHtml(run.id)}</code>${loads}</th></tr>`;
  const rows = run.metrics.map(
    (comparison) =>
      `<tr><th scope="row">${escapeHtml(comparison.metric.label)}` +
      ` <span class="muted small">(${comparison.metric.better} is better)</span></th>` +
      comparisonCells(comparison, {
        current: comparison.metric.format,
        baseline: comparison.metric.format,
        delta: comparison.metric.format,
        missing: 'not measured',
      }) +
      '</tr>',
  );
  return [group, ...rows].join('\n');
}

function runTable(runs: RunComparison[], caption: string): string {
  return (
    `<div class="table-wrap"><table class="baseline"><caption>${escapeHtml(caption)}</caption>\n${HEAD}\n<tbody>\n` +
    runs.map(runRows).join('\n') +
    '\n</tbody></table></div>'
  );
}

function sustainedText(result: CapacityResult): (value: number) => string {
  // All steps passed: the capacity is at least the highest step, not exactly it.
  return (value) => `${result.stopReason === 'all-steps-passed' ? '≥ ' : ''}${formatCount(value)}/s`;
}

function outcome(result: CapacityResult): string {
  switch (result.stopReason) {
    case 'slo-broken':
      return `broke at ${formatCount(result.broke?.offeredDeliveriesPerSec)}/s`;
    case 'client-bound':
      return 'client-bound (server limit not reached)';
    case 'all-steps-passed':
      return 'all steps passed';
    case 'interrupted':
      return 'interrupted';
    case 'failed':
      return 'failed';
  }
}

function capacityTable(capacity: CapacityComparison[]): string {
  if (capacity.length === 0) return '';
  const rows = capacity.map((entry) => {
    const cells = comparisonCells(entry.sustained, {
      current: sustainedText(entry.current),
      baseline: sustainedText(entry.baseline),
      delta: (value) => `${formatCount(value)}/s`,
      missing: 'none sustained',
    });
    return (
      `<tr><th scope="row"><code>${escapeHtml(entry.id)}</code></th>${cells}` +
      `<td>${escapeHtml(outcome(entry.current))}<br><span class="muted small">before: ${escapeHtml(outcome(entry.baseline))}</span></td></tr>`
    );
  });
  return (
    '<div class="table-wrap"><table class="baseline capacity"><caption>Capacity: deliveries/s sustained within the SLO (higher is better)</caption>\n' +
    '<thead><tr><th scope="col">Search</th><th scope="col" class="num">Current</th><th scope="col" class="num">Baseline</th>' +
    '<th scope="col" class="num">Δ %</th><th scope="col" class="num">Δ</th><th scope="col">Change</th><th scope="col">Outcome</th></tr></thead>\n<tbody>\n' +
    rows.join('\n') +
    '\n</tbody></table></div>'
  );
}

function unmatched(title: string, ids: string[]): string {
  if (ids.length === 0) return '';
  return `<p><b>${escapeHtml(title)}</b> (${escapeHtml(formatCount(ids.length))}): ${ids
    .map((id) => `<code>${escapeHtml(id)}</code>`)
    .join(', ')}</p>`;
}

function tally(comparison: BaselineComparison): string {
  const all = [...comparison.runs.flatMap((run) => run.metrics), ...comparison.capacity.map((entry) => entry.sustained)];
  const count = (change: Change): number => all.filter((item) => item.change === change).length;
  const parts = [
    `${formatCount(count('better'))} better ▲`,
    `${formatCount(count('worse'))} worse ▼`,
    `${formatCount(count('same'))} the same (within ±${SAME_WITHIN_PERCENT} %)`,
  ];
  const notComparable = count('not comparable');
  if (notComparable > 0) parts.push(`${formatCount(notComparable)} not comparable (measured on one side only)`);
  return parts.join(', ');
}

function notable(comparison: BaselineComparison, change: 'better' | 'worse'): string {
  const items = comparison.runs
    .filter((run) => run.kind === 'fixed')
    .flatMap((run) => run.metrics.map((metric) => ({ run: run.id, metric })))
    .filter((item) => item.metric.change === change && item.metric.deltaPercent !== null)
    .sort((a, b) => Math.abs(b.metric.deltaPercent ?? 0) - Math.abs(a.metric.deltaPercent ?? 0))
    .slice(0, 3);
  if (items.length === 0) return '';
  const list = items
    .map(
      (item) =>
        `<code>${escapeHtml(item.run)}</code> ${escapeHtml(item.metric.metric.label.toLowerCase())} ` +
        `${escapeHtml(formatPercent(item.metric.deltaPercent ?? 0))}`,
    )
    .join('; ');
  return `<li>${change === 'worse' ? 'Largest regressions (worse ▼)' : 'Largest improvements (better ▲)'}: ${list}</li>`;
}

/** The whole "Baseline" section. */
export function renderBaseline(current: ResultsFile, baseline: ResultsFile): string {
  const comparison = compareBaseline(current, baseline);
  const env = baseline.environment;
  const parts: string[] = ['<section id="baseline">', '<h2>Baseline</h2>'];
  parts.push(
    `<p class="lede">This run compared with the baseline of commit <code>${escapeHtml(shortCommit(baseline))}</code>, ` +
      `started ${escapeHtml(formatTimestamp(env.startedAt))}, profile ${escapeHtml(profileOf(baseline) ?? 'unknown')}. ` +
      `Runs are matched by id; a change within ±${SAME_WITHIN_PERCENT} % reads as "same". ` +
      'Δ is current minus baseline; ▲ marks a change for the better whichever way the number moved.</p>',
  );
  if (comparison.environmentDifferences.length > 0) {
    parts.push(
      '<div class="banner banner-warn" role="note"><strong>⚠ Not like for like: the two files were measured differently</strong>' +
        `<ul>${comparison.environmentDifferences.map((difference) => `<li>${escapeHtml(difference)}</li>`).join('')}</ul>` +
        '<p>Differences below may come from the environment rather than the code.</p></div>',
    );
  }
  if (comparison.runs.length === 0 && comparison.capacity.length === 0) {
    parts.push('<p><b>No run of this file has a match in the baseline</b>: nothing to compare.</p>');
  } else {
    parts.push(
      `<ul class="tally"><li>Across ${escapeHtml(formatCount(comparison.runs.length))} matched runs: ${escapeHtml(tally(comparison))}.</li>` +
        notable(comparison, 'worse') +
        notable(comparison, 'better') +
        '</ul>',
    );
  }
  const fixed = comparison.runs.filter((run) => run.kind === 'fixed');
  const steps = comparison.runs.filter((run) => run.kind === 'capacity-step');
  const reconnect = comparison.runs.filter((run) => run.kind === 'reconnect');
  if (fixed.length > 0) parts.push(runTable(fixed, 'Fixed-load runs: key figures, current vs baseline'));
  if (reconnect.length > 0) parts.push(runTable(reconnect, 'Reconnect runs (browser clients): key figures, current vs baseline'));
  parts.push(capacityTable(comparison.capacity));
  if (steps.length > 0) {
    parts.push(
      `<details><summary>Capacity steps, run by run (${escapeHtml(formatCount(steps.length))})</summary>` +
        runTable(steps, 'Capacity steps: key figures, current vs baseline') +
        '</details>',
    );
  }
  const unmatchedLists: [string, { id: string }[]][] = [
    ['Runs only in this file', comparison.onlyInCurrent],
    ['Runs only in the baseline', comparison.onlyInBaseline],
    ['Capacity searches only in this file', comparison.capacityOnlyInCurrent],
    ['Capacity searches only in the baseline', comparison.capacityOnlyInBaseline],
  ];
  parts.push(...unmatchedLists.map(([title, items]) => unmatched(title, items.map((item) => item.id))), '</section>');
  return parts.filter((part) => part !== '').join('\n');
}

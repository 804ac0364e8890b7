/**
 * Delivery latency by percentile, one chart per scenario (and encoding, client, load), one line per
 * transport. Points sit at x = 1/(1-p) on a log axis, so p50, p90, p99, p99.9 are evenly spaced and
 * the tail gets the room it deserves; each line ends at its max, plotted at 1 in N deliveries (N =
 * deliveries counted, the rank the max stands for). Figures come from the run's HDR histogram; a run
 * without one falls back to its summary (p50, p90, p99, p99.9, max).
 */
import { decodeHistogram } from '../../../metrics/histogram.ts';
import type { RunRecord } from '../../../metrics/result-types.ts';
import { scenarioOf } from '../../../scenarios/registry.ts';
import { formatCount, formatMs } from '../../format.ts';
import { LAB_QUEUED_FLAG, LAB_QUEUED_RULE, LAB_QUEUE_CAVEAT, LAB_QUEUE_DEFINITION, labQueuedText } from '../../lab-queue.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';
import {
  NOT_MEASURED,
  axis,
  chartOptions,
  describeLoad,
  fixedRunGroups,
  formatRatio,
  idMaker,
  lineDataset,
  noNodeFixedRunsReason,
  runFlags,
  runName,
  type RunGroup,
} from './chart-kit.ts';

const FAMILY = 'latency-percentiles';
const NOT_REPORTED = 'not reported';

/**
 * Beside a feed's latency, how late the server's publisher sent its messages (publish time minus due
 * time): latency counts from the due time, so this says how much of it the server's schedule caused.
 */
function latenessCells(run: RunRecord): [p99: string, max: string] {
  const server = run.metrics.server;
  if (server === null) return [NOT_MEASURED, NOT_MEASURED];
  const lateness = server.feedLatenessMs;
  if (lateness === undefined || lateness === null) return [NOT_REPORTED, NOT_REPORTED];
  return [formatMs(lateness.p99), formatMs(lateness.max)];
}

/** Beside the latency, how much of it the lab's own load client added by queueing its reads. */
function labQueueCells(run: RunRecord): [p50: string, p99: string] {
  const queue = run.metrics.client.readQueueMs;
  return queue === undefined || queue === null ? [NOT_MEASURED, NOT_MEASURED] : [formatMs(queue.p50), formatMs(queue.p99)];
}
const TITLE = 'Delivery latency by percentile';

/** The percentiles drawn before the max. */
export const PERCENTILES = [50, 75, 90, 95, 99, 99.5, 99.9, 99.99] as const;

/** Log y when the plotted values span at least this factor; linear below it. */
const LOG_Y_SPAN = 10;

/** 1/(1-p) for p in percent, to 6 significant digits: 99.9 -> 1000. */
export const percentileX = (p: number): number => Number((1 / (1 - p / 100)).toPrecision(6));

const percentileLabel = (p: number): string => `p${p}`;

interface Curve {
  run: RunRecord;
  label: string;
  /** ms per percentile of PERCENTILES; null where not recorded or not resolvable. */
  values: (number | null)[];
  maxMs: number | null;
  /** Deliveries counted (the histogram's or the summary's), null when latency was not measured. */
  count: number | null;
  source: 'histogram' | 'summary' | 'none';
}

const ms = (micros: number): number => Math.round(micros) / 1000;

function curveOf(run: RunRecord, label: string): Curve {
  const encoded = run.histograms.latency;
  if (encoded !== null) {
    const histogram = decodeHistogram(encoded);
    const count = histogram.totalCount;
    if (count > 0) {
      return {
        run,
        label,
        // A percentile finer than 1 in `count` is not resolved by that many deliveries: left out.
        values: PERCENTILES.map((p) => (percentileX(p) <= count ? ms(histogram.getValueAtPercentile(p)) : null)),
        maxMs: ms(histogram.getValueAtPercentile(100)),
        count,
        source: 'histogram',
      };
    }
  }
  const summary = run.metrics.latency;
  if (summary !== null && summary.count > 0) {
    const known: Partial<Record<number, number>> = { 50: summary.p50, 90: summary.p90, 99: summary.p99, 99.9: summary.p999 };
    return {
      run,
      label,
      values: PERCENTILES.map((p) => (percentileX(p) <= summary.count ? (known[p] ?? null) : null)),
      maxMs: summary.max,
      count: summary.count,
      source: 'summary',
    };
  }
  return { run, label, values: PERCENTILES.map(() => null), maxMs: null, count: null, source: 'none' };
}

const p99Of = (curve: Curve): number | null => curve.values[PERCENTILES.indexOf(99)] ?? null;

function points(curve: Curve): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  PERCENTILES.forEach((p, i) => {
    const value = curve.values[i];
    if (value !== null && value !== undefined) out.push({ x: percentileX(p), y: value });
  });
  if (curve.maxMs !== null && curve.count !== null) {
    const lastX = out.length > 0 ? (out[out.length - 1] as { x: number }).x : 1;
    out.push({ x: Math.max(curve.count, lastX), y: curve.maxMs });
  }
  return out;
}

function reading(curves: Curve[]): string {
  const ranked = curves
    .map((curve) => ({ curve, p99: p99Of(curve) }))
    .filter((entry): entry is { curve: Curve; p99: number } => entry.p99 !== null)
    .sort((a, b) => a.p99 - b.p99);
  const best = ranked[0];
  if (best === undefined) {
    const withMax = curves.filter((c) => c.maxMs !== null);
    return withMax.length > 0
      ? `Too few deliveries to resolve p99; the slowest delivery took ${withMax.map((c) => `${formatMs(c.maxMs)} ms (${c.label})`).join(', ')}.`
      : 'No delivery latency was measured.';
  }
  const parts = ranked.map(({ curve, p99 }, i) =>
    i === 0 ? `${curve.label} delivers in ${formatMs(p99)} ms` : `${curve.label} in ${formatMs(p99)} ms (${best.p99 > 0 ? formatRatio(p99 / best.p99) : 'n/a'})`,
  );
  let sentence = `At p99, ${parts.join(', ')}`;
  if (ranked.length === 1) sentence += ' (the only transport measured here)';
  const missing = curves.filter((c) => p99Of(c) === null).map((c) => c.label);
  if (missing.length > 0) sentence += `; p99 not measured for ${missing.join(', ')}`;
  const slowest = curves.filter((c) => c.maxMs !== null).sort((a, b) => (b.maxMs ?? 0) - (a.maxMs ?? 0))[0];
  if (slowest !== undefined && curves.length > 1) sentence += `. The slowest delivery took ${formatMs(slowest.maxMs)} ms (${slowest.label})`;
  return `${sentence}.`;
}

function chartFor(group: RunGroup, id: string): ChartSection {
  const title = `${TITLE}: ${group.scenario} (${group.label})`;
  const curves = group.runs.map((run, i) => curveOf(run, group.series[i] ?? run.transport));
  const drawn = curves.filter((c) => c.source !== 'none');
  if (drawn.length === 0) {
    return { kind: 'missing', id, title, reason: 'no delivery latency was measured in these runs (no histogram and no summary)' };
  }
  const datasets = drawn.map((curve) => lineDataset(curve.run.transport, curve.label, points(curve)));
  const ys = drawn.flatMap((curve) => points(curve).map((p) => p.y)).filter((y) => y > 0);
  const logY = ys.length > 0 && Math.max(...ys) / Math.min(...ys) >= LOG_Y_SPAN;

  const config = {
    type: 'scatter',
    data: { datasets },
    options: chartOptions({
      x: axis('Percentile (log scale of 1/(1-p); each line ends at its max, plotted at 1 in N deliveries)', {
        type: 'logarithmic',
        ticks: { pushbenchFormat: 'percentile' },
      }),
      y: axis(logY ? 'Delivery latency (ms, log scale)' : 'Delivery latency (ms)', logY ? { type: 'logarithmic' } : { type: 'linear', beginAtZero: true }),
    }),
  };

  const flags = runFlags(group.runs);
  for (const curve of curves) {
    if (curve.source === 'none') flags.push(`${runName(curve.run)}: no delivery latency measured (not drawn)`);
    const labQueued = labQueuedText(curve.run);
    if (labQueued !== null) flags.push(`${runName(curve.run)}: ${LAB_QUEUED_FLAG}, ${labQueued}`);
    if (curve.source === 'summary') flags.push(`${runName(curve.run)}: no latency histogram recorded; drawn from its summary (p50, p90, p99, p99.9, max)`);
  }
  const unresolved = curves.some((c) => c.count !== null && PERCENTILES.some((p, i) => c.values[i] === null && percentileX(p) > (c.count ?? 0)));

  const first = group.runs[0] as RunRecord;
  const publisher = scenarioOf(group.scenario).pace === 'publisher';
  return {
    kind: 'chart',
    spec: {
      id,
      title,
      reading: reading(curves),
      config,
      table: {
        caption:
          `Delivery latency by percentile, ms (${group.scenario}, ${group.label}; ${describeLoad(first)}). ` +
          `The max is plotted at 1/(1-p) = deliveries counted.` +
          (publisher
            ? " Latency counts from each message's due time on the publisher's schedule (as wrk2 does); publisher late: how late the server published them (publish time minus due time, /stats), \"not reported\" for a server that does not say."
            : '') +
          ` Lab queue: the lab's own share, ${LAB_QUEUE_DEFINITION} (${LAB_QUEUE_CAVEAT}); ${LAB_QUEUED_RULE}.` +
          (unresolved ? ' "too few deliveries": the run had fewer deliveries than 1/(1-p).' : ''),
        columns: ['transport', ...PERCENTILES.map(percentileLabel), 'max', 'deliveries counted', 'lab queue p50', 'lab queue p99', ...(publisher ? ['publisher late p99', 'publisher late max'] : [])],
        rows: curves.map((curve) => [
          curve.label,
          ...PERCENTILES.map((p, i) => {
            const value = curve.values[i];
            if (value !== null && value !== undefined) return formatMs(value);
            if (curve.count !== null && percentileX(p) > curve.count) return 'too few deliveries';
            return NOT_MEASURED;
          }),
          curve.maxMs === null ? NOT_MEASURED : formatMs(curve.maxMs),
          curve.count === null ? NOT_MEASURED : formatCount(curve.count),
          ...labQueueCells(curve.run),
          ...(publisher ? latenessCells(curve.run) : []),
        ]),
      },
      flags,
    },
  };
}

export const latencyPercentiles: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    const groups = fixedRunGroups(input.results);
    if (groups.length === 0) return [{ kind: 'missing', id: FAMILY, title: TITLE, reason: noNodeFixedRunsReason(input.results) }];
    const nextId = idMaker();
    return groups.map((group) => chartFor(group, nextId(FAMILY, group.scenario, group.label)));
  },
};

/**
 * Per-second timelines of the fixed-load runs: deliveries per second, that second's p99 delivery
 * latency, and open connections; one line per transport, x = seconds since the run started (warm-up
 * included). The measured window is shaded (a filled dataset on a hidden 0-1 axis, no plugin
 * needed). A second with no deliveries has no p99: it is a gap in the line, never a 0.
 */
import type { RunRecord, TimelinePoint } from '../../../metrics/result-types.ts';
import { formatCount, formatMs } from '../../format.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';
import {
  axis,
  chartOptions,
  describeLoad,
  fixedRunGroups,
  idMaker,
  joinWords,
  lineDataset,
  noNodeFixedRunsReason,
  runFlags,
  runName,
  type RunGroup,
} from './chart-kit.ts';
import { MARK_COLORS } from './colors.ts';

const FAMILY = 'timelines';
const TITLE = 'Per-second timelines';
/** The hidden axis the window shading is drawn against. */
const WINDOW_AXIS = 'window';

interface Metric {
  id: string;
  title: string;
  axisTitle: string;
  value(point: TimelinePoint): number | null;
  format(value: number): string;
  /** The table caption's first words. */
  caption: string;
}

export const TIMELINE_METRICS: Metric[] = [
  {
    id: 'deliveries',
    title: 'Deliveries per second',
    axisTitle: 'Deliveries per second (deliveries/s)',
    value: (p) => p.deliveries,
    format: formatCount,
    caption: 'Deliveries per second',
  },
  {
    id: 'latency-p99',
    title: 'Delivery latency p99 per second',
    axisTitle: 'Delivery latency p99 of the second (ms)',
    value: (p) => p.latencyP99Ms,
    format: (v) => `${formatMs(v)} ms`,
    caption: 'p99 delivery latency of each second, ms',
  },
  {
    id: 'connections',
    title: 'Open connections',
    axisTitle: 'Open connections (count)',
    value: (p) => p.connections,
    format: formatCount,
    caption: 'Open connections at each second',
  },
];

interface Series {
  run: RunRecord;
  label: string;
  /** First and last second of the measured window, or null when no second was measured. */
  window: [number, number] | null;
}

function windowOf(run: RunRecord): [number, number] | null {
  const seconds = run.timeline.filter((p) => p.phase === 'measure').map((p) => p.t);
  return seconds.length === 0 ? null : [Math.min(...seconds), Math.max(...seconds)];
}

const secondsText = ([a, b]: [number, number]): string => (a === b ? `second ${a}` : `seconds ${a}-${b}`);

/** "seconds 2-11" when every run shares the window; "ws seconds 1-3, sse seconds 2-4" otherwise. */
function windowText(series: Series[]): string {
  const windows = series.filter((s): s is Series & { window: [number, number] } => s.window !== null);
  const distinct = new Set(windows.map((s) => secondsText(s.window)));
  if (distinct.size <= 1) return windows[0] === undefined ? 'no measured window' : secondsText(windows[0].window);
  return windows.map((s) => `${s.label} ${secondsText(s.window)}`).join(', ');
}

/** One shaded band per distinct window, behind the lines. */
function windowDatasets(series: Series[]): Record<string, unknown>[] {
  const bands = new Map<string, { window: [number, number]; labels: string[] }>();
  for (const s of series) {
    if (s.window === null) continue;
    const key = secondsText(s.window);
    const band = bands.get(key);
    if (band === undefined) bands.set(key, { window: s.window, labels: [s.label] });
    else band.labels.push(s.label);
  }
  return [...bands.entries()].map(([key, band]) => ({
    label: bands.size === 1 ? `measured window (${key})` : `measured window of ${joinWords(band.labels)} (${key})`,
    data: [
      { x: band.window[0] - 0.5, y: 1 },
      { x: band.window[1] + 0.5, y: 1 },
    ],
    yAxisID: WINDOW_AXIS,
    fill: 'origin',
    backgroundColor: MARK_COLORS.window,
    borderColor: MARK_COLORS.window,
    borderWidth: 0,
    pointRadius: 0,
    pointHitRadius: 0,
    pointHoverRadius: 0,
    pointStyle: 'rect',
    order: 1,
  }));
}

const measured = (run: RunRecord): TimelinePoint[] => run.timeline.filter((p) => p.phase === 'measure');

function reading(metric: Metric, series: Series[], group: RunGroup): string {
  const window = `In the measured window (${windowText(series)}, shaded)`;
  const withWindow = series.filter((s) => s.window !== null);
  if (withWindow.length === 0) return 'No second of these runs was in a measured window.';
  const values = (s: Series): number[] =>
    measured(s.run)
      .map(metric.value)
      .filter((v): v is number => v !== null);
  const range = (s: Series): string | null => {
    const v = values(s);
    if (v.length === 0) return null;
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return lo === hi ? metric.format(lo) : `${metric.format(lo).replace(/ ms$/, '')}-${metric.format(hi)}`;
  };

  if (metric.id === 'deliveries') {
    const offered = (group.runs[0] as RunRecord).load.offeredDeliveriesPerSec;
    const parts = withWindow.map((s) => {
      const v = values(s);
      const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
      if (v.length === 0) return `${s.label} nothing`;
      return new Set(v).size === 1 ? `${s.label} ${range(s) ?? '-'}/s every second` : `${s.label} ${range(s) ?? '-'}/s (mean ${formatCount(mean)}/s)`;
    });
    return `${window}, ${formatCount(offered)} deliveries/s offered, delivered: ${parts.join(', ')}.`;
  }

  if (metric.id === 'connections') {
    const constant = withWindow.every((s) => new Set(values(s)).size === 1);
    const counts = new Set(withWindow.map((s) => values(s)[0]));
    if (constant && counts.size === 1 && withWindow.length > 1) {
      return `${window}, ${joinWords(withWindow.map((s) => s.label))} each held ${formatCount(values(withWindow[0] as Series)[0])} connections open throughout.`;
    }
    const parts = withWindow.map((s) => {
      const v = values(s);
      return new Set(v).size <= 1 ? `${s.label} held ${range(s) ?? 'no'} open` : `${s.label} ranged ${range(s) ?? '-'}`;
    });
    return `${window}, ${parts.join('; ')}.`;
  }

  // Latency: the per-second p99 range, the worst second inside the window, and a worse one outside it.
  const parts = withWindow.map((s) => `${s.label} ${range(s) ?? 'no deliveries'}`);
  let text = `${window}, the per-second p99 ranged ${parts.join(', ')}`;
  const worst = (points: (s: Series) => TimelinePoint[]): { s: Series; p: TimelinePoint; v: number } | null => {
    let best: { s: Series; p: TimelinePoint; v: number } | null = null;
    for (const s of series) {
      for (const p of points(s)) {
        const v = metric.value(p);
        if (v !== null && (best === null || v > best.v)) best = { s, p, v };
      }
    }
    return best;
  };
  const inside = worst((s) => measured(s.run));
  if (inside !== null && withWindow.length > 1) text += `; the worst second was ${inside.s.label} at ${inside.p.t} s (${metric.format(inside.v)})`;
  const outside = worst((s) => s.run.timeline.filter((p) => p.phase !== 'measure'));
  if (outside !== null && (inside === null || outside.v > inside.v)) {
    text += `. Outside the window, ${outside.s.label} reached ${metric.format(outside.v)} at ${outside.p.t} s (${outside.p.phase === 'warmup' ? 'warm-up' : 'drain'}, not in the figures)`;
  }
  const gaps = series.flatMap((s) => measured(s.run).filter((p) => p.latencyP99Ms === null).map((p) => `${s.label} at ${p.t} s`));
  if (gaps.length > 0) text += `. No deliveries (gaps): ${joinWords(gaps)}`;
  return `${text}.`;
}

function chartFor(metric: Metric, group: RunGroup, series: Series[], id: string): ChartSection {
  const title = `${metric.title}: ${group.scenario} (${group.label})`;
  const drawn = series.filter((s) => s.run.timeline.length > 0);
  const seconds = [...new Set(drawn.flatMap((s) => s.run.timeline.map((p) => p.t)))].sort((a, b) => a - b);
  const datasets = [
    ...drawn.map((s) =>
      lineDataset(
        s.run.transport,
        s.label,
        s.run.timeline.map((p) => ({ x: p.t, y: metric.value(p) })),
      ),
    ),
    ...windowDatasets(drawn),
  ];
  const config = {
    type: 'line',
    data: { datasets },
    options: chartOptions({
      x: axis('Seconds since the run started (s)', { type: 'linear', ticks: { precision: 0 } }),
      y: axis(metric.axisTitle, { type: 'linear', beginAtZero: true }),
      [WINDOW_AXIS]: { type: 'linear', display: false, min: 0, max: 1 },
    }),
  };

  const phases = drawn
    .map((s) => {
      const warm = s.run.timeline.filter((p) => p.phase === 'warmup').map((p) => p.t);
      const drain = s.run.timeline.filter((p) => p.phase === 'drain').map((p) => p.t);
      const bits = [
        warm.length > 0 ? `warm-up ${secondsText([Math.min(...warm), Math.max(...warm)])}` : null,
        s.window === null ? 'no measured window' : `measured ${secondsText(s.window)}`,
        drain.length > 0 ? `drain ${secondsText([Math.min(...drain), Math.max(...drain)])}` : null,
      ].filter((b): b is string => b !== null);
      return `${s.label}: ${bits.join(', ')}`;
    })
    .join('; ');
  const flags = runFlags(group.runs);
  for (const s of series) {
    if (s.run.timeline.length === 0) flags.push(`${runName(s.run)}: no per-second timeline recorded (not drawn)`);
    else if (s.window === null) flags.push(`${runName(s.run)}: no second of the timeline is marked as measured`);
    if (metric.id === 'connections') {
      const over = s.run.timeline.filter((p) => p.connections > s.run.load.connections);
      if (over.length > 0) {
        const where = joinWords(over.map((p) => `${formatCount(p.connections)} at ${p.t} s`));
        flags.push(`${runName(s.run)}: the timeline counts more open connections than the ${formatCount(s.run.load.connections)} the run opened (${where}); likely a load worker's report counted twice in that second`);
      }
    }
  }

  return {
    kind: 'chart',
    spec: {
      id,
      title,
      reading: reading(metric, drawn, group),
      config,
      table: {
        caption:
          `${metric.caption} (${group.scenario}, ${group.label}; ${describeLoad(group.runs[0] as RunRecord)}), by second since the run started. ` +
          `${phases}. "-": no point that second${metric.id === 'latency-p99' ? ' (no deliveries, drawn as a gap)' : ''}.`,
        columns: ['transport', ...seconds.map((t) => `${t} s`)],
        rows: drawn.map((s) => [
          s.label,
          ...seconds.map((t) => {
            const point = s.run.timeline.find((p) => p.t === t);
            const value = point === undefined ? null : metric.value(point);
            return value === null ? '-' : metric.format(value);
          }),
        ]),
      },
      flags,
    },
  };
}

export const timelines: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    const groups = fixedRunGroups(input.results);
    if (groups.length === 0) return [{ kind: 'missing', id: FAMILY, title: TITLE, reason: noNodeFixedRunsReason(input.results) }];
    const nextId = idMaker();
    return groups.flatMap((group): ChartSection[] => {
      const series: Series[] = group.runs.map((run, i) => ({ run, label: group.series[i] ?? run.transport, window: windowOf(run) }));
      if (series.every((s) => s.run.timeline.length === 0)) {
        return [
          {
            kind: 'missing',
            id: nextId(FAMILY, group.scenario, group.label),
            title: `${TITLE}: ${group.scenario} (${group.label})`,
            reason: 'no per-second timeline was recorded for these runs',
          },
        ];
      }
      return TIMELINE_METRICS.map((metric) => chartFor(metric, group, series, nextId(FAMILY, metric.id, group.scenario, group.label)));
    });
  },
};

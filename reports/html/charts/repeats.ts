/**
 * The spread across repeats (--repeat N), from the summary reports/spread.ts computes: per scenario
 * and encoding, one chart per headline figure, and one for the capacity sustained. Each transport
 * gets a floating bar from its lowest to its highest repeat, a dot per repeat and a dash at the
 * median. chart.js has no error bars of its own; a floating bar ([min, max]) and points on the same
 * category axis draw the same thing without a plugin, so the report stays one self-contained file.
 */
import type { CapacitySeriesSpread, RunSeriesSpread, Spread } from '../../../metrics/result-types.ts';
import type { TransportName } from '../../../scenarios/constants.ts';
import { formatBytes, formatCount, formatMs } from '../../format.ts';
import { compareSpreads, figureSpread, hasRepeats, scaleSpread, spreadText, summarizeRepeats, type HeadlineFigureId, type RepeatSummary } from '../../spread.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';
import { axis, chartOptions, idMaker, joinWords, transportRank } from './chart-kit.ts';
import { TRANSPORT_COLORS, translucent } from './colors.ts';

const FAMILY = 'repeats';
const DOT_COLOR = '#333333';

interface RepeatFigure {
  id: HeadlineFigureId | 'capacity';
  title: string;
  axisTitle: string;
  better: 'lower' | 'higher';
  /** From the stored unit to the drawn one (bytes -> KB). */
  scale: number;
  format(value: number): string;
  pushbenchFormat: 'count' | 'ms' | 'bytes';
}

const FIGURES: RepeatFigure[] = [
  { id: 'deliveries', title: 'Deliveries/s', axisTitle: 'Deliveries per second', better: 'higher', scale: 1, format: (v) => `${formatCount(v)}/s`, pushbenchFormat: 'count' },
  { id: 'latency-p50', title: 'Delivery latency p50', axisTitle: 'Delivery latency p50 (ms)', better: 'lower', scale: 1, format: (v) => `${formatMs(v)} ms`, pushbenchFormat: 'ms' },
  { id: 'latency-p99', title: 'Delivery latency p99', axisTitle: 'Delivery latency p99 (ms)', better: 'lower', scale: 1, format: (v) => `${formatMs(v)} ms`, pushbenchFormat: 'ms' },
  { id: 'rtt-p99', title: 'Round trip p99', axisTitle: 'Round trip p99 (ms)', better: 'lower', scale: 1, format: (v) => `${formatMs(v)} ms`, pushbenchFormat: 'ms' },
  { id: 'bytes', title: 'Bytes per message', axisTitle: 'Bytes per message', better: 'lower', scale: 1, format: formatBytes, pushbenchFormat: 'bytes' },
  { id: 'server-cpu', title: 'Server CPU per 1,000 deliveries', axisTitle: 'Server CPU per 1,000 deliveries (ms)', better: 'lower', scale: 1, format: (v) => `${formatMs(v)} ms`, pushbenchFormat: 'ms' },
  { id: 'rss-per-connection', title: 'Server memory per connection', axisTitle: 'Server RSS per connection (bytes)', better: 'lower', scale: 1, format: formatBytes, pushbenchFormat: 'bytes' },
  { id: 'idle-rss-per-connection', title: 'Server memory per idle connection', axisTitle: 'Server RSS per idle connection (bytes)', better: 'lower', scale: 1, format: formatBytes, pushbenchFormat: 'bytes' },
  { id: 'client-cpu', title: 'Lab client CPU per delivery', axisTitle: 'Lab client CPU per delivery (µs)', better: 'lower', scale: 1, format: (v) => `${formatMs(v)} µs`, pushbenchFormat: 'count' },
];

const CAPACITY: RepeatFigure = {
  id: 'capacity',
  title: 'Capacity within the SLO',
  axisTitle: 'Deliveries per second sustained within the SLO',
  better: 'higher',
  scale: 1,
  format: (v) => `${formatCount(v)}/s`,
  pushbenchFormat: 'count',
};

interface Entry {
  transport: TransportName;
  spread: Spread;
}

/** "ws 10.1 ms (9.80–10.6 ms) lowest; its range overlaps sse's: a tie within noise". */
function reading(figure: RepeatFigure, entries: Entry[]): string {
  const ranked = [...entries].sort((a, b) => (figure.better === 'lower' ? a.spread.median - b.spread.median : b.spread.median - a.spread.median));
  const [best, next] = ranked;
  if (best === undefined) return 'not measured';
  const head = `${best.transport} ${spreadText(best.spread, figure.format)} has the ${figure.better === 'lower' ? 'lowest' : 'highest'} median`;
  if (next === undefined) return head;
  const noise = compareSpreads(best.spread, next.spread);
  if (noise.kind === 'overlapping') return `${head}, but its range overlaps ${next.transport}'s (${spreadText(next.spread, figure.format)}): a tie within noise`;
  if (noise.kind === 'separated') return `${head}; every repeat beat every repeat of ${next.transport} (${spreadText(next.spread, figure.format)})`;
  const single = [best, next].filter((entry) => entry.spread.n < 2).map((entry) => entry.transport);
  return `${head}; ${joinWords(single)} measured once: no spread to compare against`;
}

function chart(id: string, figure: RepeatFigure, context: string, entries: Entry[], flags: string[]): ChartSection {
  const sorted = [...entries].sort((a, b) => transportRank(a.transport) - transportRank(b.transport));
  const labels = sorted.map((entry) => entry.transport);
  const config = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          type: 'bar',
          label: 'range over the repeats (min–max)',
          data: sorted.map((entry) => [entry.spread.min, entry.spread.max]),
          backgroundColor: sorted.map((entry) => translucent(TRANSPORT_COLORS[entry.transport], 0.3)),
          borderColor: sorted.map((entry) => TRANSPORT_COLORS[entry.transport]),
          borderWidth: 1,
          borderSkipped: false,
          barPercentage: 0.5,
        },
        {
          type: 'line',
          label: 'one repeat',
          data: sorted.flatMap((entry) => entry.spread.values.map((value) => ({ x: entry.transport, y: value }))),
          showLine: false,
          pointStyle: 'circle',
          pointRadius: 4,
          backgroundColor: DOT_COLOR,
          borderColor: DOT_COLOR,
        },
        {
          type: 'line',
          label: 'median',
          data: sorted.map((entry) => ({ x: entry.transport, y: entry.spread.median })),
          showLine: false,
          pointStyle: 'line',
          pointRadius: 16,
          pointBorderWidth: 3,
          backgroundColor: DOT_COLOR,
          borderColor: DOT_COLOR,
        },
      ],
    },
    options: chartOptions({ x: axis('Transport'), y: axis(figure.axisTitle, { ticks: { pushbenchFormat: figure.pushbenchFormat } }) }),
  };
  return {
    kind: 'chart',
    spec: {
      id,
      title: `Repeats: ${figure.title} (${context})`,
      reading: `${reading(figure, sorted)}.`,
      config,
      table: {
        caption: `${figure.title} over the repeats, ${context}: median, range and every repeat in run order.`,
        columns: ['transport', 'median', 'min', 'max', 'repeats'],
        rows: sorted.map((entry) => [entry.transport, figure.format(entry.spread.median), figure.format(entry.spread.min), figure.format(entry.spread.max), entry.spread.values.map(figure.format).join(', ')]),
      },
      flags,
    },
  };
}

/** Node fixed runs and Node capacity searches by scenario and encoding, in the order they first ran. */
function groups<T extends RunSeriesSpread | CapacitySeriesSpread>(series: T[]): { context: string; members: T[] }[] {
  const byKey = new Map<string, T[]>();
  for (const entry of series) {
    if (entry.client !== 'node' || ('kind' in entry && entry.kind !== 'fixed')) continue;
    const key = `${entry.scenario}, ${entry.encoding}`;
    byKey.set(key, [...(byKey.get(key) ?? []), entry]);
  }
  return [...byKey].map(([context, members]) => ({ context, members }));
}

function charts(summary: RepeatSummary): ChartSection[] {
  const makeId = idMaker();
  const sections: ChartSection[] = [];
  for (const { context, members } of groups(summary.runs)) {
    for (const figure of FIGURES) {
      const entries = members.flatMap((series) => {
        const spread = figureSpread(series, figure.id as HeadlineFigureId);
        return spread === undefined ? [] : [{ transport: series.transport, spread: scaleSpread(spread, figure.scale) }];
      });
      // A figure nobody measured twice has no spread to draw.
      if (!entries.some((entry) => entry.spread.n > 1)) continue;
      const once = entries.filter((entry) => entry.spread.n < 2).map((entry) => `${entry.transport}: measured once, no range`);
      sections.push(chart(makeId(FAMILY, figure.id, context), figure, context, entries, once));
    }
  }
  for (const { context, members } of groups(summary.capacity)) {
    const entries = members.flatMap((series) => (series.sustained === null ? [] : [{ transport: series.transport, spread: series.sustained }]));
    if (!entries.some((entry) => entry.spread.n > 1)) continue;
    const none = members.filter((series) => series.sustained === null).map((series) => `${series.transport}: no search sustained a rate within the SLO`);
    sections.push(chart(makeId(FAMILY, 'capacity', context), CAPACITY, context, entries, none));
  }
  return sections;
}

export const repeats: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    const summary = summarizeRepeats(input.results);
    const title = 'Spread across repeats';
    if (!hasRepeats(summary)) {
      return [{ kind: 'missing', id: FAMILY, title, reason: 'each run was measured once: no spread across repeats to draw (run the bench with --repeat 3 to see how much each figure moves)' }];
    }
    const sections = charts(summary);
    return sections.length > 0 ? sections : [{ kind: 'missing', id: FAMILY, title, reason: 'no Node-client fixed run or capacity search was measured more than once' }];
  },
};

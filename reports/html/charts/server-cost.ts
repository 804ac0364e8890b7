/**
 * What pushing costs the server, from the fixed-load runs: CPU ms per 1,000 deliveries, and resident
 * memory per open connection. One bar per transport for each scenario (and encoding, client, load).
 * A figure that was not measured (a --target server, nothing delivered) has no bar and reads
 * "not measured" in the table; it is never drawn as 0.
 */
import type { RunRecord } from '../../../metrics/result-types.ts';
import { formatMs } from '../../format.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';
import {
  NOT_MEASURED,
  axis,
  chartOptions,
  fixedRunGroups,
  formatRatio,
  joinWords,
  noNodeFixedRunsReason,
  runFlags,
  runName,
  transportRank,
  type RunGroup,
} from './chart-kit.ts';
import { TRANSPORT_COLORS } from './colors.ts';

const FAMILY = 'server-cost';

interface Metric {
  id: string;
  title: string;
  /** How flags name the figure: "server CPU per 1,000 deliveries". */
  noun: string;
  axisTitle: string;
  /** "ms", "KB". */
  unit: string;
  /** The reading's verb phrase: "needs the least server CPU". */
  least: string;
  /** How the figure reads after its number: "per 1,000 deliveries". */
  per: string;
  /** The figure in the unit above; null when not measured. */
  value(run: RunRecord): number | null;
  /** A measured figure that cannot be drawn (why), or null. */
  unusable(value: number): string | null;
}

const KB = 1024;

export const CPU_METRIC: Metric = {
  id: `${FAMILY}-cpu`,
  title: 'Server CPU per 1,000 deliveries',
  noun: 'server CPU per 1,000 deliveries',
  axisTitle: 'Server CPU per 1,000 deliveries (ms)',
  unit: 'ms',
  least: 'needs the least server CPU',
  per: 'per 1,000 deliveries',
  value: (run) => run.metrics.server?.cpuMsPer1kDeliveries ?? null,
  unusable: (value) => (value < 0 ? 'negative CPU time' : null),
};

/** Bytes per connection in KB to two decimals; null where not measured. */
const kbOf = (bytes: number | null | undefined): number | null => (bytes === null || bytes === undefined ? null : Math.round((bytes / KB) * 100) / 100);
const belowBaseline = (value: number): string | null => (value < 0 ? 'RSS fell below its level before any client connected' : null);

export const RSS_METRIC: Metric = {
  id: `${FAMILY}-rss`,
  title: 'Server memory (RSS) per connection',
  noun: 'server RSS per connection',
  axisTitle: 'Server RSS per connection (KB)',
  unit: 'KB',
  least: 'holds the least server memory',
  per: 'per connection',
  value: (run) => kbOf(run.metrics.server?.rssBytesPerConnection),
  unusable: belowBaseline,
};

/** The same, read once every connection had opened and before anything was published (bench/session.ts). */
export const IDLE_RSS_METRIC: Metric = {
  id: `${FAMILY}-idle-rss`,
  title: 'Server memory (RSS) per idle connection',
  noun: 'server RSS per idle connection',
  axisTitle: 'Server RSS per idle connection (KB)',
  unit: 'KB',
  least: 'holds the least server memory while idle',
  per: 'per idle connection',
  value: (run) => kbOf(run.metrics.server?.idleRssBytesPerConnection),
  unusable: belowBaseline,
};

const usable = (value: number | null): value is number => value !== null && Number.isFinite(value);

interface Cell {
  run: RunRecord;
  value: number | null;
  /** Drawn: measured and meaningful. */
  drawn: boolean;
}

const categoryOf = (group: RunGroup): string => `${group.scenario} ${group.label}`;

function chartFor(metric: Metric, groups: RunGroup[]): ChartSection {
  const categories = groups.map(categoryOf);
  // One series per transport (or "ws #2" when a transport ran twice under the same load).
  const series: { label: string; transport: RunRecord['transport'] }[] = [];
  for (const group of groups) {
    group.runs.forEach((run, i) => {
      const label = group.series[i] ?? run.transport;
      if (!series.some((s) => s.label === label)) series.push({ label, transport: run.transport });
    });
  }
  series.sort((a, b) => transportRank(a.transport) - transportRank(b.transport) || a.label.localeCompare(b.label));
  const cellOf = (group: RunGroup, label: string): Cell | null => {
    const index = group.series.indexOf(label);
    const run = group.runs[index];
    if (run === undefined) return null;
    const value = metric.value(run);
    return { run, value, drawn: usable(value) && metric.unusable(value) === null };
  };
  const grid = series.map((s) => groups.map((group) => cellOf(group, s.label)));
  const anyDrawn = grid.some((row) => row.some((cell) => cell?.drawn === true));
  const allRuns = groups.flatMap((g) => g.runs);
  if (!anyDrawn) {
    const noServer = allRuns.every((run) => run.metrics.server === null);
    return {
      kind: 'missing',
      id: metric.id,
      title: metric.title,
      reason: noServer
        ? 'server metrics were not measured (the lab measures only the servers it starts; runs against --target have none)'
        : `${metric.noun} was not measured in any fixed-load run`,
    };
  }

  const format = (value: number): string => `${formatMs(value)} ${metric.unit}`;
  // One slot per run, named by its transport and its scenario (two-line label), so the bars are told
  // apart by name as well as colour. A transport's dataset is null outside its own slots; skipNull
  // gives each bar its slot's full width. A run without a figure keeps its named, empty slot.
  const slots: { g: number; i: number }[] = [];
  groups.forEach((_group, g) => series.forEach((_s, i) => (grid[i]?.[g] ? slots.push({ g, i }) : undefined)));
  const config = {
    type: 'bar',
    data: {
      labels: slots.map(({ g, i }) => [series[i]?.label ?? '', categories[g] ?? '']),
      datasets: series.map((s, i) => ({
        label: s.label,
        data: slots.map((slot) => {
          const cell = slot.i === i ? grid[i]?.[slot.g] : null;
          return cell?.drawn === true ? cell.value : null;
        }),
        skipNull: true,
        backgroundColor: TRANSPORT_COLORS[s.transport],
        borderColor: TRANSPORT_COLORS[s.transport],
        borderWidth: 1,
      })),
    },
    options: chartOptions(
      {
        x: axis(groups.some((g) => g.label.includes('connections')) ? 'Transport, by scenario, encoding and load' : 'Transport, by scenario and encoding'),
        y: axis(metric.axisTitle, { beginAtZero: true }),
      },
      { plugins: { legend: { display: true, position: 'bottom' } } },
    ),
  };

  const sentences = groups.map((group, g) => {
    const cells = series
      .map((s, i) => ({ label: s.label, cell: grid[i]?.[g] ?? null }))
      .filter((entry) => entry.cell !== null);
    const ranked = cells
      .filter((entry): entry is { label: string; cell: Cell & { value: number } } => entry.cell?.drawn === true)
      .sort((a, b) => a.cell.value - b.cell.value);
    const missing = cells.filter((entry) => entry.cell?.drawn !== true).map((entry) => entry.label);
    const best = ranked[0];
    let text: string;
    if (best === undefined) text = `${categoryOf(group)}: not measured`;
    else {
      text = `${categoryOf(group)}: ${best.label} ${metric.least}, ${format(best.cell.value)} ${metric.per}`;
      const others = ranked
        .slice(1)
        .map((entry) => `${entry.label} ${format(entry.cell.value)}${best.cell.value > 0 ? ` (${formatRatio(entry.cell.value / best.cell.value)})` : ''}`);
      if (others.length > 0) text += `; ${joinWords(others)}`;
      if (missing.length > 0) text += `; ${joinWords(missing)} not measured`;
    }
    return text;
  });

  const flags = runFlags(allRuns);
  for (const row of grid) {
    for (const cell of row) {
      if (cell === null || cell.drawn) continue;
      const why = usable(cell.value) ? metric.unusable(cell.value) : null;
      flags.push(
        why === null
          ? `${runName(cell.run)}: ${metric.noun} not measured (no bar)`
          : `${runName(cell.run)}: ${metric.noun} is ${format(cell.value as number)}: ${why} (no bar)`,
      );
    }
  }

  return {
    kind: 'chart',
    spec: {
      id: metric.id,
      title: metric.title,
      reading: `${sentences.join('. ')}.`,
      config,
      table: {
        caption: `${metric.axisTitle}, fixed-load runs. "not measured": no figure (no bar drawn).`,
        columns: ['transport', ...categories],
        rows: series.map((s, i) => [
          s.label,
          ...(grid[i] ?? []).map((cell) => {
            if (cell === null || !usable(cell.value)) return NOT_MEASURED;
            return cell.drawn ? format(cell.value) : `${format(cell.value)} (not drawn: ${metric.unusable(cell.value) ?? 'unusable'})`;
          }),
        ]),
      },
      flags,
    },
  };
}

/** The charts of this family, in order. */
const METRICS = [CPU_METRIC, RSS_METRIC, IDLE_RSS_METRIC];

export const serverCost: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    const groups = fixedRunGroups(input.results);
    if (groups.length === 0) {
      const reason = noNodeFixedRunsReason(input.results);
      return METRICS.map((metric) => ({ kind: 'missing', id: metric.id, title: metric.title, reason }));
    }
    return METRICS.map((metric) => chartFor(metric, groups));
  },
};

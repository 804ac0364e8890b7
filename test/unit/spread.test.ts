import { describe, expect, it } from 'vitest';
import type { CapacityResult, ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { repeatBase, seriesOf } from '../../metrics/repeat-id.ts';
import { validateResults } from '../../metrics/results-io.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { compareSpreads, hasRepeats, rangesOverlap, spreadOf, spreadText, summarizeRepeats } from '../../reports/spread.ts';
import { formatCompactCount } from '../../reports/format.ts';
import { verdicts } from '../../reports/html/verdict.ts';
import type { VerdictCriterion } from '../../reports/html/types.ts';
import { repeats as repeatsChart } from '../../reports/html/charts/repeats.ts';
import { renderSummary } from '../../reports/terminal.ts';
import { gate } from '../../reports/gate/gate.ts';
import { buildCapacity, buildResults, buildRun, buildSummary } from '../support/results.ts';

/** Repeat `index` (1-based) of a transport's fixed feed run, with that repeat's p99 and deliveries. */
function repeatRun(transport: TransportName, index: number, p99: number, deliveries = 6000, extra: Partial<RunRecord> = {}): RunRecord {
  const run = buildRun({ id: `${repeatBase(`${transport}/feed/json/node`, index, 3)}`, transport, deliveries, metrics: { latency: buildSummary(p99) } });
  return { ...run, repeat: index, ...extra };
}

function repeatSearch(transport: TransportName, index: number, sustained: number): CapacityResult {
  const id = `${repeatBase(`${transport}/feed/json/node`, index, 3)}/capacity`;
  return { ...buildCapacity({ id, transport, sustained: { deliveriesPerSec: sustained, offeredDeliveriesPerSec: sustained } }), repeat: index };
}

/** A file of `repeats` repeats per transport: p99s[transport] lists each repeat's p99. */
function repeatedFile(p99s: Partial<Record<TransportName, number[]>>, capacity: Partial<Record<TransportName, number[]>> = {}): ResultsFile {
  const runs: RunRecord[] = [];
  const searches: CapacityResult[] = [];
  const rounds = Math.max(...Object.values(p99s).map((list) => list.length));
  // Round by round, transports alternating, as the bench writes them.
  for (let round = 1; round <= rounds; round++) {
    for (const [transport, list] of Object.entries(p99s) as [TransportName, number[]][]) {
      const p99 = list[round - 1];
      if (p99 !== undefined) runs.push(repeatRun(transport, round, p99));
      const rate = capacity[transport]?.[round - 1];
      if (rate !== undefined) searches.push(repeatSearch(transport, round, rate));
    }
  }
  return buildResults({ runs, capacity: searches, config: { encodings: ['json'], repeat: rounds } });
}

function criterion(file: ResultsFile, id: string): VerdictCriterion {
  const found = verdicts({ results: file, baseline: null })[0]?.criteria.find((entry) => entry.id === id);
  if (found === undefined) throw new Error(`no ${id} criterion`);
  return found;
}

describe('repeat ids', () => {
  it('carry the repeat after the session part only when there is more than one, and drop it for the series', () => {
    expect(repeatBase('ws/feed/json/node', 1, 1)).toBe('ws/feed/json/node');
    expect(repeatBase('ws/feed/json/node', 2, 3)).toBe('ws/feed/json/node/repeat-2');
    expect(seriesOf('ws/feed/json/node/repeat-2')).toBe('ws/feed/json/node');
    expect(seriesOf('ws/feed/json/node/repeat-12/capacity/step3')).toBe('ws/feed/json/node/capacity/step3');
    expect(seriesOf('ws/feed/json/node/capacity')).toBe('ws/feed/json/node/capacity');
  });
});

describe('spreadOf', () => {
  it('gives the median, min, max, n and the values in their order', () => {
    expect(spreadOf([138, 124, 130])).toEqual({ n: 3, median: 130, min: 124, max: 138, values: [138, 124, 130] });
    expect(spreadOf([10, 20])).toEqual({ n: 2, median: 15, min: 10, max: 20, values: [10, 20] });
    expect(spreadOf([7])).toEqual({ n: 1, median: 7, min: 7, max: 7, values: [7] });
    expect(spreadOf([])).toBeNull();
    expect(spreadOf([Number.NaN, 4])).toEqual({ n: 1, median: 4, min: 4, max: 4, values: [4] });
  });

  it('writes "median (min–max)" for several values, the median alone for one', () => {
    expect(spreadText(spreadOf([130_241, 124_003, 138_555])!, formatCompactCount)).toBe('130k (124k–139k)');
    expect(spreadText(spreadOf([12.5])!, String)).toBe('12.5');
  });
});

describe('compareSpreads: a gap beyond noise only when the ranges do not overlap', () => {
  it('overlapping ranges, however far apart the medians', () => {
    const best = spreadOf([10, 11, 30])!;
    const other = spreadOf([20, 25, 29])!;
    expect(rangesOverlap(best, other)).toBe(true);
    expect(compareSpreads(best, other)).toEqual({ kind: 'overlapping', ratio: 25 / 11 });
  });

  it('disjoint ranges', () => {
    expect(compareSpreads(spreadOf([10, 11, 12])!, spreadOf([13, 14, 15])!)).toEqual({ kind: 'separated', ratio: 14 / 11 });
  });

  it('touching ends overlap', () => {
    expect(compareSpreads(spreadOf([10, 12])!, spreadOf([12, 14])!).kind).toBe('overlapping');
  });

  it('one value on either side is a single run: no spread to judge against', () => {
    expect(compareSpreads(spreadOf([10])!, spreadOf([20, 21])!)).toEqual({ kind: 'single run', ratio: 20.5 / 10 });
  });
});

describe('summarizeRepeats', () => {
  it('one series per fixed run over its repeats (complete ones), capacity searches by series; steps left out', () => {
    const file = repeatedFile({ ws: [10, 12, 11], sse: [20, 22, 21] }, { ws: [400_000, 399_000, 402_000], sse: [100_000, 100_000, 100_000] });
    file.runs.push(repeatRun('ws', 4, 999, 6000, { complete: false }));
    file.runs.push({ ...buildRun({ transport: 'ws', kind: 'capacity-step', step: { index: 1, search: 'ws/feed/json/node/repeat-1/capacity' } }), id: 'ws/feed/json/node/repeat-1/capacity/step1' });
    const summary = summarizeRepeats(file);
    expect(summary.repeats).toBe(3);
    expect(summary.runs.map((series) => series.series)).toEqual(['ws/feed/json/node', 'sse/feed/json/node']);
    const ws = summary.runs[0]!;
    expect(ws.runIds).toEqual(['ws/feed/json/node/repeat-1', 'ws/feed/json/node/repeat-2', 'ws/feed/json/node/repeat-3']);
    expect(ws.figures.find((figure) => figure.id === 'latency-p99')).toEqual({ id: 'latency-p99', n: 3, median: 11, min: 10, max: 12, values: [10, 12, 11] });
    expect(ws.figures.map((figure) => figure.id)).toEqual(['deliveries', 'latency-p50', 'latency-p99', 'bytes', 'server-cpu', 'rss-per-connection']);
    expect(summary.capacity.map((series) => [series.series, series.sustained?.median, series.sustained?.min, series.sustained?.max])).toEqual([
      ['ws/feed/json/node/capacity', 400_000, 399_000, 402_000],
      ['sse/feed/json/node/capacity', 100_000, 100_000, 100_000],
    ]);
    expect(hasRepeats(summary)).toBe(true);
    // The summary is what results.json stores: the schema accepts it.
    expect(() => validateResults(JSON.parse(JSON.stringify({ ...file, summary })), 'test')).not.toThrow();
  });

  it('a file of single runs (or from before repeats) has no repeats: every spread is of one value', () => {
    const summary = summarizeRepeats(buildResults({ runs: [buildRun({ transport: 'ws' }), buildRun({ transport: 'sse' })] }));
    expect(summary.repeats).toBe(1);
    expect(summary.runs).toHaveLength(2);
    expect(hasRepeats(summary)).toBe(false);
  });
});

describe('verdicts with repeats (reports/html/verdict.ts)', () => {
  it('overlapping ranges: no winner, "tie within noise", and the medians\' gap', () => {
    const p99 = criterion(repeatedFile({ ws: [10, 11, 14], sse: [12, 13, 15] }), 'latency-p99');
    expect(p99.winner).toBeNull();
    expect(p99.margin).toMatch(/^tie within noise \(the ranges over the repeats overlap\): ws 11\.0 ms \(10\.0 ms–14\.0 ms\), sse 13\.0 ms \(12\.0 ms–15\.0 ms\); ws's median 15 % lower than sse's$/);
    expect(p99.figures.ws?.value).toBe(11);
    expect(p99.figures.ws?.text).toBe('11.0 ms (10.0 ms–14.0 ms)');
  });

  it('disjoint ranges: a winner, said to have beaten every repeat', () => {
    const p99 = criterion(repeatedFile({ ws: [10, 11, 12], sse: [20, 22, 21] }), 'latency-p99');
    expect(p99.winner).toBe('ws');
    expect(p99.margin).toBe('ws: 48 % lower than sse (11.0 ms (10.0 ms–12.0 ms) vs 21.0 ms (20.0 ms–22.0 ms)); every repeat of ws beat every repeat of sse (the ranges do not overlap)');
  });

  it('disjoint ranges closer than 5 % are still a tie', () => {
    const p99 = criterion(repeatedFile({ ws: [10, 10.1, 10.2], sse: [10.3, 10.4, 10.5] }), 'latency-p99');
    expect(p99.winner).toBeNull();
    expect(p99.margin).toMatch(/^tie within 5 %/);
  });

  it('capacity: the sustained rate over the searches decides the same way', () => {
    const tie = criterion(repeatedFile({ ws: [1, 1, 1], sse: [1, 1, 1] }, { ws: [400_000, 100_000, 402_000], sse: [200_000, 210_000, 190_000] }), 'capacity');
    expect(tie.winner).toBeNull();
    expect(tie.margin).toContain('tie within noise');
    expect(tie.figures.ws?.text).toBe('400,000/s (100,000/s–402,000/s)');
    const win = criterion(repeatedFile({ ws: [1, 1, 1], sse: [1, 1, 1] }, { ws: [400_000, 399_000, 402_000], sse: [200_000, 210_000, 190_000] }), 'capacity');
    expect(win.winner).toBe('ws');
  });

  it('single runs: the 5 % rule as before, and the basis says "single run, no spread"', () => {
    const file = buildResults({ runs: [buildRun({ transport: 'ws', metrics: { latency: buildSummary(10) } }), buildRun({ transport: 'sse', metrics: { latency: buildSummary(20) } })], config: { encodings: ['json'] } });
    const [verdict] = verdicts({ results: file, baseline: null });
    const p99 = verdict!.criteria[0]!;
    expect(p99.winner).toBe('ws');
    expect(p99.margin).toBe('ws: 2.0x lower than sse (10.0 ms vs 20.0 ms)');
    expect(verdict!.basis).toMatch(/^Single run per transport, no spread: /);
    expect(verdict!.basis).toContain('--repeat 3');
  });

  it('a transport measured once beside repeated ones: the winner by the 5 % rule, saying its gap was not tested', () => {
    const p99 = criterion(repeatedFile({ ws: [10, 11, 12], sse: [30] }), 'latency-p99');
    expect(p99.winner).toBe('ws');
    expect(p99.margin).toContain('the sse figure is a single run, no spread: the gap is not tested against noise');
  });

  it('the basis with repeats names their count and the rule', () => {
    const [verdict] = verdicts({ results: repeatedFile({ ws: [10, 11, 12], sse: [20, 22, 21] }), baseline: null });
    expect(verdict!.basis).toMatch(/^Figures are medians of 3 repeats with their range \(min–max\); a winner is named only when its range does not overlap/);
  });
});

describe('the terminal and the report show the spread', () => {
  it('terminal: one row per transport, "median (min–max)" in the headline columns, loss summed', () => {
    const file = repeatedFile({ ws: [10, 11, 12], sse: [20, 22, 21] }, { ws: [400_000, 399_000, 402_000] });
    file.runs[0] = { ...file.runs[0]!, metrics: { ...file.runs[0]!.metrics, integrity: { ...file.runs[0]!.metrics.integrity, lost: 3, expected: 6003 } } };
    const text = renderSummary(file);
    expect(text).toContain('Feed: fixed load (6 runs, 3 repeats)');
    const wsRows = text.split('\n').filter((line) => /^\s*ws\s/.test(line));
    expect(wsRows).toHaveLength(2);
    expect(wsRows[0]).toContain('11.0 (10.0–12.0)');
    expect(wsRows[0]).toContain('3/18,003');
    expect(wsRows[1]).toContain('400k (399k–402k)');
    expect(text).toContain('with repeats: each figure is the median over the repeats (min–max)');
  });

  it('terminal: single runs print as before, one row per run', () => {
    const text = renderSummary(buildResults({ runs: [buildRun({ transport: 'ws', metrics: { latency: buildSummary(10) } })] }));
    expect(text).toContain('(1 run)');
    expect(text).not.toContain('–');
  });

  it('report: a chart per figure with a range bar, a dot per repeat and the median; missing, with why, for single runs', () => {
    const sections = repeatsChart.build({ results: repeatedFile({ ws: [10, 11, 12], sse: [20, 22, 21] }), baseline: null });
    const p99 = sections.find((section) => section.kind === 'chart' && section.spec.id === 'repeats-latency-p99-feed-json');
    expect(p99?.kind).toBe('chart');
    if (p99?.kind !== 'chart') return;
    const datasets = (p99.spec.config as { data: { labels: string[]; datasets: { type: string; label: string; data: unknown[] }[] } }).data;
    expect(datasets.labels).toEqual(['ws', 'sse']);
    expect(datasets.datasets.map((d) => [d.type, d.label])).toEqual([
      ['bar', 'range over the repeats (min–max)'],
      ['line', 'one repeat'],
      ['line', 'median'],
    ]);
    expect(datasets.datasets[0]!.data).toEqual([
      [10, 12],
      [20, 22],
    ]);
    expect(datasets.datasets[1]!.data).toHaveLength(6);
    expect(p99.spec.reading).toContain('every repeat beat every repeat of sse');
    expect(p99.spec.table.rows[0]).toEqual(['ws', '11.0 ms', '10.0 ms', '12.0 ms', '10.0 ms, 11.0 ms, 12.0 ms']);
    // The page gets the config as JSON: nothing may be lost on the way.
    expect(JSON.parse(JSON.stringify(p99.spec.config))).toEqual(p99.spec.config);

    const single = repeatsChart.build({ results: buildResults({ runs: [buildRun({ transport: 'ws' })] }), baseline: null });
    expect(single).toEqual([expect.objectContaining({ kind: 'missing', id: 'repeats' })]);
    if (single[0]?.kind === 'missing') expect(single[0].reason).toContain('measured once');
  });
});

describe('the gate (baseline against current run) takes repeats inside one file as runs', () => {
  it('matches the series, not repeat by repeat, and judges on the repeats', () => {
    const base = repeatedFile({ ws: [10, 11, 12, 10.5, 11.5] });
    const head = repeatedFile({ ws: [20, 21, 22, 20.5, 21.5] });
    const report = gate([base], [head]);
    const p99 = report.figures.find((figure) => figure.name === 'ws.feed.p99')!;
    expect(report.runs).toEqual({ base: 5, head: 5 });
    expect(p99.base).toEqual([10, 11, 12, 10.5, 11.5]);
    expect(p99.headMedian).toBe(21);
    expect(p99.verdict).toBe('regression');
  });
});

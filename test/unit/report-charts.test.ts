import { describe, expect, it } from 'vitest';
import { decodeHistogram, summarize } from '../../metrics/histogram.ts';
import type { CapacityResult, ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { readResultsFile, validateResults } from '../../metrics/results-io.ts';
import { bytes } from '../../reports/html/charts/bytes.ts';
import { formatRatio, formatSmallBytes } from '../../reports/html/charts/chart-kit.ts';
import { TRANSPORT_COLORS, TRANSPORT_POINT_STYLES } from '../../reports/html/charts/colors.ts';
import { CHART_BUILDERS } from '../../reports/html/charts/index.ts';
import { latencyPercentiles } from '../../reports/html/charts/latency-percentiles.ts';
import { serverCost } from '../../reports/html/charts/server-cost.ts';
import { BROKE_LABEL, CAPACITY_LABEL, CLIENT_BOUND_LABEL, throughput } from '../../reports/html/charts/throughput.ts';
import { timelines } from '../../reports/html/charts/timelines.ts';
import type { ChartBuilder, ChartSection, ChartSpec } from '../../reports/html/types.ts';
import { formatCount, formatMs } from '../../reports/format.ts';
import {
  SAMPLE_RESULTS_PATH,
  brokenBy,
  buildCapacity,
  buildResults,
  buildRun,
  buildSummary,
  buildTimeline,
  spreadHistogram,
  sustainedBy,
  type RunOverrides,
} from '../support/results.ts';

const CLIENT_BOUND_REASON = "a load worker's event-loop delay p99 reached 58 ms";

// ---------------------------------------------------------------------------------------------
// Hand-built results.

/** A run with buildRun's overrides, and a per-second timeline unless given. */
const run = (o: RunOverrides = {}): RunRecord => buildRun({ timeline: buildTimeline([9, 5, 4, 4.5, 5, 3]), ...o });

const results = (runs: RunRecord[], capacity: CapacityResult[] = []): ResultsFile => buildResults({ runs, capacity });

/** Fixed runs of both scenarios; sse feed is client-bound; chat has no histograms (summaries only). */
function fixedResults(): ResultsFile {
  return results([
    run({ transport: 'ws', histograms: { latency: spreadHistogram(30) } }),
    run({ transport: 'sse', histograms: { latency: spreadHistogram(35) }, clientBoundReasons: [CLIENT_BOUND_REASON] }),
    run({ transport: 'long-poll', histograms: { latency: spreadHistogram(80) }, metrics: { server: { cpuMsPer1kDeliveries: 40, rssBytesPerConnection: 90_000 }, bytes: { perMessage: 502, overheadPerMessage: 402, downPerMessage: 388.34, upPerMessage: 113.67 } } }),
    run({ transport: 'ws', scenario: 'chat', metrics: { latency: buildSummary(2) } }),
    run({ transport: 'sse', scenario: 'chat', metrics: { latency: buildSummary(3) } }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// What every chart must satisfy.

function charts(sections: ChartSection[]): ChartSpec[] {
  return sections.flatMap((s) => (s.kind === 'chart' ? [s.spec] : []));
}

function containsFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (Array.isArray(value)) return value.some(containsFunction);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsFunction);
  return false;
}

type Scale = { title?: { display?: boolean; text?: string }; display?: boolean; type?: string; ticks?: Record<string, unknown>; stacked?: boolean };
type Dataset = { label: string; data: unknown[]; [key: string]: unknown };

const scalesOf = (spec: ChartSpec): Record<string, Scale> => (spec.config.options as { scales: Record<string, Scale> }).scales;
const datasetsOf = (spec: ChartSpec): Dataset[] => (spec.config.data as { datasets: Dataset[] }).datasets;
const xy = (data: unknown[]): { x: number; y: number | null }[] => data as { x: number; y: number | null }[];

function expectWellFormed(spec: ChartSpec): void {
  // JSON-serializable as is: nothing lost or changed on the way into the page, no functions, no NaN.
  expect(JSON.parse(JSON.stringify(spec.config))).toStrictEqual(spec.config);
  expect(containsFunction(spec.config)).toBe(false);
  const options = spec.config.options as Record<string, unknown>;
  expect(options).toMatchObject({ animation: false, responsive: true, maintainAspectRatio: false });
  const scales = scalesOf(spec);
  for (const name of ['x', 'y']) {
    expect(scales[name]?.title?.display, `${spec.id} ${name} title`).toBe(true);
    expect(scales[name]?.title?.text?.length ?? 0, `${spec.id} ${name} title`).toBeGreaterThan(3);
    expect(scales[name]?.title?.text, `${spec.id} ${name} title has a unit`).toMatch(/\(.+\)|transport/i);
  }
  expect(spec.title.length).toBeGreaterThan(5);
  expect(spec.reading).toMatch(/\d/);
  expect(spec.table.rows.length).toBeGreaterThan(0);
  for (const row of spec.table.rows) expect(row).toHaveLength(spec.table.columns.length);
  expect(spec.id).toMatch(/^[a-z0-9-]+$/);
}

function expectAllWellFormed(builder: ChartBuilder, file: ResultsFile): ChartSpec[] {
  const sections = builder.build({ results: file, baseline: null });
  const ids = sections.map((s) => (s.kind === 'chart' ? s.spec.id : s.id));
  expect(new Set(ids).size).toBe(ids.length);
  const specs = charts(sections);
  for (const spec of specs) expectWellFormed(spec);
  return specs;
}

/** The datasets that draw a transport (not markers, reference lines or window shading). */
const transportSeries = (spec: ChartSpec): Dataset[] =>
  datasetsOf(spec).filter((d) => Object.values(TRANSPORT_COLORS).includes(d.borderColor as string) && d.yAxisID === undefined);

// ---------------------------------------------------------------------------------------------

describe('the hand-built results', () => {
  it('are valid results files', () => {
    const file = fixedResults();
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(5);
    expect(validateResults(JSON.parse(JSON.stringify(capacityResults())), 'test').capacity).toHaveLength(3);
  });
});

describe('CHART_BUILDERS', () => {
  it('lists the chart families in report order', () => {
    expect(CHART_BUILDERS.map((b) => b.id)).toEqual(['latency-percentiles', 'throughput', 'bytes', 'server-cost', 'repeats', 'timelines', 'node-vs-browser']);
  });

  it('gives every transport its own colour and point style', () => {
    expect(new Set(Object.values(TRANSPORT_COLORS)).size).toBe(3);
    expect(new Set(Object.values(TRANSPORT_POINT_STYLES)).size).toBe(3);
  });

  it('says why a chart is missing when the file has no runs, never draws an empty chart', () => {
    for (const builder of CHART_BUILDERS) {
      const sections = builder.build({ results: results([]), baseline: null });
      expect(sections.length, builder.id).toBeGreaterThan(0);
      for (const section of sections) {
        expect(section.kind, builder.id).toBe('missing');
        if (section.kind === 'missing') expect(section.reason.length).toBeGreaterThan(10);
      }
    }
  });
});

describe('latency-percentiles', () => {
  const file = fixedResults();
  const specs = expectAllWellFormed(latencyPercentiles, file);
  const feed = specs.find((s) => s.id === 'latency-percentiles-feed-json') as ChartSpec;
  const chat = specs.find((s) => s.id === 'latency-percentiles-chat-json') as ChartSpec;

  it('draws one chart per scenario, one line per transport', () => {
    expect(specs.map((s) => s.id)).toEqual(['latency-percentiles-feed-json', 'latency-percentiles-chat-json']);
    expect(datasetsOf(feed).map((d) => d.label)).toEqual(['ws', 'sse', 'long-poll']);
    expect(datasetsOf(chat).map((d) => d.label)).toEqual(['ws', 'sse']);
    expect(feed.config.type).toBe('scatter');
    for (const d of datasetsOf(feed)) expect(d).toMatchObject({ showLine: true });
  });

  it('puts percentiles on a log axis of 1/(1-p), formatted by the page, and the max at 1 in N', () => {
    const x = scalesOf(feed).x as Scale;
    expect(x.type).toBe('logarithmic');
    expect(x.ticks).toEqual({ pushbenchFormat: 'percentile' });
    const points = xy((datasetsOf(feed)[0] as Dataset).data);
    expect(points.map((p) => p.x)).toEqual([2, 4, 10, 20, 100, 200, 1000, 10_000, 20_000]);
    const h = decodeHistogram(spreadHistogram(30));
    expect(points[4]?.y).toBe(Math.round(h.getValueAtPercentile(99)) / 1000);
    expect(points[8]?.y).toBe(Math.round(h.getValueAtPercentile(100)) / 1000);
    expect(scalesOf(feed).y?.title?.text).toMatch(/ms/);
  });

  it('reads the lowest p99 and the multiples of the others from the histograms', () => {
    const p99 = (top: number): number => Math.round(decodeHistogram(spreadHistogram(top)).getValueAtPercentile(99)) / 1000;
    expect(feed.reading).toContain(`At p99, ws delivers in ${formatMs(p99(30))} ms, sse in ${formatMs(p99(35))} ms (${formatRatio(p99(35) / p99(30))}), long-poll in ${formatMs(p99(80))} ms (${formatRatio(p99(80) / p99(30))})`);
    expect(feed.reading).toContain('(2.7x)');
  });

  it("puts the server publisher's lateness beside feed latency: its figures, not reported, or not measured without /stats", () => {
    const lateness = { p50: 0.2, p99: 280.4, max: 301.25, count: 1000 };
    const runs = [
      run({ transport: 'ws', metrics: { server: { feedLatenessMs: lateness } } }),
      run({ transport: 'sse', metrics: { server: { feedLatenessMs: null } } }),
      run({ transport: 'long-poll', metrics: { server: null } }),
    ];
    const [section] = latencyPercentiles.build({ results: results(runs), baseline: null });
    if (section?.kind !== 'chart') throw new Error('no chart');
    expect(section.spec.table.rows.map((r) => r.slice(-2))).toEqual([['280', '301'], ['not reported', 'not reported'], ['not measured', 'not measured']]);
    expect(section.spec.table.caption).toContain("due time on the publisher's schedule");
    expect(chat.table.columns).not.toContain('publisher late max');
  });

  it('has a table row per line with the plotted numbers', () => {
    expect(feed.table.columns).toEqual(['transport', 'p50', 'p75', 'p90', 'p95', 'p99', 'p99.5', 'p99.9', 'p99.99', 'max', 'deliveries counted', 'lab queue p50', 'lab queue p99', 'publisher late p99', 'publisher late max']);
    expect(feed.table.rows.map((r) => r[0])).toEqual(['ws', 'sse', 'long-poll']);
    const ws = xy((datasetsOf(feed)[0] as Dataset).data);
    expect(feed.table.rows[0]?.slice(1, 10)).toEqual(ws.map((p) => formatMs(p.y)));
    expect(feed.table.rows[0]?.[10]).toBe('20,000');
  });

  it('falls back to the summary without a histogram: unrecorded percentiles are "not measured", never 0', () => {
    const row = chat.table.rows[0] as string[];
    expect(row).toEqual(['ws', '0.500', 'not measured', '1.00', 'not measured', '2.00', 'not measured', '3.00', 'not measured', '4.00', '10,000', 'not measured', 'not measured']);
    expect(xy((datasetsOf(chat)[0] as Dataset).data).map((p) => p.x)).toEqual([2, 10, 100, 1000, 10_000]);
    expect(chat.flags).toContain('ws chat json: no latency histogram recorded; drawn from its summary (p50, p90, p99, p99.9, max)');
  });

  it("puts the lab's own read queueing beside the latency and flags a run where it is over half of it (LAB-QUEUED)", () => {
    const latency = { ...buildSummary(10), p50: 10, p99: 40 };
    const runs = [
      run({ transport: 'ws', metrics: { latency, client: { readQueueMs: { p50: 6, p99: 12, max: 15 }, maxWorkerEventLoopUtilization: 0.8 } } }),
      run({ transport: 'sse', metrics: { latency, client: { readQueueMs: { p50: 2, p99: 19.9, max: 25 } } } }),
      run({ transport: 'long-poll', metrics: { latency, client: { readQueueMs: null } } }),
    ];
    const [section] = latencyPercentiles.build({ results: results(runs), baseline: null });
    if (section?.kind !== 'chart') throw new Error('no chart');
    const at = section.spec.table.columns.indexOf('lab queue p50');
    expect(section.spec.table.rows.map((r) => r.slice(at, at + 2))).toEqual([['6.00', '12.0'], ['2.00', '19.9'], ['not measured', 'not measured']]);
    expect(section.spec.flags).toContain(
      "ws feed json: LAB-QUEUED, the lab's own read queueing was 6.00 of 10.0 ms at p50 (an upper bound): that much of the latency is the load client draining its sockets, not the transport; its busiest worker's event loop was busy 80 % of the window",
    );
    expect(section.spec.flags.filter((f) => f.includes('LAB-QUEUED'))).toHaveLength(1);
    expect(section.spec.table.caption).toContain('LAB-QUEUED');
  });

  it('flags the client-bound run whose figures it draws', () => {
    expect(feed.flags).toContain(`sse feed json: client-bound (${CLIENT_BOUND_REASON})`);
    expect(chat.flags.some((f) => f.includes('client-bound'))).toBe(false);
  });

  it('leaves out a run without latency (a "not measured" row) and is missing when no run has any', () => {
    const [section] = latencyPercentiles.build({ results: results([run({ transport: 'ws', histograms: { latency: spreadHistogram(30) } }), run({ transport: 'sse', metrics: { latency: null } })]), baseline: null });
    expect(section?.kind).toBe('chart');
    if (section?.kind !== 'chart') return;
    expect(datasetsOf(section.spec).map((d) => d.label)).toEqual(['ws']);
    // The built runs' servers report no publisher lateness (as a third-party server may not).
    expect(section.spec.table.rows[1]).toEqual(['sse', ...Array(12).fill('not measured'), 'not reported', 'not reported']);
    expect(section.spec.reading).toContain('p99 not measured for sse');
    const [none] = latencyPercentiles.build({ results: results([run({ metrics: { latency: null } })]), baseline: null });
    expect(none?.kind).toBe('missing');
  });
});

function step(transport: RunRecord['transport'], index: number, offered: number, delivered: number, p99: number, clientBound: string[] = []): RunRecord {
  return run({
    transport,
    kind: 'capacity-step',
    step: { index, search: `${transport}/feed/json/node/capacity` },
    load: { offeredDeliveriesPerSec: offered },
    // Over the 3 s window: `delivered` per second.
    deliveries: delivered * 3,
    metrics: { latency: buildSummary(p99) },
    clientBoundReasons: clientBound,
  });
}

function capacity(transport: RunRecord['transport'], steps: RunRecord[], stopReason: CapacityResult['stopReason'], sustained: RunRecord | null, broke: { run: RunRecord; reason: string } | null): CapacityResult {
  return buildCapacity({
    transport,
    steps,
    stopReason,
    sustained: sustained === null ? null : sustainedBy(sustained),
    broke: broke === null ? null : brokenBy(broke.run, broke.reason),
  });
}

/** ws passes every step; sse is client-bound at its second; long-poll breaks the SLO at its third. */
function capacityResults(): ResultsFile {
  const ws = [step('ws', 1, 200_000, 199_990, 20.1), step('ws', 2, 400_000, 399_870, 35.8)];
  const sse = [step('sse', 1, 200_000, 199_000, 30), step('sse', 2, 400_000, 310_000, 80, [CLIENT_BOUND_REASON])];
  const lp = [step('long-poll', 1, 200_000, 199_500, 50), step('long-poll', 2, 400_000, 398_000, 70), step('long-poll', 3, 600_000, 480_000, 107)];
  return results(
    [run({ transport: 'ws', histograms: { latency: spreadHistogram(30) } }), ...ws, ...sse, ...lp],
    [
      capacity('ws', ws, 'all-steps-passed', ws[1] as RunRecord, null),
      capacity('sse', sse, 'client-bound', sse[0] as RunRecord, { run: sse[1] as RunRecord, reason: `the load client was saturated (${CLIENT_BOUND_REASON})` }),
      capacity('long-poll', lp, 'slo-broken', lp[1] as RunRecord, { run: lp[2] as RunRecord, reason: 'delivery p99 107 ms > 100 ms' }),
    ],
  );
}

describe('throughput', () => {
  const specs = expectAllWellFormed(throughput, capacityResults());
  const spec = specs[0] as ChartSpec;

  it('is missing, with the reason, when the run had no capacity search', () => {
    expect(throughput.build({ results: fixedResults(), baseline: null })).toEqual([
      { kind: 'missing', id: 'throughput', title: 'Throughput against offered load', reason: 'no capacity search in this run: run without --no-capacity' },
    ]);
  });

  it('draws one line per transport through its steps, offered against delivered', () => {
    expect(specs).toHaveLength(1);
    const lines = transportSeries(spec);
    expect(lines.map((d) => d.label)).toEqual(['ws', 'sse', 'long-poll']);
    expect(xy(lines[2]?.data ?? [])).toEqual([
      { x: 200_000, y: 199_500 },
      { x: 400_000, y: 398_000 },
      { x: 600_000, y: 480_000 },
    ]);
    expect(scalesOf(spec).x?.title?.text).toBe('Offered load (deliveries/s)');
    expect(scalesOf(spec).y?.title?.text).toBe('Delivered (deliveries/s)');
  });

  it('marks the sustained steps, the step that broke the SLO and the client-bound step', () => {
    const byLabel = new Map(datasetsOf(spec).map((d) => [d.label, d]));
    expect(xy(byLabel.get(CAPACITY_LABEL)?.data ?? [])).toEqual([
      { x: 400_000, y: 399_870 },
      { x: 200_000, y: 199_000 },
      { x: 400_000, y: 398_000 },
    ]);
    expect(byLabel.get(CAPACITY_LABEL)?.pointRadius).toBeGreaterThan(6);
    expect(xy(byLabel.get(BROKE_LABEL)?.data ?? [])).toEqual([{ x: 600_000, y: 480_000 }]);
    expect(xy(byLabel.get(CLIENT_BOUND_LABEL)?.data ?? [])).toEqual([{ x: 400_000, y: 310_000 }]);
    expect(byLabel.get(BROKE_LABEL)?.pointStyle).not.toBe(byLabel.get(CAPACITY_LABEL)?.pointStyle);
  });

  it('has a row per step with its verdict', () => {
    expect(spec.table.columns).toEqual(['transport', 'step', 'offered (deliveries/s)', 'delivered (deliveries/s)', 'p99 (ms)', 'verdict']);
    expect(spec.table.rows).toHaveLength(7);
    expect(spec.table.rows[0]).toEqual(['ws', '1', '200,000', '199,990', '20.1', 'met SLO']);
    expect(spec.table.rows[3]).toEqual(['sse', '2', '400,000', '310,000', '80.0', `client-bound: the load client was saturated (${CLIENT_BOUND_REASON})`]);
    expect(spec.table.rows[6]).toEqual(['long-poll', '3', '600,000', '480,000', '107', 'broke: delivery p99 107 ms > 100 ms']);
  });

  it('reads the capacity of each transport and where it broke', () => {
    expect(spec.reading).toContain('ws met the SLO at every step, up to 400,000/s (p99 35.8 ms)');
    expect(spec.reading).toContain('sse sustained 200,000/s (p99 30.0 ms); the load client saturated at 400,000/s');
    expect(spec.reading).toContain('long-poll sustained 400,000/s (p99 70.0 ms) and broke the SLO at 600,000/s (p99 107 ms)');
    expect(spec.reading).toContain('SLO: p99 <= 100 ms, no loss');
  });

  it('a bisecting search: steps judged by rate, not order; the line drawn by offered load; the limit in the reading', () => {
    // 100k held, 200k broke, 141k held, 168k broke, 154k broke: sustained 141k, broke at 154k.
    const steps = [step('ws', 1, 100_000, 100_000, 10), step('ws', 2, 200_000, 150_000, 300), step('ws', 3, 141_000, 141_000, 40), step('ws', 4, 168_000, 150_000, 200), step('ws', 5, 154_000, 150_000, 150)];
    const result = capacity('ws', steps, 'slo-broken', steps[2] as RunRecord, { run: steps[4] as RunRecord, reason: 'delivery p99 150 ms > 100 ms' });
    result.broke!.limit = { by: 'server', why: 'w', serverCpuCores: 0.97, serverLoopDelayP99Ms: 38.2, clientCpuCores: 0.61, machineBusyCores: 1.71, machineCores: 2 };
    const [bisected] = expectAllWellFormed(throughput, results(steps, [result])) as ChartSpec[];
    expect(bisected!.table.rows.map((row) => row.at(-1))).toEqual([
      'met SLO',
      'broke the SLO (above the lowest rate that broke)',
      'met SLO',
      'broke the SLO (above the lowest rate that broke)',
      'broke: delivery p99 150 ms > 100 ms; limit: the server (server 0.97 cores (loop p99 38.2 ms), client 0.61 cores, machine 1.71 of 2 cores busy)',
    ]);
    expect(xy(transportSeries(bisected!)[0]?.data ?? []).map((p) => p.x)).toEqual([100_000, 141_000, 154_000, 168_000, 200_000]);
    const byLabel = new Map(datasetsOf(bisected!).map((d) => [d.label, d]));
    expect(xy(byLabel.get(CAPACITY_LABEL)?.data ?? [])).toEqual([{ x: 141_000, y: 141_000 }]);
    expect(bisected!.reading).toContain('ws sustained 141,000/s (p99 40.0 ms) and broke the SLO at 154,000/s (p99 150 ms) (limit: the server');
  });

  it('a step that broke below the sustained rate reads as broke, and the reading names it', () => {
    // Long-poll's shape: 100k broke, 200k and 400k held, 800k broke: sustained 400k, 100k broke below it.
    const steps = [step('long-poll', 1, 100_000, 100_000, 130), step('long-poll', 2, 200_000, 200_000, 70), step('long-poll', 3, 400_000, 400_000, 80), step('long-poll', 4, 800_000, 700_000, 300)];
    const result = capacity('long-poll', steps, 'slo-broken', steps[2] as RunRecord, { run: steps[3] as RunRecord, reason: 'delivery p99 300 ms > 100 ms' });
    result.brokeBelow = [{ offeredDeliveriesPerSec: 100_000, latencyP99Ms: 130, runId: steps[0]!.id }];
    const [spec] = expectAllWellFormed(throughput, results(steps, [result])) as ChartSpec[];
    expect(spec!.table.rows.map((row) => row.at(-1))).toEqual(['broke the SLO (p99 130 ms) below the sustained rate: a higher rate held', 'met SLO', 'met SLO', 'broke: delivery p99 300 ms > 100 ms']);
    expect(spec!.reading).toContain('long-poll sustained 400,000/s (p99 80.0 ms) and broke the SLO at 800,000/s (p99 300 ms) (also broke below it, at 100,000/s (p99 130 ms))');
  });

  it('a narrowly broken first trial reads as broke, beside the second trial at its rate that decided it', () => {
    // 100k held, 200k broke narrowly (p99 120 ms) and held when measured again: sustained 200k; 400k broke.
    const steps = [step('ws', 1, 100_000, 100_000, 10), step('ws', 2, 200_000, 200_000, 120), step('ws', 3, 200_000, 200_000, 80), step('ws', 4, 400_000, 300_000, 400)];
    steps[1]!.step = { ...steps[1]!.step!, remeasured: true };
    const result = capacity('ws', steps, 'slo-broken', steps[2] as RunRecord, { run: steps[3] as RunRecord, reason: 'delivery p99 400 ms > 100 ms' });
    const [chart] = expectAllWellFormed(throughput, results(steps, [result])) as ChartSpec[];
    expect(chart!.table.rows.map((row) => [row[2], row.at(-1)])).toEqual([
      ['100,000', 'met SLO'],
      ['200,000', 'broke the SLO narrowly: its rate was measured once more, and the next trial at this rate decided'],
      ['200,000', 'met SLO'],
      ['400,000', 'broke: delivery p99 400 ms > 100 ms'],
    ]);
    const byLabel = new Map(datasetsOf(chart!).map((d) => [d.label, d]));
    expect(xy(byLabel.get(CAPACITY_LABEL)?.data ?? [])).toEqual([{ x: 200_000, y: 200_000 }]);
  });

  it('draws the fixed-load run that served as the first step first, named as such', () => {
    const fixed = run({ id: 'ws/feed/json/node', transport: 'ws', load: { offeredDeliveriesPerSec: 100_000 }, deliveries: 300_000, metrics: { latency: buildSummary(30) } });
    const steps = [step('ws', 1, 200_000, 200_000, 60), step('ws', 2, 400_000, 300_000, 400)];
    const result = capacity('ws', steps, 'slo-broken', steps[0] as RunRecord, { run: steps[1] as RunRecord, reason: 'delivery p99 400 ms > 100 ms' });
    result.steps = [fixed.id, ...result.steps];
    const [chart] = expectAllWellFormed(throughput, results([fixed, ...steps], [result])) as ChartSpec[];
    expect(chart!.table.rows.map((row) => [row[1], row[2], row.at(-1)])).toEqual([
      ['fixed run', '100,000', 'met SLO'],
      ['1', '200,000', 'met SLO'],
      ['2', '400,000', 'broke: delivery p99 400 ms > 100 ms'],
    ]);
  });

  it('flags the client-bound step', () => {
    expect(spec.flags).toContain(`sse feed json step 2 (400,000/s offered): client-bound (${CLIENT_BOUND_REASON})`);
  });

  it('draws steps without a verdict when their search has no capacity result, and flags it', () => {
    const file = capacityResults();
    file.capacity = file.capacity.filter((c) => c.transport !== 'ws');
    const [section] = throughput.build({ results: file, baseline: null });
    if (section?.kind !== 'chart') throw new Error('expected a chart');
    expect(section.spec.table.rows[0]?.[5]).toBe('no verdict recorded (no capacity result for this search)');
    expect(section.spec.reading).toContain('ws: no capacity verdict recorded (highest step drawn: 400,000/s offered)');
    expect(section.spec.flags).toContain('ws feed json: no capacity result recorded for search ws/feed/json/node/capacity; steps drawn without a verdict');
    expect(xy(datasetsOf(section.spec).find((d) => d.label === CAPACITY_LABEL)?.data ?? [])).toHaveLength(2);
  });
});

describe('bytes', () => {
  const file = results([
    run({ transport: 'ws', metrics: { bytes: { perMessage: 179.67, overheadPerMessage: 79.67 } } }),
    run({ transport: 'sse', metrics: { bytes: { perMessage: 203.33, overheadPerMessage: 103.33, downPerMessage: 203.33, handshakePerConnection: null } }, clientBoundReasons: [CLIENT_BOUND_REASON] }),
    run({ transport: 'long-poll', metrics: { bytes: { perMessage: null, overheadPerMessage: null, downPerMessage: null, upPerMessage: null, handshakePerConnection: null } } }),
    run({ transport: 'ws', scenario: 'chat', metrics: { bytes: { perMessage: 216.95, overheadPerMessage: 116.95, upPerMessage: 15.95 } } }),
  ]);
  const specs = expectAllWellFormed(bytes, file);
  const feed = specs[0] as ChartSpec;

  it('draws a stacked bar chart per scenario: payload and overhead', () => {
    expect(specs.map((s) => s.id)).toEqual(['bytes-feed', 'bytes-chat']);
    expect(feed.config.type).toBe('bar');
    expect(scalesOf(feed).x?.stacked).toBe(true);
    expect(scalesOf(feed).y?.stacked).toBe(true);
    expect(datasetsOf(feed).map((d) => d.label)).toEqual(['payload', 'overhead (framing, headers, requests)']);
    expect((feed.config.data as { labels: string[] }).labels).toEqual(['ws', 'sse']);
    expect(datasetsOf(feed)[0]?.data).toEqual([100, 100]);
    expect(datasetsOf(feed)[1]?.data).toEqual([79.67, 103.33]);
  });

  it('names the encoding on the bars when a scenario ran several', () => {
    const [spec] = charts(bytes.build({ results: results([run({ transport: 'ws' }), run({ transport: 'ws', encoding: 'binary', metrics: { bytes: { perMessage: 132, overheadPerMessage: 32 } } })]), baseline: null }));
    expect((spec?.config.data as { labels: string[] }).labels).toEqual(['ws json', 'ws binary']);
  });

  it('has a row per bar and "not measured" for what was not, never 0', () => {
    expect(feed.table.columns).toEqual(['transport', 'payload', 'overhead', 'total per message', 'down per message', 'up per message', 'handshake per connection']);
    expect(feed.table.rows).toEqual([
      ['ws', '100 B', '79.7 B', '180 B', '180 B', '0 B', '377 B'],
      ['sse', '100 B', '103 B', '203 B', '203 B', '0 B', 'not measured'],
      ['long-poll', '100 B', 'not measured', 'not measured', 'not measured', 'not measured', 'not measured'],
    ]);
    expect(feed.flags).toContain('long-poll feed json: bytes per message not measured (not drawn)');
    expect(feed.flags).toContain(`sse feed json: client-bound (${CLIENT_BOUND_REASON})`);
  });

  it('reads which transport adds the least overhead, and by how much', () => {
    expect(feed.reading).toBe(
      `ws adds the least overhead per message, 79.7 B over the 100 B payload; sse 103 B (${formatRatio(103.33 / 79.67)}, +${formatSmallBytes(103.33 - 79.67)}). Not measured: long-poll.`,
    );
  });
});

describe('server-cost', () => {
  const file = results([
    run({ transport: 'ws', metrics: { server: { cpuMsPer1kDeliveries: 12.658, rssBytesPerConnection: 67_502 } } }),
    run({ transport: 'sse', metrics: { server: { cpuMsPer1kDeliveries: 16.034, rssBytesPerConnection: null } }, clientBoundReasons: [CLIENT_BOUND_REASON] }),
    run({ transport: 'long-poll', metrics: { server: null } }),
    run({ transport: 'ws', scenario: 'chat', metrics: { server: { cpuMsPer1kDeliveries: 25.569, rssBytesPerConnection: -4096 } } }),
  ]);
  const specs = expectAllWellFormed(serverCost, file);
  const [cpu, rss] = specs as [ChartSpec, ChartSpec];

  it('draws two bar charts: CPU per 1,000 deliveries and RSS per connection', () => {
    expect(specs.map((s) => s.id)).toEqual(['server-cost-cpu', 'server-cost-rss']);
    expect(scalesOf(cpu).y?.title?.text).toBe('Server CPU per 1,000 deliveries (ms)');
    expect(scalesOf(rss).y?.title?.text).toBe('Server RSS per connection (KB)');
    expect(datasetsOf(cpu).map((d) => d.label)).toEqual(['ws', 'sse', 'long-poll']);
    expect(datasetsOf(cpu).map((d) => d.backgroundColor)).toEqual([TRANSPORT_COLORS.ws, TRANSPORT_COLORS.sse, TRANSPORT_COLORS['long-poll']]);
  });

  it('draws RSS per idle connection as a third chart where runs measured it', () => {
    const idleFile = results([
      run({ transport: 'ws', metrics: { server: { idleRssBytesPerConnection: 6_554 } } }),
      run({ transport: 'sse', metrics: { server: { idleRssBytesPerConnection: 11_162 } } }),
    ]);
    const idle = expectAllWellFormed(serverCost, idleFile).find((s) => s.id === 'server-cost-idle-rss');
    expect(idle).toBeDefined();
    expect(scalesOf(idle!).y?.title?.text).toBe('Server RSS per idle connection (KB)');
    expect(datasetsOf(idle!).map((d) => d.data)).toEqual([
      [6.4, null],
      [null, 10.9],
    ]);
  });

  it('names every bar and leaves what was not measured out of the chart, never 0', () => {
    expect((cpu.config.data as { labels: string[][] }).labels).toEqual([
      ['ws', 'feed json'],
      ['sse', 'feed json'],
      ['long-poll', 'feed json'],
      ['ws', 'chat json'],
    ]);
    expect(datasetsOf(cpu).map((d) => d.data)).toEqual([
      [12.658, null, null, 25.569],
      [null, 16.034, null, null],
      [null, null, null, null],
    ]);
    // RSS: sse not measured, long-poll without server metrics, chat ws below its baseline.
    expect(datasetsOf(rss).map((d) => d.data)).toEqual([
      [65.92, null, null, null],
      [null, null, null, null],
      [null, null, null, null],
    ]);
    for (const spec of specs) for (const d of datasetsOf(spec)) expect(d.data).not.toContain(0);
  });

  it('has a row per transport, "not measured" where there is no figure', () => {
    expect(cpu.table.columns).toEqual(['transport', 'feed json', 'chat json']);
    expect(cpu.table.rows).toEqual([
      ['ws', '12.7 ms', '25.6 ms'],
      ['sse', '16.0 ms', 'not measured'],
      ['long-poll', 'not measured', 'not measured'],
    ]);
    expect(rss.table.rows).toEqual([
      ['ws', '65.9 KB', '-4.00 KB (not drawn: RSS fell below its level before any client connected)'],
      ['sse', 'not measured', 'not measured'],
      ['long-poll', 'not measured', 'not measured'],
    ]);
  });

  it('reads the cheapest transport per scenario from the figures', () => {
    expect(cpu.reading).toBe(
      'feed json: ws needs the least server CPU, 12.7 ms per 1,000 deliveries; sse 16.0 ms (1.3x); long-poll not measured. chat json: ws needs the least server CPU, 25.6 ms per 1,000 deliveries.',
    );
    expect(rss.reading).toContain('feed json: ws holds the least server memory, 65.9 KB per connection; sse and long-poll not measured');
    expect(rss.reading).toContain('chat json: not measured');
  });

  it('flags client-bound runs and figures it could not draw', () => {
    expect(cpu.flags).toContain(`sse feed json: client-bound (${CLIENT_BOUND_REASON})`);
    expect(cpu.flags).toContain('long-poll feed json: server CPU per 1,000 deliveries not measured (no bar)');
    expect(rss.flags.some((f) => f.startsWith('ws chat json: server RSS per connection is -4.00 KB'))).toBe(true);
  });

  it('is missing, not a chart of zeros, when no server was measured', () => {
    const sections = serverCost.build({ results: results([run({ metrics: { server: null } }), run({ transport: 'sse', metrics: { server: null } })]), baseline: null });
    expect(sections.map((s) => s.kind)).toEqual(['missing', 'missing', 'missing']);
    expect(sections[0]).toMatchObject({ id: 'server-cost-cpu', reason: expect.stringContaining('--target') });
    expect(sections[2]).toMatchObject({ id: 'server-cost-idle-rss', reason: expect.stringContaining('--target') });
  });
});

describe('timelines', () => {
  const file = results([
    run({ transport: 'ws', timeline: buildTimeline([9, 5, 4, null, 5, 3]) }),
    run({ transport: 'sse', timeline: buildTimeline([12, 6, 7, 8, 6.5, 4]), clientBoundReasons: [CLIENT_BOUND_REASON] }),
    run({ transport: 'long-poll', timeline: [], complete: false }),
    run({ transport: 'ws', scenario: 'chat' }),
  ]);
  const specs = expectAllWellFormed(timelines, file);
  const byId = new Map(specs.map((s) => [s.id, s]));
  const latency = byId.get('timelines-latency-p99-feed-json') as ChartSpec;

  it('draws deliveries, latency p99 and connections per scenario', () => {
    expect(specs.map((s) => s.id)).toEqual([
      'timelines-deliveries-feed-json',
      'timelines-latency-p99-feed-json',
      'timelines-connections-feed-json',
      'timelines-deliveries-chat-json',
      'timelines-latency-p99-chat-json',
      'timelines-connections-chat-json',
    ]);
    expect(transportSeries(latency).map((d) => d.label)).toEqual(['ws', 'sse']);
    expect(scalesOf(latency).x?.title?.text).toBe('Seconds since the run started (s)');
    expect(scalesOf(latency).y?.title?.text).toMatch(/\(ms\)$/);
  });

  it('leaves a second without deliveries as a gap, not a zero', () => {
    const ws = transportSeries(latency)[0] as Dataset;
    expect(ws.spanGaps).toBe(false);
    expect(xy(ws.data)[3]).toEqual({ x: 3, y: null });
    expect(latency.table.rows[0]).toEqual(['ws', '9.00 ms', '5.00 ms', '4.00 ms', '-', '5.00 ms', '3.00 ms']);
    expect(latency.reading).toContain('No deliveries (gaps): ws at 3 s');
  });

  it('shades the measured window and says which seconds it covers', () => {
    const shade = datasetsOf(latency).find((d) => d.yAxisID === 'window') as Dataset;
    expect(shade.label).toBe('measured window (seconds 2-4)');
    expect(shade.data).toEqual([
      { x: 1.5, y: 1 },
      { x: 4.5, y: 1 },
    ]);
    expect(scalesOf(latency).window).toMatchObject({ display: false, min: 0, max: 1 });
    expect(latency.reading).toContain('In the measured window (seconds 2-4, shaded), the per-second p99 ranged ws 4.00-5.00 ms, sse 6.50-8.00 ms');
    expect(latency.reading).toContain('Outside the window, sse reached 12.0 ms at 0 s (warm-up, not in the figures)');
  });

  it('has a row per line with every plotted second', () => {
    const deliveries = byId.get('timelines-deliveries-feed-json') as ChartSpec;
    expect(deliveries.table.columns).toEqual(['transport', '0 s', '1 s', '2 s', '3 s', '4 s', '5 s']);
    expect(deliveries.table.rows.map((r) => r[0])).toEqual(['ws', 'sse']);
    expect(deliveries.table.rows[1]).toEqual(['sse', '2,000', '2,001', '2,002', '2,003', '2,004', '2,005']);
    expect(deliveries.reading).toContain('2,000 deliveries/s offered');
    expect(deliveries.reading).toContain('sse 2,002-2,004/s (mean 2,003/s)');
  });

  it('flags client-bound and incomplete runs, and runs without a timeline', () => {
    expect(latency.flags).toContain(`sse feed json: client-bound (${CLIENT_BOUND_REASON})`);
    expect(latency.flags).toContain('long-poll feed json: incomplete (interrupted before it was collected in full)');
    expect(latency.flags).toContain('long-poll feed json: no per-second timeline recorded (not drawn)');
  });
});

describe('on the sample results (quick profile, json and binary)', async () => {
  const file = await readResultsFile(SAMPLE_RESULTS_PATH);
  const fixed = file.runs.filter((r) => r.kind === 'fixed');
  const groups = [...new Set(fixed.map((r) => `${r.scenario}-${r.encoding}`))];
  const find = (transport: string, scenario: string, encoding: string): RunRecord =>
    fixed.find((r) => r.transport === transport && r.scenario === scenario && r.encoding === encoding) as RunRecord;

  it('draws a latency chart per scenario and encoding, with the p99 of each transport in the reading', () => {
    const specs = expectAllWellFormed(latencyPercentiles, file);
    expect(specs.map((s) => s.id)).toEqual(groups.map((g) => `latency-percentiles-${g}`));
    for (const spec of specs) {
      const [scenario, encoding] = spec.id.replace('latency-percentiles-', '').split('-') as [string, string];
      expect(spec.table.rows).toHaveLength(transportSeries(spec).length);
      for (const row of spec.table.rows) {
        const r = find(row[0] as string, scenario, encoding);
        const p99 = Math.round(decodeHistogram(r.histograms.latency as string).getValueAtPercentile(99)) / 1000;
        expect(spec.reading).toMatch(new RegExp(`${r.transport} (delivers )?in ${formatMs(p99).replace('.', '\\.')} ms`));
        expect(summarize(decodeHistogram(r.histograms.latency as string))?.p99).toBe(r.metrics.latency?.p99);
      }
    }
  });

  it('draws throughput per searched scenario and encoding, a row per step', () => {
    const specs = expectAllWellFormed(throughput, file);
    const searched = [...new Set(file.capacity.map((c) => `${c.scenario}-${c.encoding}`))];
    expect(specs.map((s) => s.id)).toEqual(searched.map((g) => `throughput-${g}`));
    const steps = file.runs.filter((r) => r.kind === 'capacity-step');
    expect(specs.reduce((n, s) => n + s.table.rows.length, 0)).toBe(steps.length);
    for (const c of file.capacity) {
      const spec = specs.find((s) => s.id === `throughput-${c.scenario}-${c.encoding}`) as ChartSpec;
      if (c.sustained !== null) expect(spec.reading).toContain(formatCount(c.sustained.offeredDeliveriesPerSec));
    }
  });

  it('draws bytes per scenario and server cost, with figures from the runs in the readings', () => {
    const byteSpecs = expectAllWellFormed(bytes, file);
    expect(byteSpecs.map((s) => s.id)).toEqual([...new Set(fixed.map((r) => `bytes-${r.scenario}`))]);
    for (const spec of byteSpecs) {
      expect(spec.table.rows).toHaveLength((spec.config.data as { labels: string[] }).labels.length);
      const runs = fixed.filter((r) => `bytes-${r.scenario}` === spec.id && r.encoding === 'json');
      const least = Math.min(...runs.map((r) => r.metrics.bytes.overheadPerMessage ?? Infinity));
      expect(spec.reading).toContain(formatSmallBytes(least));
    }
    const [cpu, rss] = expectAllWellFormed(serverCost, file) as [ChartSpec, ChartSpec];
    expect(cpu.table.rows).toHaveLength(datasetsOf(cpu).length);
    for (const r of fixed) {
      expect(cpu.reading).toContain(`${formatMs(r.metrics.server?.cpuMsPer1kDeliveries)} ms`);
      expect(rss.reading).toContain(`${formatMs((r.metrics.server?.rssBytesPerConnection ?? 0) / 1024)} KB`);
    }
  });

  it('draws three timelines per scenario and encoding', () => {
    const specs = expectAllWellFormed(timelines, file);
    expect(specs).toHaveLength(groups.length * 3);
    for (const spec of specs) {
      expect(spec.table.rows).toHaveLength(transportSeries(spec).length);
      expect(spec.reading).toMatch(/In the measured window \((ws )?seconds? \d/);
    }
  });

  it('flags what it draws from client-bound or incomplete runs', () => {
    const all = CHART_BUILDERS.flatMap((b) => charts(b.build({ results: file, baseline: null })));
    for (const r of file.runs.filter((x) => x.clientBound || !x.complete)) {
      expect(all.some((s) => s.flags.some((f) => f.startsWith(`${r.transport} ${r.scenario} ${r.encoding}`)))).toBe(true);
    }
  });
});

/** reports/compare.ts: two results files (or two sets of repeats) in, per-figure deltas with measured noise and a verdict out. */
import { describe, expect, it } from 'vitest';
import { summarize, type Summary } from '../../metrics/histogram.ts';
import type { ResultsFile, RunRecord, TimelinePoint } from '../../metrics/result-types.ts';
import { readResultsFile } from '../../metrics/results-io.ts';
import { ASSUMED_NOISE, compareResults, DEFAULT_MINIMUM_EFFECT, type Comparison, type FigureDelta } from '../../reports/compare.ts';
import { combinedHalfWidth, meanInterval, median, tCritical95 } from '../../reports/compare/noise.ts';
import {
  SAMPLE_RESULTS_PATH,
  buildBrowserCost,
  buildCapacity,
  buildReconnectMetrics,
  buildResults,
  buildRun,
  histogramOf,
  type RunOverrides,
} from '../support/results.ts';

// ---------------------------------------------------------------------------------------------
// Runs as the quick profile writes them: 200 feed subscribers at 50 messages/s (10,000
// deliveries/s), a 3 s window, one timeline point per second.

interface Second {
  deliveries: number;
  p99: number | null;
  serverCpu: number | null;
  clientCpu?: number;
  rss?: number | null;
}

/** Steady seconds, like a quiet machine's: deliveries within 1 %, p99 within 10 %, CPU within 6 %. */
const STEADY: Second[] = [
  { deliveries: 9983, p99: 11.5, serverCpu: 0.18, clientCpu: 0.3, rss: 113_864_704 },
  { deliveries: 10_017, p99: 10.4, serverCpu: 0.19, clientCpu: 0.3, rss: 114_520_064 },
  { deliveries: 9897, p99: 11.5, serverCpu: 0.18, clientCpu: 0.29, rss: 115_044_352 },
];

/** Seconds of a busy machine: another process took a core during the first two. */
const NOISY: Second[] = [
  { deliveries: 10_462, p99: 135.9, serverCpu: 0.17, clientCpu: 0.4, rss: 107_167_744 },
  { deliveries: 10_000, p99: 13.6, serverCpu: 0.28, clientCpu: 0.28, rss: 111_230_976 },
  { deliveries: 9807, p99: 148, serverCpu: 0.14, clientCpu: 0.22, rss: 112_279_552 },
];

/** A warm-up second, the window's seconds, a drain second. */
function timeline(seconds: Second[]): TimelinePoint[] {
  const point = (t: number, phase: TimelinePoint['phase'], s: Second): TimelinePoint => ({
    t,
    phase,
    deliveries: s.deliveries,
    latencyP99Ms: s.p99,
    connections: 200,
    clientCpuCores: s.clientCpu ?? 0.3,
    serverCpuCores: s.serverCpu,
    serverRssBytes: s.rss ?? 114_000_000,
    serverLoopDelayP99Ms: 12,
  });
  return [
    point(0, 'warmup', { deliveries: 8800, p99: 49, serverCpu: null }),
    ...seconds.map((s, i) => point(i + 1, 'measure', s)),
    point(seconds.length + 1, 'drain', { deliveries: 0, p99: null, serverCpu: 0.05 }),
  ];
}

/** Latencies (µs) spread evenly up to `topMs`, summarized from a real HDR histogram. */
function latency(topMs: number): Summary {
  const values = Array.from({ length: 10_000 }, (_, i) => ((i + 1) / 10_000) * topMs * 1000);
  return summarize(histogramOf(values))!;
}

interface FeedRun {
  seconds?: Second[];
  /** Multiplies every per-second figure (deliveries excepted) and the window's figures: a change in the code. */
  slower?: number;
  fewer?: number;
  overrides?: RunOverrides;
}

/** A feed run whose window figures follow from its seconds, as bench/aggregate.ts computes them. */
function feedRun({ seconds = STEADY, slower = 1, fewer = 1, overrides = {} }: FeedRun = {}): RunRecord {
  const scaled = seconds.map((s) => ({
    ...s,
    deliveries: Math.round(s.deliveries * fewer),
    p99: s.p99 === null ? null : s.p99 * slower,
    serverCpu: s.serverCpu === null ? null : s.serverCpu * slower,
  }));
  const deliveries = scaled.reduce((sum, s) => sum + s.deliveries, 0);
  const cpuMs = scaled.reduce((sum, s) => sum + (s.serverCpu ?? 0) * 1000, 0);
  const rss = scaled[scaled.length - 1]?.rss ?? 114_000_000;
  return buildRun({
    deliveries,
    timeline: timeline(scaled),
    ...overrides,
    load: { connections: 200, offeredDeliveriesPerSec: 10_000, publishRatePerSec: 50, durationMs: 3000, ...overrides.load },
    metrics: {
      latency: latency(12 * slower),
      server: { cpuMsPer1kDeliveries: cpuMs / (deliveries / 1000), rssBytes: rss, rssBytesPerConnection: 60_000 },
      client: { cpuUsPerDelivery: 30 },
      ...overrides.metrics,
    },
  });
}

const file = (runs: RunRecord[], overrides: Parameters<typeof buildResults>[0] = {}): ResultsFile => buildResults({ runs, config: { profile: 'quick' }, ...overrides });

function figure(comparison: Comparison, id: string, runId?: string): FigureDelta {
  const run = runId === undefined ? comparison.runs[0] : comparison.runs.find((r) => r.id === runId);
  const found = run?.figures.find((f) => f.id === id);
  if (found === undefined) throw new Error(`no figure ${id} in ${run?.id ?? 'no run'}: ${run?.figures.map((f) => f.id).join(', ')}`);
  return found;
}

const verdicts = (comparison: Comparison): Record<string, string> =>
  Object.fromEntries(comparison.runs.flatMap((run) => run.figures.map((f) => [`${run.id} ${f.id}`, f.verdict])));

// ---------------------------------------------------------------------------------------------

describe('the noise statistics', () => {
  it('is the 95 % t interval of the mean of the samples', () => {
    expect(tCritical95(2)).toBe(4.303);
    expect(tCritical95(30)).toBe(2.042);
    expect(tCritical95(500)).toBe(2.042);
    expect(() => tCritical95(0)).toThrow(RangeError);
    // mean 12, sample sd 2, 3 samples: 4.303 x 2 / √3.
    const interval = meanInterval([10, 12, 14])!;
    expect(interval.mean).toBe(12);
    expect(interval.halfWidth).toBeCloseTo((4.303 * 2) / Math.sqrt(3), 10);
    expect(interval.relative).toBeCloseTo(interval.halfWidth / 12, 10);
    expect(meanInterval([7])).toBeNull();
    expect(meanInterval([0, 0, 0])).toMatchObject({ halfWidth: 0, relative: 0 });
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const a = { kind: 'assumed', relative: 0.1, halfWidth: 3, reason: '' } as const;
    const b = { kind: 'assumed', relative: 0.1, halfWidth: 4, reason: '' } as const;
    expect(combinedHalfWidth(a, b)).toBe(5);
  });
});

describe('compareResults', () => {
  it('matches runs by id and lists the runs and searches found on one side only', () => {
    const base = file([feedRun(), feedRun({ overrides: { id: 'old-only' } })], { capacity: [buildCapacity(), buildCapacity({ id: 'old-search' })] });
    const head = file([feedRun({ overrides: { id: 'new-only' } }), feedRun()], { capacity: [buildCapacity()] });
    const comparison = compareResults(base, head);
    expect(comparison.runs.map((run) => run.id)).toEqual(['ws/feed/json/node']);
    expect(comparison.onlyInBase).toEqual([{ id: 'old-only', kind: 'fixed' }]);
    expect(comparison.onlyInHead).toEqual([{ id: 'new-only', kind: 'fixed' }]);
    expect(comparison.capacity.map((entry) => entry.id)).toEqual(['ws/feed/json/node/capacity']);
    expect(comparison.capacityOnlyInBase).toEqual(['old-search']);
    expect(comparison.capacityOnlyInHead).toEqual([]);
    expect(comparison.repeats).toEqual({ base: 1, head: 1 });
    expect(comparison.minimumEffect).toBe(DEFAULT_MINIMUM_EFFECT);
  });

  it('gives values, change, direction and a verdict per figure, leaving out what neither run could measure', () => {
    const comparison = compareResults(file([feedRun()]), file([feedRun({ slower: 1.5, fewer: 0.8 })]));
    const p99 = figure(comparison, 'latency-p99');
    expect(p99.better).toBe('lower');
    expect(p99.head.value).toBeCloseTo(p99.base.value! * 1.5, 0);
    expect(p99.delta).toBeCloseTo(p99.head.value! - p99.base.value!, 10);
    expect(p99.relative).toBeCloseTo(0.5, 1);
    expect(p99.verdict).toBe('worse');
    const deliveries = figure(comparison, 'deliveries');
    expect(deliveries).toMatchObject({ better: 'higher', verdict: 'worse' });
    expect(deliveries.relative).toBeCloseTo(-0.2, 2);
    expect(figure(comparison, 'server-cpu').verdict).toBe('worse');
    // The other way round, the same changes are improvements.
    const reverse = compareResults(file([feedRun({ slower: 1.5, fewer: 0.8 })]), file([feedRun()]));
    expect([figure(reverse, 'latency-p99').verdict, figure(reverse, 'deliveries').verdict, figure(reverse, 'server-cpu').verdict]).toEqual(['better', 'better', 'better']);
    // A feed run has no round trip and no Chromium: those figures are not there at all.
    expect(comparison.runs[0]!.figures.map((f) => f.id)).toEqual([
      'deliveries',
      'latency-p50',
      'latency-p99',
      'bytes',
      'server-cpu',
      'client-cpu',
      'rss-per-connection',
      'lost',
    ]);
  });

  it('measures each side’s noise from the per-second values of its window', () => {
    const comparison = compareResults(file([feedRun()]), file([feedRun({ seconds: NOISY })]));
    const deliveries = figure(comparison, 'deliveries');
    const expected = meanInterval(STEADY.map((s) => s.deliveries))!;
    expect(deliveries.base.noise).toEqual({ kind: 'measured', source: 'per-second', samples: 3, relative: expected.relative, halfWidth: expected.relative * deliveries.base.value! });
    // CPU per 1k deliveries per second: cores x 1e6 / deliveries.
    const cpu = figure(comparison, 'server-cpu');
    const cpuSamples = STEADY.map((s) => (s.serverCpu! * 1e6) / s.deliveries);
    expect(cpu.base.noise?.relative).toBeCloseTo(meanInterval(cpuSamples)!.relative, 10);
    // The busy machine's seconds spread more, so its noise is wider, figure by figure.
    for (const id of ['deliveries', 'latency-p99', 'server-cpu', 'client-cpu', 'rss-per-connection']) {
      const f = figure(comparison, id);
      expect(f.head.noise!.relative, id).toBeGreaterThan(f.base.noise!.relative);
    }
    // The difference's noise combines both sides.
    const p99 = figure(comparison, 'latency-p99');
    expect(p99.noise).toBeCloseTo(Math.hypot(p99.base.noise!.halfWidth, p99.head.noise!.halfWidth), 10);
  });

  it('calls a change within noise unless it is beyond both the noise and the minimum effect', () => {
    // p99 50 % worse: far beyond 5 %, but a busy machine's seconds moved by more than that.
    const noisy = figure(compareResults(file([feedRun({ seconds: NOISY })]), file([feedRun({ seconds: NOISY, slower: 1.5 })])), 'latency-p99');
    expect(noisy).toMatchObject({ verdict: 'within noise', limitedBy: 'noise' });
    expect(Math.abs(noisy.delta!)).toBeGreaterThan(DEFAULT_MINIMUM_EFFECT * noisy.base.value!);
    // The same 50 % on steady seconds is a regression; 20 % is not, with 3 seconds a side moving by about 14 %.
    expect(figure(compareResults(file([feedRun()]), file([feedRun({ slower: 1.5 })])), 'latency-p99').verdict).toBe('worse');
    expect(figure(compareResults(file([feedRun()]), file([feedRun({ slower: 1.2 })])), 'latency-p99')).toMatchObject({ verdict: 'within noise', limitedBy: 'noise' });
    // 3 % fewer deliveries on steady seconds: beyond their noise (about 2 %), below the 5 % minimum effect.
    const small = figure(compareResults(file([feedRun()]), file([feedRun({ fewer: 0.97 })])), 'deliveries');
    expect(Math.abs(small.delta!)).toBeGreaterThan(small.noise!);
    expect(small).toMatchObject({ verdict: 'within noise', limitedBy: 'minimum effect', minimumEffect: { relative: 0.05 } });
    // A smaller minimum effect, for every figure or for this one, makes it count.
    expect(figure(compareResults(file([feedRun()]), file([feedRun({ fewer: 0.97 })]), { minimumEffect: 0.01 }), 'deliveries').verdict).toBe('worse');
    const perFigure = compareResults(file([feedRun()]), file([feedRun({ fewer: 0.97 })]), { minimumEffects: { deliveries: 0.01 } });
    expect(figure(perFigure, 'deliveries').verdict).toBe('worse');
    expect(perFigure.minimumEffect).toBe(DEFAULT_MINIMUM_EFFECT);
    // The same file on both sides: no difference at all.
    const same = compareResults(file([feedRun({ seconds: NOISY })]), file([feedRun({ seconds: NOISY })]));
    expect(new Set(Object.values(verdicts(same)))).toEqual(new Set(['within noise']));
  });

  it('says where the noise comes from when a figure has no per-second values of its own', () => {
    const base = file([feedRun(), buildRun({ client: 'browser', timeline: [], metrics: { client: { browser: buildBrowserCost() } } })]);
    const head = file([feedRun({ overrides: { lost: 1 } }), buildRun({ client: 'browser', timeline: [], metrics: { client: { browser: buildBrowserCost({ memoryBytesPerClient: 4_120_000 * 1.25 }) } } })]);
    const comparison = compareResults(base, head);
    // The window's p50 borrows its seconds' p99 spread.
    expect(figure(comparison, 'latency-p50').base.noise).toMatchObject({ kind: 'measured', source: 'per-second', samples: 3, of: 'delivery p99' });
    // Counts have no sampling noise: one lost delivery more than none is a change.
    expect(figure(comparison, 'lost')).toMatchObject({ base: { value: 0, noise: { kind: 'exact' } }, delta: 1, relative: null, verdict: 'worse' });
    expect(figure(comparison, 'bytes').base.noise).toMatchObject({ kind: 'exact' });
    // Memory is read once: the documented allowance stands in (10 % a side, about 15 % for the two), and 25 % is beyond it.
    const memory = figure(comparison, 'chromium-memory', 'ws/feed/json/browser');
    expect(memory.base.noise).toMatchObject({ kind: 'assumed', relative: ASSUMED_NOISE, reason: expect.stringMatching(/window’s end/) });
    expect(memory.verdict).toBe('worse');
    // A run without a timeline falls back too, and says why.
    expect(figure(comparison, 'deliveries', 'ws/feed/json/browser').base.noise).toMatchObject({ kind: 'assumed', reason: 'fewer than 2 per-second samples in the window' });
    // Long-poll bytes depend on how polls batch: assumed, not exact.
    const longPoll = compareResults(file([feedRun({ overrides: { transport: 'long-poll' } })]), file([feedRun({ overrides: { transport: 'long-poll' } })]));
    expect(figure(longPoll, 'bytes').base.noise).toMatchObject({ kind: 'assumed', relative: ASSUMED_NOISE });
  });

  it('marks figures not comparable, with the reason', () => {
    const chat = (rtt: Summary | null) => feedRun({ overrides: { scenario: 'chat', metrics: { rtt } } });
    const browser = (): RunRecord => buildRun({ client: 'browser', metrics: { client: { browser: buildBrowserCost() } } });
    const base = file([chat(null), browser(), feedRun(), feedRun({ overrides: { transport: 'sse' } })]);
    const head = file([
      chat(latency(20)),
      browser(),
      feedRun({ overrides: { load: { connections: 1000 } } }),
      feedRun({ overrides: { transport: 'sse', complete: false } }),
    ]);
    const comparison = compareResults(base, head);
    expect(figure(comparison, 'rtt-p99', 'ws/chat/json/node')).toMatchObject({ verdict: 'not comparable', reason: 'not measured in the baseline', base: { value: null }, delta: null });
    expect(figure(comparison, 'bytes', 'ws/feed/json/browser')).toMatchObject({ verdict: 'not comparable', reason: expect.stringMatching(/browser runs measure no bytes/) });
    const load = comparison.runs.find((run) => run.id === 'ws/feed/json/node')!;
    expect(load.loadDifferences).toEqual(['connections 200 → 1,000']);
    expect(new Set(load.figures.map((f) => f.reason))).toEqual(new Set(['different load: connections 200 → 1,000']));
    // Not comparable, but the numbers are still there to read.
    expect(figure(comparison, 'deliveries', 'ws/feed/json/node')).toMatchObject({ verdict: 'not comparable', delta: 0 });
    expect(figure(comparison, 'latency-p99', 'sse/feed/json/node')).toMatchObject({ verdict: 'not comparable', reason: 'the current run is incomplete' });
  });

  it('compares capacity searches, and not those that did not find the server’s limit', () => {
    const search = (sustained: number | null, o: Parameters<typeof buildCapacity>[0] = {}) =>
      buildCapacity({ sustained: sustained === null ? null : { deliveriesPerSec: sustained }, ...o });
    const one = (base: ReturnType<typeof search>, head: ReturnType<typeof search>) => compareResults(file([], { capacity: [base] }), file([], { capacity: [head] })).capacity[0]!.sustained;
    expect(one(search(20_000), search(40_000))).toMatchObject({ better: 'higher', relative: 1, verdict: 'better', base: { noise: { kind: 'assumed' } } });
    expect(one(search(20_000), search(20_400)).verdict).toBe('within noise');
    expect(one(search(20_000), search(null))).toMatchObject({ verdict: 'worse', reason: 'no step held the SLO in the current run' });
    expect(one(search(null), search(null)).verdict).toBe('within noise');
    expect(one(search(null, { stopReason: 'client-bound' }), search(20_000))).toMatchObject({ verdict: 'not comparable', reason: expect.stringMatching(/baseline’s search was client-bound/) });
    expect(one(search(20_000), search(40_000, { slo: { p99Ms: 50, maxLoss: 0 } }))).toMatchObject({ verdict: 'not comparable', reason: 'different SLO: p99 ≤ 100 ms, loss ≤ 0 → p99 ≤ 50.0 ms, loss ≤ 0' });
  });

  it('a capacity search bisected coarser than the assumed noise is only known to within its resolution', () => {
    const search = (sustained: number, resolution: number) => buildCapacity({ sustained: { deliveriesPerSec: sustained }, resolution, searchEnd: 'bracketed' });
    const one = (base: ReturnType<typeof search>, head: ReturnType<typeof search>) => compareResults(file([], { capacity: [base] }), file([], { capacity: [head] })).capacity[0]!.sustained;
    expect(one(search(20_000, 0.1), search(25_000, 0.1)).verdict).toBe('better');
    const coarse = one(search(20_000, 0.4), search(25_000, 0.4));
    expect(coarse.head.noise).toMatchObject({ kind: 'assumed', relative: 0.4, reason: expect.stringContaining('within 40 %') });
    expect(coarse.verdict).toBe('within noise');
  });

  it('compares reconnect runs on resume time and missed messages', () => {
    const reconnect = (resumeP99: number, missed: number) =>
      buildRun({ client: 'browser', kind: 'reconnect', reconnect: buildReconnectMetrics({ resume: { ...buildReconnectMetrics().resume!, p99: resumeP99 }, missed }) });
    const comparison = compareResults(file([reconnect(1040, 0)]), file([reconnect(1300, 0)]));
    expect(figure(comparison, 'resume-p99')).toMatchObject({ verdict: 'worse', base: { noise: { kind: 'assumed' } } });
    expect(figure(comparison, 'missed')).toMatchObject({ verdict: 'within noise', delta: 0 });
  });

  it('with repeats: the median per side, and from 3 repeats the spread across them', () => {
    const repeats = (factors: number[]): [ResultsFile, ...ResultsFile[]] => {
      const [first, ...rest] = factors.map((slower) => file([feedRun({ slower })]));
      return [first!, ...rest];
    };
    const base = repeats([1, 1.02, 0.98, 1.01, 0.99]);
    const comparison = compareResults(base, repeats([1.1, 1.12, 1.08, 1.11, 1.09]));
    expect(comparison.repeats).toEqual({ base: 5, head: 5 });
    const cpu = figure(comparison, 'server-cpu');
    expect(cpu.base.values).toHaveLength(5);
    expect(cpu.base.value).toBe(median(cpu.base.values));
    expect(cpu.base.noise).toMatchObject({ kind: 'measured', source: 'repeats', samples: 5 });
    // Repeats 2 % apart: a 10 % regression stands out, though each window's own seconds spread by more.
    expect(cpu.verdict).toBe('worse');
    expect(cpu.base.noise!.relative).toBeLessThan(figure(compareResults(base[0], base[0]), 'server-cpu').base.noise!.relative);
    // Two repeats are too few for a spread: their seconds are pooled.
    const two = figure(compareResults(repeats([1, 1.02]), repeats([1, 1.02])), 'server-cpu');
    expect(two.base.noise).toMatchObject({ kind: 'measured', source: 'per-second', samples: 6 });
    expect(two.verdict).toBe('within noise');
  });

  it('says when the two sides were measured differently or on a busy machine', () => {
    const base = file([feedRun()], { environment: { cpuCount: 8, node: 'v22.1.0', otherCpuCores: 1.18 }, config: { profile: 'default' } });
    const comparison = compareResults(base, file([feedRun()], { environment: { otherCpuCores: 0.1 } }));
    expect(comparison.environmentDifferences).toEqual(['CPU count: 8 → 2', 'Node: v22.1.0 → v20.19.0', 'profile: default → quick']);
    expect(comparison.caveats).toEqual([expect.stringMatching(/^the baseline was measured while other processes kept 1\.18 cores busy/)]);
    expect(compareResults(file([feedRun()]), file([feedRun()]))).toMatchObject({ environmentDifferences: [], caveats: [] });
  });

  it('finds nothing but noise between a real results file and itself', async () => {
    const sample = await readResultsFile(SAMPLE_RESULTS_PATH);
    const comparison = compareResults(sample, sample);
    expect(comparison.runs).toHaveLength(sample.runs.length);
    const all = [...comparison.runs.flatMap((run) => run.figures), ...comparison.capacity.map((entry) => entry.sustained)];
    expect(all.length).toBeGreaterThan(sample.runs.length * 5);
    const decided = all.filter((f) => f.verdict !== 'within noise');
    // Only what a search that stopped at the lab's limit cannot say.
    expect(decided.every((f) => f.verdict === 'not comparable' && f.reason !== null && /client-bound|interrupted|failed/.test(f.reason))).toBe(true);
    expect(all.filter((f) => f.verdict === 'within noise' && f.delta !== null).every((f) => f.delta === 0)).toBe(true);
  });
});

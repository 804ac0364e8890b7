/** The CI gate's verdicts and outputs (reports/gate/gate.ts, formats.ts) on built results files. */
import { describe, expect, it } from 'vitest';
import { gate, parseThreshold, type GateFigure } from '../../reports/gate/gate.ts';
import { bencherMetricFormat, gateExitCode, gateMarkdown, githubActionBenchmark } from '../../reports/gate/formats.ts';
import type { ResultsFile } from '../../metrics/result-types.ts';
import { buildResults, buildRun, buildServerMetrics } from '../support/results.ts';

/** A file of one ws feed run and one sse feed run: server CPU per 1k deliveries as given, bytes per message 130 (ws) and 150 (sse). */
function file(serverCpu: { ws: number; sse: number }, options: { otherCpuCores?: number; wsBytes?: number; rss?: number } = {}): ResultsFile {
  const run = (transport: 'ws' | 'sse', cpu: number, bytes: number) =>
    buildRun({ transport, metrics: { server: buildServerMetrics({ cpuMsPer1kDeliveries: cpu, ...(options.rss === undefined ? {} : { rssBytesPerConnection: options.rss }) }), bytes: { perMessage: bytes } } });
  return buildResults({ runs: [run('ws', serverCpu.ws, options.wsBytes ?? 130), run('sse', serverCpu.sse, 150)], environment: { otherCpuCores: options.otherCpuCores ?? 0.02 } });
}

const jitter = [1, 1.03, 0.98, 1.01, 0.99];
const side = (ws: number, sse: number, extra: { otherCpuCores?: number; wsBytes?: number } = {}) => jitter.map((j) => file({ ws: ws * j, sse: sse * j }, extra));
const figure = (report: ReturnType<typeof gate>, name: string): GateFigure => report.figures.find((f) => f.name === name)!;

describe('gate verdicts', () => {
  it('calls a 20 % rise in server CPU a regression, names that figure only, and exits 99', () => {
    const report = gate(side(10, 10), side(12, 10));
    expect(figure(report, 'ws.feed.server-cpu').verdict).toBe('regression');
    expect(figure(report, 'ws.feed.server-cpu').ratio).toBeCloseTo(1.2, 5);
    expect(figure(report, 'sse.feed.server-cpu').verdict).toBe('no change');
    expect(report.regressions.map((f) => f.name)).toEqual(['ws.feed.server-cpu']);
    expect(gateExitCode(report, false)).toBe(99);
  });

  it('lets a change through below its threshold, and a per-figure threshold (k6-style) widens it', () => {
    expect(gate(side(10, 10), side(10.5, 10)).regressions).toEqual([]);
    const report = gate(side(10, 10), side(12, 10), { thresholds: [parseThreshold('ws.feed.server-cpu:+25%')] });
    expect(figure(report, 'ws.feed.server-cpu').threshold).toBe(0.25);
    expect(report.regressions).toEqual([]);
    expect(gateExitCode(report, false)).toBe(0);
  });

  it('never fails on a busy machine: a regression measured there is inconclusive (noisy machine)', () => {
    const report = gate(side(10, 10), side(12, 10, { otherCpuCores: 0.8 }));
    expect(figure(report, 'ws.feed.server-cpu').verdict).toBe('inconclusive');
    expect(figure(report, 'ws.feed.server-cpu').reason).toMatch(/noisy machine/);
    expect(gateExitCode(report, false)).toBe(0);
    expect(gateExitCode(report, true)).toBe(99);
  });

  it('is inconclusive with fewer than 5 runs a side, whatever the ratio', () => {
    const report = gate(side(10, 10).slice(0, 3), side(20, 10).slice(0, 3));
    expect(figure(report, 'ws.feed.server-cpu').verdict).toBe('inconclusive');
    expect(figure(report, 'ws.feed.server-cpu').reason).toMatch(/3 runs on a side, 5 needed/);
  });

  it('reports any change in counted bytes and fails one beyond the bytes threshold (1 %)', () => {
    const small = gate(side(10, 10), side(10, 10, { wsBytes: 131 }));
    expect(figure(small, 'ws.feed.bytes').verdict).toBe('no change');
    expect(figure(small, 'ws.feed.bytes').reason).toMatch(/counted: changed by \+0\.77 %/);
    const large = gate(side(10, 10), side(10, 10, { wsBytes: 140 }));
    expect(figure(large, 'ws.feed.bytes').verdict).toBe('regression');
  });

  it('says the smallest regression its runs could have flagged: the threshold for steady runs, more for spread ones', () => {
    const steady = gate(side(10, 10), side(10, 10));
    expect(figure(steady, 'ws.feed.server-cpu').detectable).toBeCloseTo(0.1, 2);
    const spread = [1, 1.3, 0.8, 1.1, 0.9];
    const wide = (cpu: number) => spread.map((j) => file({ ws: cpu * j, sse: 10 }));
    // Five runs a side reach p < 0.01 only when every head run is beyond every base run: 0.8 x f > 1.3.
    expect(figure(gate(wide(10), wide(10)), 'ws.feed.server-cpu').detectable).toBeCloseTo(0.625, 2);
    expect(figure(gate(side(10, 10).slice(0, 3), side(10, 10).slice(0, 3)), 'ws.feed.server-cpu').detectable).toBeNull();
  });

  it('fails a head that lost a benchmark the base completed, with the lab’s reason; one it never ran is only listed', () => {
    const crashed = side(10, 10).map((f, i) => (i === 2 ? { ...f, runs: f.runs.filter((r) => r.transport !== 'sse'), notices: ['sse feed json failed: the sse server process exited by itself (exit code 1)'] } : f));
    const report = gate(side(10, 10), crashed);
    expect(report.failedInHead).toEqual([{ benchmark: 'sse.feed', base: 5, head: 4, why: ['sse feed json failed: the sse server process exited by itself (exit code 1)'] }]);
    expect(gateExitCode(report, false)).toBe(99);
    expect(gateMarkdown(report, { baseLabel: 'b', headLabel: 'h' })).toMatch(/## pushbench CI gate: \*\*1 regression\*\*[\s\S]*### Failed in head[\s\S]*`sse.feed`: complete in 5 base and 4 head runs: sse feed json failed/);
    const incomplete = side(10, 10).map((f, i) => (i === 0 ? { ...f, runs: f.runs.map((r) => (r.transport === 'sse' ? { ...r, complete: false } : r)) } : f));
    expect(gate(side(10, 10), incomplete).failedInHead.map((m) => m.benchmark)).toEqual(['sse.feed']);
    const never = side(10, 10).map((f) => ({ ...f, runs: f.runs.filter((r) => r.transport !== 'sse') }));
    const listed = gate(side(10, 10), never);
    expect(listed.failedInHead).toEqual([]);
    expect(listed.unmatched.map((m) => m.benchmark)).toEqual(['sse.feed']);
    expect(gateExitCode(listed, false)).toBe(0);
  });

  it('never fails a chance split within the runs’ own spread: wholly apart, beyond 10 %, yet within each side’s range', () => {
    // Five runs a side, 2.2 times apart on one side (server memory per connection on this machine): all head above all base by chance.
    const base = [47_841, 55_132, 47_841, 25_303, 48_148].map((rss) => file({ ws: 10, sse: 10 }, { rss }));
    const head = [62_259, 58_491, 62_116, 58_327, 61_112].map((rss) => file({ ws: 10, sse: 10 }, { rss }));
    // At the 10 % threshold (server memory's own default is 50 %, for this very spread).
    expect(figure(gate(base, head), 'ws.feed.rss').threshold).toBe(0.5);
    const rss = figure(gate(base, head, { thresholds: [parseThreshold('rss:+10%')] }), 'ws.feed.rss');
    expect(rss.p).toBeLessThan(0.01);
    expect(rss.ratio).toBeGreaterThan(1.1);
    expect(rss.verdict).toBe('inconclusive');
    expect(rss.reason).toMatch(/within the runs' own spread \(a side's runs 2\.18 times apart\)/);
  });

  it('combines a figure over every benchmark: a change within one benchmark’s spread shows in all.*', () => {
    // 15 % more server CPU in six benchmarks whose runs spread 1.2 times: each benchmark's runs overlap or lie within their spread.
    const jitters = [
      [1, 1.09, 0.91, 1.04, 0.96],
      [0.96, 1.04, 1, 0.91, 1.09],
      [1.04, 0.91, 1.09, 1, 0.96],
    ];
    const benchmarks = (['ws', 'sse', 'long-poll'] as const).flatMap((transport) => (['feed', 'chat'] as const).map((scenario) => ({ transport, scenario })));
    const sideOf = (factor: number, shift: number) =>
      [0, 1, 2, 3, 4].map((run) =>
        buildResults({
          runs: benchmarks.map(({ transport, scenario }, i) => buildRun({ transport, scenario, metrics: { server: buildServerMetrics({ cpuMsPer1kDeliveries: 10 * (i + 1) * factor * jitters[(i + shift) % 3]![run]! }) } })),
          environment: { otherCpuCores: 0.02 },
        }),
      );
    const report = gate(sideOf(1, 0), sideOf(1.15, 1));
    for (const { transport, scenario } of benchmarks) expect(figure(report, `${transport}.${scenario}.server-cpu`).verdict).not.toBe('regression');
    const combined = figure(report, 'all.server-cpu');
    expect(combined.combines).toHaveLength(6);
    expect(combined.ratio).toBeCloseTo(1.15, 1);
    expect(combined.p).toBeLessThan(0.001);
    expect(combined.verdict).toBe('regression');
    expect(report.regressions.map((f) => f.name)).toContain('all.server-cpu');
    expect(figure(gate(sideOf(1, 0), sideOf(1, 1)), 'all.server-cpu').verdict).not.toBe('regression');
  });

  it('refuses a malformed threshold with what it accepts', () => {
    expect(() => parseThreshold('p99=15')).toThrow(/NAME:\+N%/);
    expect(() => parseThreshold('latency:+15%')).toThrow(/not a figure key/);
    expect(parseThreshold('*.feed.p99:+15%')).toEqual({ pattern: '*.feed.p99', relative: 0.15 });
  });
});

describe('gate outputs', () => {
  const report = gate(side(10, 10), side(12, 10));

  it('writes github-action-benchmark custom tool entries: {name, unit, value, range?, extra?} in the right array', () => {
    const action = githubActionBenchmark(report);
    const all = [...action.customSmallerIsBetter, ...action.customBiggerIsBetter];
    for (const entry of all) {
      expect(Object.keys(entry).every((key) => ['name', 'unit', 'value', 'range', 'extra'].includes(key))).toBe(true);
      expect(typeof entry.name).toBe('string');
      expect(typeof entry.unit).toBe('string');
      expect(Number.isFinite(entry.value)).toBe(true);
    }
    expect(action.customSmallerIsBetter.map((e) => e.name)).toContain('ws.feed.server-cpu');
    expect(action.customBiggerIsBetter.map((e) => e.name)).toContain('ws.feed.throughput');
    expect(action.customSmallerIsBetter.find((e) => e.name === 'ws.feed.server-cpu')!.value).toBeCloseTo(12, 5);
  });

  it('writes the Bencher Metric Format: {benchmark: {measure: {value, lower_value, upper_value}}}', () => {
    const bmf = bencherMetricFormat(report);
    const measure = bmf['ws.feed']!['server-cpu']!;
    expect(Object.keys(measure).sort()).toEqual(['lower_value', 'upper_value', 'value']);
    expect(measure.lower_value).toBeLessThanOrEqual(measure.value);
    expect(measure.upper_value).toBeGreaterThanOrEqual(measure.value);
  });

  it('puts regressions first in the markdown summary', () => {
    const markdown = gateMarkdown(report, { baseLabel: 'base', headLabel: 'head' });
    expect(markdown.split('\n')[0]).toBe('## pushbench CI gate: **1 regression**');
    expect(markdown.indexOf('### Regressions')).toBeLessThan(markdown.indexOf('### Improvements and no change'));
    expect(markdown).toMatch(/\| `ws\.feed\.server-cpu` \| 10 ms \| 12 ms \| 1\.200 \|/);
  });
});

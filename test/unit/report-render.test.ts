import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../metrics/histogram.ts';
import type { CapacityResult, ResultsFile, RunRecord, ServerMetrics } from '../../metrics/result-types.ts';
import { readResultsFile, validateResults } from '../../metrics/results-io.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { escapeHtml, escapeScriptSource, isNumericCell, jsonForScript, renderTable } from '../../reports/html/html.ts';
import { CHART_DATA_ID, FORMATTER_NAMES, FORMATTERS_SOURCE, PAGE_SCRIPT } from '../../reports/html/page-script.ts';
import { inlineChartJs, renderDocument, renderReport, type ReportParts } from '../../reports/html/render-report.ts';
import { renderVerdictTable, summarySentence } from '../../reports/html/sections/answer.ts';
import { formatFigure, formatPercent, renderBaseline, verdictText } from '../../reports/html/sections/baseline.ts';
import { SAMPLE_RESULTS_PATH, buildCapacity, buildResults, buildRun, buildSummary } from '../support/results.ts';
import { flattenConfig, renderEnvironment } from '../../reports/html/sections/environment.ts';
import { chartSections, renderChartSection } from '../../reports/html/sections/evidence.ts';
import { REPORT_CSS } from '../../reports/html/style.ts';
import type { ChartSection, ComparisonRow, Verdict } from '../../reports/html/types.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';

const CHART_JS = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'),
  'utf8',
);

// ---------------------------------------------------------------------------------------------
// A hand-built results file.

const summary = (p99: number): Summary => buildSummary(p99);

interface RunOverrides {
  id?: string;
  transport?: TransportName;
  latency?: Summary | null;
  rtt?: Summary | null;
  deliveries?: number;
  lost?: number;
  server?: ServerMetrics | null;
  bytesPerMessage?: number | null;
  clientBound?: boolean;
  complete?: boolean;
  notes?: string[];
}

/** A ws feed run (20 connections, 3 s window) with buildRun's defaults, changed only where the test says. */
function run(o: RunOverrides = {}): RunRecord {
  return buildRun({
    id: o.id,
    transport: o.transport,
    deliveries: o.deliveries,
    lost: o.lost,
    complete: o.complete,
    notes: o.notes,
    clientBoundReasons: o.clientBound ? ['load worker CPU 0.97 cores'] : [],
    metrics: {
      latency: o.latency,
      rtt: o.rtt ?? null,
      server: o.server,
      bytes: { perMessage: o.bytesPerMessage, overheadPerMessage: null, downPerMessage: null, upPerMessage: null, handshakePerConnection: null },
    },
  });
}

/** A ws feed search that sustained `sustained` deliveries/s at its second step (null: none) and broke at its third. */
function capacity(transport: TransportName, sustained: number | null): CapacityResult {
  const id = `${transport}/feed/json/node/capacity`;
  return buildCapacity({
    transport,
    sustained: sustained === null ? null : { offeredDeliveriesPerSec: sustained, deliveriesPerSec: sustained, runId: `${id}/step2` },
    broke: { offeredDeliveriesPerSec: 99_000, runId: `${id}/step3` },
    steps: [`${id}/step1`, `${id}/step2`, `${id}/step3`],
  });
}

function results(overrides: Partial<ResultsFile> = {}): ResultsFile {
  return buildResults({
    environment: {
      hostname: 'bench-host',
      gitCommit: '0123456789abcdef0123456789abcdef01234567',
      gitDirty: true,
      finishedAt: '2026-01-01T00:02:05.000Z',
      otherCpuCores: 0.05,
    },
    config: { profile: 'quick', transports: ['ws', 'sse', 'long-poll'], feed: { subscribers: 200, ratePerSec: 50 }, target: null },
    clock: { samples: [{ process: 'ws server', offsetUs: 12, uncertaintyUs: 300 }], maxAbsOffsetUs: 12, agreed: true },
    runs: [run(), run({ transport: 'sse' }), run({ transport: 'long-poll' })],
    ...overrides,
  });
}

const chart = (id: string, overrides: Partial<Extract<ChartSection, { kind: 'chart' }>['spec']> = {}): ChartSection => ({
  kind: 'chart',
  spec: {
    id,
    title: `Chart ${id}`,
    reading: `ws is fastest on ${id}.`,
    config: {
      type: 'line',
      data: { datasets: [{ label: 'ws', data: [{ x: 10, y: 4.2 }] }] },
      options: { scales: { x: { type: 'logarithmic', ticks: { pushbenchFormat: 'percentile' } }, y: { ticks: { pushbenchFormat: 'ms' } } } },
    },
    table: { caption: `Numbers of ${id}`, columns: ['transport', 'p99'], rows: [['ws', '4.20 ms'], ['sse', '5.89 ms']] },
    flags: [],
    ...overrides,
  },
});

const missing: ChartSection = { kind: 'missing', id: 'reconnect', title: 'Reconnect storm', reason: 'no reconnect scenario in this run' };

const verdict: Verdict = {
  scenario: 'feed',
  transports: ['ws', 'sse', 'long-poll'],
  criteria: [
    {
      id: 'latency-p99',
      label: 'Delivery latency (p99)',
      unit: 'ms',
      better: 'lower',
      figures: {
        ws: { value: 4.2, text: '4.20 ms', flags: ['client-bound'] },
        sse: { value: 5.89, text: '5.89 ms', flags: [] },
        'long-poll': { value: 9.03, text: '9.03 ms', flags: ['incomplete'] },
      },
      winner: 'ws',
      margin: 'ws: 29 % lower than sse (4.20 ms vs 5.89 ms)',
    },
    {
      id: 'capacity',
      label: 'Capacity within the SLO',
      unit: 'deliveries/s',
      better: 'higher',
      figures: {
        ws: { value: 200_100, text: '200,100/s', flags: [] },
        sse: { value: 200_028, text: '200,028/s', flags: [] },
        'long-poll': { value: 310_000, text: '310,000/s', flags: [] },
      },
      winner: 'long-poll',
      margin: 'long-poll: 1.5x higher than ws',
    },
    {
      id: 'rss',
      label: 'Server memory per connection',
      unit: 'KB',
      better: 'lower',
      figures: { ws: { value: 65.9, text: '65.9 KB', flags: [] }, sse: { value: 64.3, text: '64.3 KB', flags: [] } },
      winner: null,
      margin: 'tie within 5 %',
    },
  ],
};

const comparison: ComparisonRow[] = [
  {
    feature: 'Bidirectional',
    cells: {
      ws: { claim: 'Yes', evidence: 'round trip p99 4.67 ms', support: 'measured' },
      sse: { claim: 'No: server->client only', evidence: 'members send by POST', support: 'measured' },
      'long-poll': { claim: 'Sort of', evidence: 'not measured in this run', support: 'not-measured' },
    },
  },
];

function parts(overrides: Partial<ReportParts> = {}): ReportParts {
  return { verdicts: [verdict], comparison, sections: [chart('latency'), missing, chart('bytes')], ...overrides };
}

const page = (file: ResultsFile = results(), p: ReportParts = parts(), baseline: ResultsFile | null = null): string =>
  renderDocument({ results: file, baseline: baseline === null ? null : { base: [baseline] } }, { chartJs: CHART_JS }, p);

/** The text between <script ...> and </script> elements, in order. */
function scripts(html: string): { attributes: string; body: string }[] {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({ attributes: m[1] ?? '', body: m[2] ?? '' }));
}

/** Every attribute that could make the browser fetch something: src, href, action, poster, srcset, url(). */
function fetchingReferences(html: string): string[] {
  const attributes = [...html.matchAll(/\s(?:src|href|action|poster|srcset|formaction|data)\s*=\s*["']?([^"'\s>]*)/gi)]
    .map((m) => m[1] ?? '')
    .filter((value) => !value.startsWith('#'));
  const urls = [...REPORT_CSS.matchAll(/url\(|@import/g)].map((m) => m[0]);
  return [...attributes, ...urls];
}

// ---------------------------------------------------------------------------------------------

describe('the hand-built results', () => {
  it('are valid results files', () => {
    const file = results({ runs: [run(), run({ transport: 'sse', clientBound: true })], capacity: [capacity('ws', 9000)] });
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(2);
  });
});

describe('html helpers', () => {
  it('escapeHtml neutralises markup and quotes', () => {
    expect(escapeHtml(HOSTILE)).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeHtml(`"a" & 'b'`)).toBe('&quot;a&quot; &amp; &#39;b&#39;');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(3)).toBe('3');
  });

  it('escapeScriptSource removes "</script" and "<!--" without changing what the code does', () => {
    const source = `var a = "</script><!--"; var b = /<\\/SCRIPT>/.test("</SCRIPT>"); var c = \`</Script>\`; [a, b, c]`;
    const escaped = escapeScriptSource(source);
    expect(escaped).not.toMatch(/<\/script|<!--/i);
    expect(vm.runInNewContext(escaped)).toEqual(vm.runInNewContext(source));
    const unicodeRegex = 'var r = /<\\/script>/u; r.test("</script>")';
    expect(vm.runInNewContext(escapeScriptSource(unicodeRegex))).toBe(true);
  });

  it('jsonForScript escapes every "<" and still parses to the same value', () => {
    const value = { title: '</script><script>alert(1)</script>', note: '<!-- x -->', line: 'a\u2028b' };
    const json = jsonForScript(value);
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual(value);
  });

  it('renderTable escapes cells, right-aligns numeric columns and has one row per entry', () => {
    const html = renderTable({
      caption: 'Latency <ms>',
      columns: ['transport', 'p99', 'note'],
      rows: [
        ['ws', '4.20 ms', HOSTILE],
        ['sse', '-', 'ok'],
        ['long-poll', '12,300', 'fine'],
      ],
    });
    expect(html).toContain('<caption>Latency &lt;ms&gt;</caption>');
    expect(html).not.toContain('<img');
    expect(html).toContain('<th scope="col" class="num">p99</th>');
    expect(html).toContain('<td class="num">4.20 ms</td>');
    expect(html).toContain('<th scope="col">note</th>');
    expect(html.match(/<tr>/g)).toHaveLength(4);
  });

  it('recognises numbers with units as numeric cells', () => {
    for (const cell of ['4.20 ms', '12,300', '+12.3%', '−4.0%', '180 B', '65.9 KB', '200,100/s', '1.4x', '0']) {
      expect(isNumericCell(cell), cell).toBe(true);
    }
    for (const cell of ['ws', 'not measured', 'feed json', 'p99']) expect(isNumericCell(cell), cell).toBe(false);
  });
});

describe('page script formatters', () => {
  const formatters = vm.runInNewContext(`${FORMATTERS_SOURCE}; FORMATTERS`) as Record<string, (v: number) => string>;

  it('provides exactly the formatters FormatterName names', () => {
    expect(Object.keys(formatters).sort()).toEqual([...FORMATTER_NAMES].sort());
  });

  it("'percentile' labels powers of ten of 1/(1-p) and nothing else", () => {
    const f = formatters['percentile']!;
    expect([1, 10, 100, 1000, 10_000].map(f)).toEqual(['0%', '90%', '99%', '99.9%', '99.99%']);
    expect(f(1 / (1 - 0.999))).toBe('99.9%'); // 1000.0000000000009
    expect([2, 5, 20, 99.99, 0.5, Number.NaN].map(f)).toEqual(['', '', '', '', '', '']);
  });

  it("'count' adds thousands separators", () => {
    const f = formatters['count']!;
    expect([0, 12_000, 1_234_567.891, 2.5, -4500].map(f)).toEqual(['0', '12,000', '1,234,568', '2.5', '-4,500']);
  });

  it("'ms' gives three significant digits and the unit", () => {
    const f = formatters['ms']!;
    expect([12, 0.25, 0.0123, 1.5, 1500, 999.6, 0].map(f)).toEqual(['12 ms', '0.25 ms', '0.0123 ms', '1.5 ms', '1,500 ms', '1,000 ms', '0 ms']);
  });

  it("'bytes' counts 1 KB as 1024 B", () => {
    const f = formatters['bytes']!;
    expect([512, 1024, 1228.8, 12_595, 5 * 1024 * 1024].map(f)).toEqual(['512 B', '1 KB', '1.2 KB', '12.3 KB', '5 MB']);
  });

  it('replaces pushbenchFormat markers by callbacks and draws each canvas with its config', () => {
    const configs = {
      a: { type: 'line', options: { scales: { x: { ticks: { pushbenchFormat: 'percentile' } }, y: { ticks: { pushbenchFormat: 'bytes' } } } } },
      b: { type: 'bar', options: { scales: { x: { type: 'category', ticks: { pushbenchFormat: 'count' } } } } },
    };
    const drawn: { canvas: unknown; config: any }[] = [];
    const replaced: string[] = [];
    const canvas = (id: string) => ({
      getAttribute: () => id,
      parentNode: { parentNode: { replaceChild: (note: { textContent: string }) => replaced.push(note.textContent) } },
    });
    const context = {
      document: {
        getElementById: (id: string) => (id === CHART_DATA_ID ? { textContent: jsonForScript(configs) } : null),
        querySelectorAll: () => [canvas('a'), canvas('b'), canvas('nope')],
        createElement: () => ({ className: '', textContent: '' }),
      },
      Chart: Object.assign(
        function Chart(this: unknown, c: unknown, config: unknown) {
          drawn.push({ canvas: c, config });
        },
        { defaults: { font: {} } },
      ),
      window: { addEventListener: () => undefined },
    };
    vm.runInNewContext(PAGE_SCRIPT, context);
    expect(drawn).toHaveLength(2);
    const a = drawn[0]!.config.options.scales;
    expect(a.x.ticks.pushbenchFormat).toBeUndefined();
    expect(a.x.ticks.callback(100)).toBe('99%');
    expect(a.y.ticks.callback(2048)).toBe('2 KB');
    expect(drawn[0]!.config.options.maintainAspectRatio).toBe(false);
    const category = drawn[1]!.config.options.scales.x.ticks.callback;
    expect(category.call({ type: 'category', getLabelForValue: () => '12000' }, 0)).toBe('12,000');
    expect(replaced).toEqual(['This chart could not be drawn (no configuration for "nope"); its numbers are in the table below.']);
  });
});

describe('the page skeleton', () => {
  it('is one HTML document with the sections in order', () => {
    const html = page(results(), parts(), results());
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.match(/<html/g)).toHaveLength(1);
    const headings = [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]);
    expect(headings).toEqual(['The answer', 'WebSocket vs SSE vs long polling', 'Evidence', 'Baseline', 'Environment']);
    expect(html).toContain('<h1>pushbench report</h1>');
    expect(html).toContain('Date <b>2026-01-01 00:00 UTC</b>');
    expect(html).toContain('<code>0123456+dirty</code>');
    expect(html).toContain('Profile <b>quick</b>');
    expect(page()).not.toContain('<h2>Baseline</h2>');
  });

  it('loads nothing from anywhere: no URL, no src/href to one, chart.js inlined', () => {
    const html = page(results(), parts(), results());
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.(?:com|org|net|io)\b/i);
    expect(fetchingReferences(html)).toEqual([]);
    expect(html).toContain("default-src 'none'");
    const [chartJs, data, own] = scripts(html);
    expect(chartJs?.attributes).toBe('');
    expect(chartJs?.body.length).toBeGreaterThan(CHART_JS.length - 200);
    expect(chartJs?.body).toContain('Chart.js v4');
    expect(data?.attributes).toBe(` type="application/json" id="${CHART_DATA_ID}"`);
    expect(own?.body).toContain('pushbenchFormat');
  });

  it('keeps "</script" out of the inlined chart.js and the chart JSON, even when data contains it', () => {
    const evil = '</script><script>alert(1)</script><!--';
    const hostileChart = chart('evil', { title: evil, reading: evil, config: { type: 'bar', data: { labels: [evil] } } });
    const html = page(results({ notices: [evil] }), parts({ sections: [hostileChart] }));
    expect(html.match(/<script/gi)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
    const found = scripts(html);
    expect(found).toHaveLength(3);
    for (const { body } of found) expect(body).not.toMatch(/<\/script|<!--/i);
    expect(JSON.parse(found[1]!.body)).toEqual({ evil: hostileChart.kind === 'chart' ? hostileChart.spec.config : null });
    expect(inlineChartJs('/*!\n * https://x.org\n */ var s = "</script>";')).toBe('/*!\n * x.org\n */ var s = "\\x3C/script>";');
  });

  it('escapes every string from the results', () => {
    const file = results({
      notices: [HOSTILE],
      interruption: HOSTILE,
      complete: false,
      runs: [run({ id: `ws/${HOSTILE}`, clientBound: true, notes: [HOSTILE] }), run({ transport: 'sse' })],
      config: { profile: HOSTILE, target: HOSTILE },
    });
    file.environment.hostname = `"><svg onload=alert(1)>`;
    file.environment.cpuModel = HOSTILE;
    const evilVerdict: Verdict = { ...verdict, criteria: [{ ...verdict.criteria[0]!, label: HOSTILE, margin: HOSTILE }] };
    const evilChart = chart('x', { title: HOSTILE, reading: HOSTILE, flags: [HOSTILE], table: { caption: HOSTILE, columns: [HOSTILE], rows: [[HOSTILE]] } });
    const html = page(file, parts({ verdicts: [evilVerdict], sections: [evilChart, { ...missing, reason: HOSTILE }] }), results());
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<svg');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shouts when the results are incomplete or client-bound', () => {
    const file = results({
      complete: false,
      interruption: 'SIGINT after 2 of 6 runs',
      runs: [run({ clientBound: true }), run({ transport: 'sse', clientBound: true }), run({ transport: 'long-poll', complete: false })],
    });
    const html = page(file);
    expect(html).toContain('INCOMPLETE RESULTS');
    expect(html).toContain('SIGINT after 2 of 6 runs');
    expect(html).toContain("2 runs were client-bound: their figures describe the lab&#39;s limit, not the server&#39;s");
    expect(html).toContain('load worker CPU 0.97 cores');
    expect(html).toContain('<title>pushbench report, 2026-01-01 00:00 UTC, 0123456+dirty (INCOMPLETE)</title>');

    const one = page(results({ runs: [run({ clientBound: true }), run({ transport: 'sse' })] }));
    expect(one).toContain("1 run was client-bound: its figures describe the lab&#39;s limit, not the server&#39;s");
    expect(one).not.toContain('INCOMPLETE');

    const quiet = page();
    expect(quiet).not.toContain('class="banner');
  });

  it('says when the processes disagree on the time', () => {
    const html = page(results({ clock: { samples: [], maxAbsOffsetUs: 5000, agreed: false } }));
    expect(html).toContain('clocks disagree');
    expect(html).toContain('5,000 µs');
  });
});

describe('the answer', () => {
  it('renders one verdict row per transport, criteria as columns, "best" as a word', () => {
    const html = renderVerdictTable(verdict);
    expect(html).toContain('<table class="verdict" data-scenario="feed">');
    const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
    expect([...body.matchAll(/<tr data-transport="([^"]+)">/g)].map((m) => m[1])).toEqual(['ws', 'sse', 'long-poll']);
    expect(body.match(/<tr/g)).toHaveLength(3);
    expect(html.match(/<th scope="col">/g)).toHaveLength(1 + verdict.criteria.length);
    const wsRow = body.slice(body.indexOf('data-transport="ws"'), body.indexOf('data-transport="sse"'));
    expect(wsRow).toContain('4.20 ms');
    expect(wsRow).toContain('>best<');
    expect(wsRow).toContain('⚠ client-bound');
    const pollRow = body.slice(body.indexOf('data-transport="long-poll"'));
    expect(pollRow).toContain('⚠ incomplete');
    expect(pollRow.match(/>best</g)).toHaveLength(1); // capacity only
    expect(pollRow).toContain('not measured'); // no memory figure
    expect(html.match(/>best</g)).toHaveLength(2);
  });

  it('puts a summary sentence first and one margin line per criterion under each table', () => {
    const html = page();
    const answer = html.slice(html.indexOf('<section id="answer">'), html.indexOf('<section id="comparison">'));
    expect(answer.indexOf('<ul class="summary">')).toBeLessThan(answer.indexOf('<table class="verdict"'));
    expect(answer).toContain(
      'Feed: ws wins on delivery latency (p99); long-poll on capacity within the SLO; no clear winner on server memory per connection.',
    );
    expect(answer).toContain('<span class="crit">Delivery latency (p99)</span>: <b>ws</b>: 29 % lower than sse (4.20 ms vs 5.89 ms)');
    expect(answer).toContain('<span class="crit">Server memory per connection</span>: no winner (tie within 5 %)');
    expect(answer.match(/<ul class="margins"><li>/g)).toHaveLength(1);
    expect(answer.match(/<li><span class="crit">/g)).toHaveLength(3);
  });

  it('summary sentences come from the verdicts alone', () => {
    expect(summarySentence({ ...verdict, criteria: [verdict.criteria[0]!, { ...verdict.criteria[1]!, winner: 'ws' }] })).toBe(
      'Feed: ws wins on every criterion (delivery latency (p99) and capacity within the SLO). Some figures carry caveats (client-bound and incomplete): see the ⚠ marks.',
    );
    expect(summarySentence({ scenario: 'chat', transports: ['ws'], criteria: verdict.criteria })).toBe(
      'Chat: only ws was measured, so there is nothing to compare it with.',
    );
    expect(summarySentence({ scenario: 'chat', transports: [], criteria: [] })).toBe('Chat: no criterion could be measured.');
  });

  it('says so when there is no verdict at all', () => {
    expect(page(results(), parts({ verdicts: [] }))).toContain('No verdict could be computed');
  });
});

describe('the comparison table', () => {
  it('has features as rows, transports as columns, claims over evidence, and marks what was not measured', () => {
    const html = page();
    const section = html.slice(html.indexOf('<section id="comparison">'), html.indexOf('<section id="evidence">'));
    expect(section).toContain('<table class="comparison">');
    expect(section.match(/<th scope="col">/g)).toHaveLength(4);
    expect(section).toContain('<div class="claim">No: server-&gt;client only</div><div class="evidence">members send by POST</div>');
    expect(section).toContain('<td class="not-measured"><div class="claim">Sort of</div>');
    expect(section.match(/not measured in this run/g)).toHaveLength(2); // the lede and the one cell's badge
  });
});

describe('evidence', () => {
  it('renders a chart as a figure with title, reading, canvas and its numbers', () => {
    const html = renderChartSection(chart('latency', { flags: ['client-bound: ws', 'noisy machine'] }));
    expect(html).toMatch(/^<figure class="chart" id="fig-latency">/);
    expect(html).toContain('<h3>Chart latency</h3>');
    expect(html).toContain('<p class="reading">ws is fastest on latency.</p>');
    expect(html).toContain('<div class="chart-box"><canvas id="chart-latency" data-chart="latency"');
    expect(html).toContain('⚠ client-bound: ws');
    expect(html).toContain('<details open>');
    expect(html).toContain('<td class="num">5.89 ms</td>');
  });

  it('renders a missing section as its title and reason, never an empty chart', () => {
    const html = renderChartSection(missing);
    expect(html).toContain('<h3>Reconnect storm</h3>');
    expect(html).toContain('no reconnect scenario in this run');
    expect(html).not.toContain('<canvas');
  });

  it('keeps the builders order, embeds each chart config once under its canvas id, and de-duplicates ids', () => {
    const html = page(results(), parts({ sections: [chart('a'), missing, chart('b'), chart('a')] }));
    const evidence = html.slice(html.indexOf('<section id="evidence">'), html.indexOf('<section id="environment">'));
    expect([...evidence.matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1])).toEqual(['Chart a', 'Reconnect storm', 'Chart b', 'Chart a']);
    const canvases = [...evidence.matchAll(/<canvas id="chart-([^"]+)" data-chart="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(canvases).toEqual([['a', 'a'], ['b', 'b'], ['a-2', 'a-2']]);
    const data = JSON.parse(scripts(html)[1]!.body) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['a', 'b', 'a-2']);
  });

  it('turns a failing chart builder into a missing section that says why', () => {
    const sections = chartSections({ results: results(), baseline: null }, [
      { id: 'ok', build: () => [chart('ok')] },
      {
        id: 'broken',
        build: () => {
          throw new Error('no timeline');
        },
      },
    ]);
    expect(sections.map((s) => s.kind)).toEqual(['chart', 'missing']);
    expect(sections[1]).toMatchObject({ kind: 'missing', reason: 'the chart builder failed: no timeline' });
  });
});

describe('baseline (the CI gate’s statistics)', () => {
  it('writes verdicts in words and symbols, changes as signed percentages, figures with their unit', () => {
    expect((['regression', 'improvement', 'no change', 'inconclusive'] as const).map(verdictText)).toEqual(['regression ▼', 'improvement ▲', 'no change ≈', 'inconclusive ?']);
    expect([12.34, -20, 0, 250.4].map(formatPercent)).toEqual(['+12.3%', '−20.0%', '0.0%', '+250%']);
    expect([formatFigure(1800, 'per-second'), formatFigure(8, 'ms'), formatFigure(42.1, 'us'), formatFigure(180, 'bytes'), formatFigure(61_440, 'bytes'), formatFigure(3, 'count')]).toEqual([
      '1,800/s',
      '8.00 ms',
      '42.1 µs',
      '180 B',
      '60.0 KB',
      '3',
    ]);
  });

  /** One results file per run: a ws feed run with this p99 and these deliveries, 180 bytes a message. */
  const side = (p99s: number[], deliveries: number[]): [ResultsFile, ...ResultsFile[]] =>
    p99s.map((p99, i) => results({ runs: [run({ latency: summary(p99), deliveries: deliveries[i]!, bytesPerMessage: 180 })] })) as [ResultsFile, ...ResultsFile[]];
  const rowOf = (html: string, name: string): string => {
    const start = html.indexOf(`<th scope="row"><code>${name}</code>`);
    expect(start, `a row for ${name}`).toBeGreaterThan(-1);
    return html.slice(start, html.indexOf('</tr>', start));
  };

  it('judges every run of both sides as the gate does: medians, ratio, interval, threshold, smallest detectable, verdict', () => {
    const base = side([10, 11, 12, 10.5, 11.5], [6000, 6010, 5990, 6005, 5995]);
    const head = side([20, 21, 22, 20.5, 21.5], [6002, 6008, 5992, 6004, 5996]);
    const html = renderBaseline(head[0], { base, head });
    expect(html).toContain('<h2>Baseline</h2>');
    expect(html).toContain('5 current runs against 5 baseline runs');
    expect(html).toContain('Judged as the CI gate judges');
    expect(html).not.toContain('no sampled figure can be judged');
    const p99 = rowOf(html, 'ws.feed.p99');
    expect(p99).toContain('<td class="num">21.0 ms<br><span class="muted small">20.0 ms to 22.0 ms, 5 runs</span></td>');
    expect(p99).toContain('<td class="num">11.0 ms<br><span class="muted small">10.0 ms to 12.0 ms, 5 runs</span></td>');
    expect(p99).toContain('<td class="num">1.909<br><span class="muted small">+90.9%</span></td>');
    expect(p99).toContain('p 0.008');
    expect(p99).toContain('<td class="num">±10.0%</td>');
    expect(p99).toContain('<td class="change change-worse">regression ▼</td>');
    // Throughput moved by less than 0.1 %: the whole interval lies within ±10 %.
    expect(rowOf(html, 'ws.feed.throughput')).toContain('no change ≈');
    // Bytes are counted: no sampling, no p-value.
    expect(rowOf(html, 'ws.feed.bytes')).toContain('counted');
    // Regressions first.
    expect(html.indexOf('ws.feed.p99')).toBeLessThan(html.indexOf('ws.feed.throughput'));
    // p50 moves with p99 in these hand-built runs: two regressions.
    expect(html).toContain('figures compared:</b> 2 regression ▼, 0 improvement ▲, 4 no change ≈, 0 inconclusive ?.');
    // A side's runs are 1.2 times apart (10 to 12 ms): a change must exceed that spread to be flagged.
    expect(p99).toContain('<td class="num">+20.0%</td>');
    // Identical runs: the threshold alone limits what is detectable.
    expect(rowOf(html, 'ws.feed.server-cpu')).toContain('<td class="num">+10.0%</td>');
  });

  it('with one run a side, says that no sampled figure can be judged and how to get a verdict', () => {
    const html = renderBaseline(results(), { base: [results()] });
    expect(html).toContain('1 run on a side: no sampled figure can be judged');
    expect(html).toContain('--repeat 5');
    expect(rowOf(html, 'ws.feed.p99')).toContain('inconclusive ?<span class="muted small why">1 run on a side, 5 needed</span>');
    expect(rowOf(html, 'ws.feed.bytes')).toContain('no change ≈');
  });

  it('a benchmark the baseline completed and the current run lost is a failure, with the lab’s reason', () => {
    const base = side([10, 11, 12, 10.5, 11.5], [6000, 6000, 6000, 6000, 6000]);
    const head = base.map((file) => ({ ...file, runs: [], notices: ['ws feed json failed: the ws server process exited by itself (signal SIGSEGV)'] }));
    const html = renderBaseline(head[0]!, { base, head });
    expect(html).toContain('Failed in the current run');
    expect(html).toContain('<code>ws.feed</code>: complete in 5 baseline and 0 current runs: ws feed json failed: the ws server process exited by itself (signal SIGSEGV)');
    expect(html).toContain('1 failed in the current run');
  });

  it('says when the two sides were measured differently, or on a busy machine', () => {
    const before = results();
    before.environment.cpuCount = 8;
    before.environment.node = 'v22.1.0';
    before.environment.otherCpuCores = 1.2;
    before.config = { ...before.config, profile: 'default' };
    const lean = results();
    lean.config = { ...lean.config, serverHeap: 'lean' };
    const html = renderBaseline(lean, { base: [before] });
    expect(html).toContain('Read with care');
    expect(html).toContain('not like for like (CPU count: 8 → 2; Node: v22.1.0 → v20.19.0; profile: default → quick; server heap: default → lean');
    expect(html).toContain('measured while other processes kept more than');
    expect(renderBaseline(results(), { base: [results()] })).not.toContain('Read with care');
  });

  it('escapes what the files bring in', () => {
    const head = results({ runs: [], notices: [`ws feed json failed: ${HOSTILE}`] });
    const html = renderBaseline(head, { base: [results()] });
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(HOSTILE));
  });
});

describe('environment', () => {
  it('lists the machine, the commit, the clock check, the configuration and the notices', () => {
    const html = renderEnvironment(results({ notices: [HOSTILE, 'second notice'] }));
    expect(html).toContain('<h2>Environment</h2>');
    expect(html).toContain('test cpu × 2 CPUs');
    expect(html).toContain('<code>0123456789abcdef0123456789abcdef01234567</code>');
    expect(html).toContain('dirty: uncommitted changes');
    expect(html).toContain('v20.19.0');
    expect(html).toContain('2026-01-01 00:00:00 UTC');
    expect(html).toContain('2026-01-01 00:02:05 UTC');
    expect(html).toContain('(2 min 5 s)');
    expect(html).toContain('0.05 cores busy outside the lab');
    expect(html).toContain('max |offset| 12 µs over 1 process');
    expect(html).toContain('<th scope="row">feed.subscribers</th><td>200</td>');
    expect(html).toContain('<th scope="row">transports</th><td>ws, sse, long-poll</td>');
    expect(html).toContain('<th scope="row">target</th><td>none</td>');
    expect(html).toContain('<li>&lt;img src=x onerror=alert(1)&gt;</li><li>second notice</li>');
    expect(html).not.toContain('<img');
  });

  it('says what was not measured or did not finish', () => {
    const file = results({ clock: null, complete: false, interruption: 'SIGTERM' });
    file.environment.finishedAt = null;
    file.environment.otherCpuCores = null;
    file.environment.gitCommit = null;
    const html = renderEnvironment(file);
    expect(html).toContain('Clock check</th><td>not performed');
    expect(html).toContain('did not finish');
    expect(html).toContain('unknown (not a git checkout)');
    expect(html).toContain('SIGTERM');
    expect(html).toContain('No notices.');
  });

  it('flattens nested configuration into dotted keys', () => {
    expect(flattenConfig({ a: 1, b: { c: [1, 2], d: { e: null } }, f: {} })).toEqual([
      ['a', 1],
      ['b.c', [1, 2]],
      ['b.d.e', null],
      ['f', {}],
    ]);
  });
});

describe('renderReport on real modules', () => {
  it('renders a hand-built file with the real verdict, comparison and chart modules', () => {
    const html = renderReport({ results: results(), baseline: null }, { chartJs: CHART_JS });
    expect(html).toContain('<h2>The answer</h2>');
    expect(html).toContain('<h2>Environment</h2>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(fetchingReferences(html)).toEqual([]);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
  });

  it('keeps the sample report under 2 MB with chart.js inlined, and free of URLs', async () => {
    const sample = await readResultsFile(SAMPLE_RESULTS_PATH);
    const html = renderReport({ results: sample, baseline: { base: [sample] } }, { chartJs: CHART_JS });
    expect(Buffer.byteLength(html)).toBeLessThan(2 * 1024 * 1024);
    expect(html).toContain('Chart.js v4');
    expect(fetchingReferences(html)).toEqual([]);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
    if (!JSON.stringify(sample).match(/https?:\/\//)) expect(html).not.toMatch(/https?:\/\//);
    for (const { body } of scripts(html)) expect(body).not.toMatch(/<!--/);
    const data = JSON.parse(scripts(html)[1]!.body) as Record<string, unknown>;
    expect(html.match(/<canvas /g)?.length ?? 0).toBe(Object.keys(data).length);
  });
});

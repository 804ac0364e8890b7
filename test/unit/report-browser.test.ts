import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../metrics/histogram.ts';
import {
  type BrowserCost,
  type CapacityResult,
  type ConnectionLimitFinding,
  type ReconnectMetrics,
  type ResultsFile,
  type RunRecord,
  type ScenarioName,
  type TimelinePoint,
} from '../../metrics/result-types.ts';
import { validateResults } from '../../metrics/results-io.ts';
import type { Encoding, TransportName } from '../../scenarios/constants.ts';
import { connectionLimitSentence, formatSeconds, ordinal } from '../../reports/connection-limit.ts';
import { bytes } from '../../reports/html/charts/bytes.ts';
import { formatRatio } from '../../reports/html/charts/chart-kit.ts';
import { TRANSPORT_COLORS } from '../../reports/html/charts/colors.ts';
import { latencyPercentiles } from '../../reports/html/charts/latency-percentiles.ts';
import { NO_BROWSER_RUN, NO_NODE_RUN, nodeVsBrowser } from '../../reports/html/charts/node-vs-browser.ts';
import { serverCost } from '../../reports/html/charts/server-cost.ts';
import { throughput } from '../../reports/html/charts/throughput.ts';
import { timelines } from '../../reports/html/charts/timelines.ts';
import { comparisonRows } from '../../reports/html/comparison.ts';
import { reconnectView } from '../../reports/html/reconnect.ts';
import { flagKind } from '../../reports/html/html.ts';
import { renderReport } from '../../reports/html/render-report.ts';
import { renderAnswer } from '../../reports/html/sections/answer.ts';
import { renderBaseline } from '../../reports/html/sections/baseline.ts';
import { renderConnectionLimit, streamTable } from '../../reports/html/sections/connection-limit.ts';
import { renderReconnect } from '../../reports/html/sections/reconnect.ts';
import type { ChartSection, ChartSpec } from '../../reports/html/types.ts';
import { verdicts } from '../../reports/html/verdict.ts';
import { formatBytes, formatCount, formatMs } from '../../reports/format.ts';
import { buildBrowserCost, buildConnectionLimitFinding, buildReconnectMetrics, buildResults, buildRun, buildSummary, buildTimeline } from '../support/results.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';
const CHART_JS = readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

// ---------------------------------------------------------------------------------------------
// Hand-built results: Node runs at 1,000 connections, browser runs at 100, both at 100 msg/s.

function summary(p50: number, p99: number, p999: number, count = 50_000): Summary {
  return buildSummary(p99, { p50, p90: (p50 + p99) / 2, p999, max: p999 * 1.5, mean: p50 * 1.2, count });
}

const chromium = buildBrowserCost;

const drop = (overrides: Partial<ReconnectMetrics> = {}): ReconnectMetrics =>
  buildReconnectMetrics({ reopen: summary(1004, 1021, 1021, 100), resume: summary(1012, 1040, 1040, 100), ...overrides });

interface RunOverrides {
  id?: string;
  client?: RunRecord['client'];
  scenario?: ScenarioName;
  encoding?: Encoding;
  kind?: RunRecord['kind'];
  step?: RunRecord['step'];
  latency?: Summary | null;
  /** Browser runs only; null leaves Chromium's cost out. */
  browser?: BrowserCost | null;
  reconnect?: ReconnectMetrics;
  clientBound?: string[];
  notes?: string[];
}

/** Node runs hold 1,000 connections, browser runs 100; 100 deliveries per connection per second over a 10 s window. */
function run(transport: TransportName, o: RunOverrides = {}): RunRecord {
  const client = o.client ?? 'node';
  const browser = client === 'browser';
  const scenario = o.scenario ?? 'feed';
  const connections = browser ? 100 : 1000;
  const offered = connections * 100;
  const p99 = browser ? 15 : 4;
  return buildRun({
    id: o.id,
    transport,
    scenario,
    client,
    encoding: o.encoding,
    kind: o.kind,
    step: o.step,
    clientBoundReasons: o.clientBound,
    notes: o.notes,
    load: { connections, rooms: scenario === 'chat' ? connections / 10 : null, offeredDeliveriesPerSec: offered, warmupMs: 2000, durationMs: 10_000 },
    window: { drainMs: 50 },
    deliveries: offered * 10,
    metrics: {
      latency: o.latency === undefined ? summary(1.5, 8.4, 20) : o.latency,
      rtt: scenario === 'chat' ? summary(2, 9, 21) : null,
      // A page cannot see socket bytes: browser runs carry zeros that must never read as measured.
      bytes: browser
        ? { perMessage: 0, overheadPerMessage: -100, downPerMessage: 0, upPerMessage: 0, handshakePerConnection: 0 }
        : { perMessage: 180, overheadPerMessage: 80, downPerMessage: 180, upPerMessage: 0, handshakePerConnection: 377 },
      server: {
        cpuMsPer1kDeliveries: browser ? 30 : 12,
        cpuCores: 0.3,
        rssBytes: 100_000_000,
        rssBytesPerConnection: browser ? 90_000 : 30_000,
        eventLoopDelayMs: { p50: 10, p99: 12, max: 14 },
        deliveredPerSec: offered,
      },
      client: {
        workers: 1,
        cpuUsPerDelivery: 3.1,
        maxWorkerCpuCores: 0.3,
        maxWorkerLoopDelayP99Ms: 12,
        browser: browser && o.browser !== null ? (o.browser ?? chromium()) : undefined,
      },
    },
    timeline: buildTimeline([p99, p99, p99], { deliveries: offered, connections, clientCpuCores: 0.3, serverCpuCores: 0.3, serverRssBytes: 100_000_000 }).map(
      (point): TimelinePoint => ({ ...point, phase: point.t === 0 ? 'warmup' : 'measure' }),
    ),
    reconnect: o.reconnect,
  });
}

/** Leaves `findings` out unless given, as files written before browser clients did. */
const results = (runs: RunRecord[], findings?: ConnectionLimitFinding[], capacity: CapacityResult[] = []): ResultsFile =>
  buildResults({ environment: { finishedAt: '2026-01-01T00:05:00.000Z' }, config: { clients: ['node', 'browser'], encodings: ['json'] }, runs, capacity, findings });

const FINDING = buildConnectionLimitFinding();

const nodeRuns = (): RunRecord[] => [
  run('ws', { latency: summary(0.9, 4.2, 9) }),
  run('sse', { latency: summary(1.1, 5.89, 12) }),
  run('long-poll', { latency: summary(2.5, 14, 30) }),
  run('ws', { scenario: 'chat' }),
  run('sse', { scenario: 'chat' }),
];

/** ws and sse in a browser; no browser long-poll fixed run. */
const browserRuns = (): RunRecord[] => [
  run('ws', { client: 'browser', latency: summary(6.8, 15.1, 22) }),
  run('sse', { client: 'browser', latency: summary(1.6, 3.6, 8) }),
];

/** ws reconnects by page code; sse by itself (attempts uncounted); long-poll pages never saw the drop. */
const reconnectRuns = (): RunRecord[] => [
  run('ws', { client: 'browser', kind: 'reconnect', reconnect: drop() }),
  run('sse', {
    client: 'browser',
    kind: 'reconnect',
    reconnect: drop({ attempts: 0, reopen: summary(3000, 3050, 3050, 100), resume: summary(3010, 3100, 3100, 100), recovered: 5980 }),
  }),
  run('long-poll', {
    client: 'browser',
    kind: 'reconnect',
    reconnect: drop({ droppedConnections: 200, sawDisconnect: 0, reopened: 0, reopen: null, attempts: 0, resume: summary(15, 1800, 1800, 100), missed: 12, recovered: 0, duplicates: 3 }),
  }),
];

const oldFile = (): ResultsFile => results(nodeRuns());
const browserFile = (): ResultsFile => results([...nodeRuns(), ...browserRuns(), ...reconnectRuns()], [FINDING]);

const input = (file: ResultsFile) => ({ results: file, baseline: null });
const charts = (sections: ChartSection[]): ChartSpec[] => sections.flatMap((s) => (s.kind === 'chart' ? [s.spec] : []));

/** Every number written in a text ("1,234" -> 1234); the 99 of "p99" is a name, not a figure. */
const numbersIn = (text: string): number[] => (text.match(/(?<![\w.])\d[\d,]*(\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, '')));

const unescape = (html: string): string =>
  html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The visible text of an HTML fragment. */
const textOf = (html: string): string => unescape(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

/** Every figure the results hold, written the ways the report writes figures. */
function figuresOf(file: ResultsFile): Set<number> {
  const out = new Set<number>();
  const walk = (value: unknown): void => {
    if (typeof value === 'number') {
      for (const text of [formatCount(value), formatMs(value), formatBytes(value), formatSeconds(value), formatMs(value / 1000)]) {
        for (const n of numbersIn(text)) out.add(n);
      }
    } else if (typeof value === 'string') {
      // Versions and ids hold figures too ("Chromium/142.0.7444.59").
      for (const n of numbersIn(value)) out.add(n);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(file);
  return out;
}

function containsNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value === 'function' || value === undefined) return true;
  if (Array.isArray(value)) return value.some(containsNonFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsNonFinite);
  return false;
}

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start, `no section ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

// ---------------------------------------------------------------------------------------------

describe('the hand-built results', () => {
  it('are valid results files, with and without the browser keys', () => {
    expect(validateResults(JSON.parse(JSON.stringify(browserFile())), 'test').runs).toHaveLength(10);
    const old = validateResults(JSON.parse(JSON.stringify(oldFile())), 'test');
    expect(old.findings).toBeUndefined();
  });
});

describe('views about Node clients use Node runs only', () => {
  it('draws the same latency, bytes, server-cost and timeline charts with browser and reconnect runs added, saying they are of Node clients', () => {
    const withoutClientNote = (sections: ChartSection[]): ChartSection[] =>
      JSON.parse(
        JSON.stringify(sections)
          .replaceAll(' of Node clients: a page cannot see socket bytes, so browser runs have none', '')
          .replaceAll(', Node clients', '')
          .replaceAll(' (Node clients)', '')
          .replaceAll('-node-clients', ''),
      ) as ChartSection[];
    for (const builder of [latencyPercentiles, bytes, serverCost, timelines]) {
      const sections = builder.build(input(browserFile()));
      expect(withoutClientNote(sections), builder.id).toEqual(builder.build(input(oldFile())));
      for (const spec of charts(sections)) expect(`${spec.title} ${spec.table.caption} ${spec.table.columns.join(' ')}`, spec.id).toContain('Node clients');
    }
    expect(charts(bytes.build(input(browserFile())))[0]?.table.caption).toContain('a page cannot see socket bytes, so browser runs have none');
  });

  it('never shows a browser run as measured zero bytes', () => {
    for (const spec of charts(bytes.build(input(browserFile())))) {
      for (const row of spec.table.rows) expect(row[0]).not.toMatch(/browser/);
      expect(JSON.stringify(spec.config)).not.toContain('-100');
    }
  });

  it('gives the same verdicts and comparison rows, except the reconnect evidence', () => {
    expect(verdicts(input(browserFile()))).toEqual(verdicts(input(oldFile())));
    const withBrowser = comparisonRows(input(browserFile())).filter((row) => row.feature !== 'Auto-reconnect');
    expect(withBrowser).toEqual(comparisonRows(input(oldFile())).filter((row) => row.feature !== 'Auto-reconnect'));
  });

  it('ignores a capacity search of browser clients', () => {
    const step = (client: RunRecord['client']): RunRecord =>
      run('ws', { client, kind: 'capacity-step', step: { index: 1, search: `ws/feed/json/${client}/capacity` }, id: `ws/feed/json/${client}/capacity/step1` });
    const sections = throughput.build(input(results([...nodeRuns(), step('browser')])));
    expect(sections).toEqual([expect.objectContaining({ kind: 'missing', id: 'throughput' })]);
    const [mixed] = charts(throughput.build(input(results([step('node'), step('browser')]))));
    expect(mixed?.table.rows).toHaveLength(1);
    expect(mixed?.title).toBe('Throughput against offered load: feed (json, Node clients)');
  });

  it('describes the Node load in the answer, not the browser one', () => {
    const file = browserFile();
    const html = renderAnswer(file, verdicts(input(file)));
    expect(html).toContain('Load: 1,000 subscribers, 100 messages/s each');
    expect(html).not.toContain('100 subscribers');
    expect(html).toContain('node clients');
    expect(html).not.toContain('browser clients');
  });

  it('says why when only browser runs were measured, and never uses reconnect runs as fixed-load runs', () => {
    const browserOnly = results(browserRuns());
    expect(latencyPercentiles.build(input(browserOnly))).toEqual([
      expect.objectContaining({ kind: 'missing', reason: expect.stringContaining('no fixed-load runs with Node clients') }),
    ]);
    expect(verdicts(input(browserOnly))).toEqual([]);
    const reconnectOnly = results(reconnectRuns());
    for (const builder of [latencyPercentiles, bytes, serverCost, timelines, nodeVsBrowser]) {
      for (const s of builder.build(input(reconnectOnly))) expect(s.kind, builder.id).toBe('missing');
    }
    expect(verdicts(input(reconnectOnly))).toEqual([]);
  });
});

describe('node-vs-browser', () => {
  const sections = nodeVsBrowser.build(input(browserFile()));
  const spec = charts(sections)[0] as ChartSpec;
  const datasets = (spec.config.data as { datasets: { label: string; data: (number | null)[]; backgroundColor: string[]; borderColor: string[] }[] }).datasets;

  it('is missing, with the reason, when the file has no browser run', () => {
    expect(nodeVsBrowser.build(input(oldFile()))).toEqual([{ kind: 'missing', id: 'node-vs-browser', title: 'Node vs browser clients', reason: NO_BROWSER_RUN }]);
    expect(NO_BROWSER_RUN).toBe('no browser run in this run: run with --clients node,browser or the default profile');
  });

  it('draws feed and says why chat is missing when browsers ran feed only', () => {
    expect(sections.map((s) => (s.kind === 'chart' ? s.spec.id : `${s.id} (missing)`))).toEqual(['node-vs-browser-feed-json', 'node-vs-browser-chat (missing)']);
    expect(sections[1]).toMatchObject({ kind: 'missing', reason: 'no browser chat run in this run (browser clients ran feed only)' });
  });

  it('is a well-formed chart: JSON as is, axis titles with units, a reading with figures', () => {
    expect(JSON.parse(JSON.stringify(spec.config))).toStrictEqual(spec.config);
    expect(containsNonFinite(spec.config)).toBe(false);
    const scales = (spec.config.options as { scales: Record<string, { title: { display: boolean; text: string }; type?: string }> }).scales;
    expect(scales.x?.title).toEqual({ display: true, text: 'Transport and client (connections held)' });
    expect(scales.y?.title.text).toBe('Delivery latency (ms, log scale)');
    expect(scales.y?.type).toBe('logarithmic');
    for (const row of spec.table.rows) expect(row).toHaveLength(spec.table.columns.length);
  });

  it('puts each transport’s Node and browser bars side by side, named with their connections', () => {
    expect((spec.config.data as { labels: string[][] }).labels).toEqual([
      ['ws', 'Node, 1,000 conns'],
      ['ws', 'browser, 100 conns'],
      ['sse', 'Node, 1,000 conns'],
      ['sse', 'browser, 100 conns'],
      ['long-poll', 'Node, 1,000 conns'],
    ]);
    expect(datasets.map((d) => d.label)).toEqual(['p50', 'p99', 'p99.9']);
    expect(datasets[1]?.data).toEqual([4.2, 15.1, 5.89, 3.6, 14]);
    expect(datasets[2]?.data).toEqual([9, 22, 12, 8, 30]);
    expect(datasets[0]?.borderColor).toEqual([TRANSPORT_COLORS.ws, TRANSPORT_COLORS.ws, TRANSPORT_COLORS.sse, TRANSPORT_COLORS.sse, TRANSPORT_COLORS['long-poll']]);
    // The percentile is told by shade as well as by the legend.
    expect(new Set(datasets.map((d) => d.backgroundColor[0])).size).toBe(3);
  });

  it('has a row per run with its load, its percentiles and what Chromium cost', () => {
    expect(spec.table.columns).toEqual([
      'transport',
      'client',
      'connections',
      'publish rate (msg/s)',
      'offered (deliveries/s)',
      'p50 (ms)',
      'p99 (ms)',
      'p99.9 (ms)',
      'deliveries counted',
      'Chromium CPU (cores)',
      'Chromium CPU per delivery (µs)',
      'busiest Chromium process (cores)',
      'Chromium memory per client',
    ]);
    expect(spec.table.rows.slice(0, 2)).toEqual([
      ['ws', 'Node', '1,000', '100', '100,000', '0.900', '4.20', '9.00', '50,000', 'n/a', 'n/a', 'n/a', 'n/a'],
      ['ws', 'browser', '100', '100', '10,000', '6.80', '15.1', '22.0', '50,000', '0.420', '42.1', '0.310', formatBytes(4_120_000)],
    ]);
    expect(spec.table.rows.map((row) => `${row[0]} ${row[1]}`)).toEqual(['ws Node', 'ws browser', 'sse Node', 'sse browser', 'long-poll Node']);
  });

  it('reads the p99 of each side, the loads and Chromium’s cost from the results', () => {
    expect(spec.reading).toBe(
      'At p99, ws: browser 15.1 ms vs Node 4.20 ms (browser 3.6x higher); sse: browser 3.60 ms vs Node 5.89 ms (browser 1.6x lower); long-poll: Node 14.0 ms, no browser run. ' +
        'Loads: Node 1,000 connections, 100 msg/s per topic (100,000 deliveries/s offered); browser 100 connections, 100 msg/s per topic (10,000 deliveries/s offered). ' +
        'The browser runs held 100 connections and the Node runs 1,000, so the loads differ. ' +
        "Chromium's own CPU per delivery: ws 42.1 µs (0.420 cores) and sse 42.1 µs (0.420 cores).",
    );
    const allowed = new Set([...figuresOf(browserFile()), ...numbersIn(`${formatRatio(15.1 / 4.2)} ${formatRatio(5.89 / 3.6)}`)]);
    for (const n of numbersIn(spec.reading)) expect(allowed, `${n} in the reading`).toContain(n);
  });

  it('says why a side is missing', () => {
    expect(spec.flags).toContain(`long-poll feed json: ${NO_BROWSER_RUN}`);
    const [browserOnly] = charts(nodeVsBrowser.build(input(results(browserRuns()))));
    expect(browserOnly?.flags).toContain(`ws feed json: ${NO_NODE_RUN}`);
    expect(browserOnly?.reading).toContain('ws: browser 15.1 ms, no Node run');
  });

  it('leaves unresolved or unmeasured figures undrawn and says so, never 0', () => {
    const file = results([
      run('ws', { latency: summary(0.9, 4.2, 9) }),
      run('ws', { client: 'browser', latency: summary(6.8, 15.1, 22, 500), browser: chromium({ busiestProcessCpuCores: 0.97, memoryBytesPerClient: null }) }),
      run('sse', { client: 'browser', latency: null, browser: null }),
    ]);
    const [chart] = charts(nodeVsBrowser.build(input(file)));
    if (chart === undefined) throw new Error('expected a chart');
    const rows = chart.table.rows;
    expect(rows[1]?.slice(5, 8)).toEqual(['6.80', '15.1', 'too few deliveries']);
    expect(rows[1]?.[12]).toBe('not measured');
    expect(rows[2]?.slice(5)).toEqual(Array(8).fill('not measured'));
    const data = (chart.config.data as { datasets: { data: (number | null)[] }[] }).datasets;
    expect(data[2]?.data).toEqual([9, null, null]);
    for (const d of data) expect(d.data).not.toContain(0);
    expect(chart.flags).toContain('ws feed json browser: possibly client-bound: the busiest Chromium process used 0.970 cores, which holds its pages back');
    expect(flagKind(chart.flags.find((f) => f.includes('busiest')) ?? '')).toBe('warn');
    expect(chart.flags).toContain('sse feed json browser: no delivery latency measured (not drawn)');
    expect(chart.flags).toContain("sse feed json browser: Chromium's cost was not recorded");
    expect(chart.flags).toContain(`sse feed json: ${NO_NODE_RUN}`);
  });

  it('flags a client-bound browser run', () => {
    const file = results([run('ws'), run('ws', { client: 'browser', clientBound: ['renderer CPU 0.97 cores'] })]);
    expect(charts(nodeVsBrowser.build(input(file)))[0]?.flags).toContain('ws feed json browser: client-bound (renderer CPU 0.97 cores)');
  });
});

describe('the reconnect view', () => {
  const view = reconnectView(browserFile());
  if (view === null) throw new Error('expected a view');

  it('is absent from files without reconnect runs', () => {
    expect(reconnectView(oldFile())).toBeNull();
    expect(renderReconnect(oldFile())).toBe('');
  });

  it('has a row per transport: the drop, who saw it, reopen and resume, attempts, missed, recovered, duplicates', () => {
    expect(view.table.columns).toEqual([
      'transport',
      'clients',
      'drop at (ms into the window)',
      'connections cut',
      'saw the drop',
      'reopened',
      'reopen p50 (ms)',
      'reopen p99 (ms)',
      'resume p50 (ms)',
      'resume p99 (ms)',
      'not resumed',
      'reconnect attempts',
      'missed',
      'recovered',
      'duplicates',
    ]);
    expect(view.table.rows).toEqual([
      ['ws', '100', '1,000', '100', '100', '100', '1,004', '1,021', '1,012', '1,040', '0', '100', '0', '2,000', '0'],
      ['sse', '100', '1,000', '100', '100', '100', '3,000', '3,050', '3,010', '3,100', '0', 'not counted', '0', '5,980', '0'],
      ['long-poll', '100', '1,000', '200', '0', '0', 'no page saw the drop', 'no page saw the drop', '15.0', '1,800', '0', '0', '12', '0', '3'],
    ]);
    expect(view.load).toBe('Load: feed json, 100 browser clients, 100 msg/s per topic; every connection cut 1,000 ms into a 10.0 s window.');
  });

  it('reads which transport resumed soonest, what was missed, and words the long-poll drop correctly', () => {
    expect(view.reading).toBe(
      'Messages flowed again soonest over ws: p50 1,012 ms and p99 1,040 ms after the drop; long-poll p99 1,800 ms (1.7x) and sse p99 3,100 ms (3.0x). ' +
        'Messages published before the reopen were missed: long-poll 12; the resume recovered ws 2,000 and sse 5,980; duplicates: long-poll 3. ' +
        'long-poll: none of the 100 pages saw the drop: Chromium retries a dropped idle poll by itself, so a page may never notice; the resume time still measures the outage each client had.',
    );
    const allowed = new Set([...figuresOf(browserFile()), ...numbersIn(`${formatRatio(1800 / 1040)} ${formatRatio(3100 / 1040)}`)]);
    for (const n of numbersIn(`${view.reading} ${view.load}`)) expect(allowed, `${n}`).toContain(n);
  });

  it('says when nothing was missed, and when clients had not resumed', () => {
    const file = results([run('ws', { client: 'browser', kind: 'reconnect', reconnect: drop({ notResumed: 4, recovered: 0 }) })]);
    expect(reconnectView(file)?.reading).toBe(
      'Messages reached ws clients again p50 1,012 ms and p99 1,040 ms after the drop. No message published before the reopen was missed; none arrived twice. ' +
        '4 of 100 ws clients had not resumed when the run was collected.',
    );
  });

  it('names scenario and encoding when they differ, and says when a run has no reconnect figures', () => {
    const file = results([
      run('ws', { client: 'browser', kind: 'reconnect', reconnect: drop() }),
      run('ws', { client: 'browser', kind: 'reconnect', encoding: 'binary', reconnect: drop() }),
      run('sse', { client: 'browser', kind: 'reconnect' }),
    ]);
    const v = reconnectView(file);
    expect(v?.table.rows.map((row) => row[0])).toEqual(['ws json', 'sse json', 'ws binary']);
    expect(v?.table.rows[1]).toEqual(['sse json', '100', ...Array(13).fill('not measured')]);
    expect(v?.reading).toContain('No reconnect figures were recorded for sse json.');
    expect(v?.flags).toContain('sse feed json browser: no reconnect figures recorded (interrupted before they were collected?)');
  });
});

describe('the comparison table’s Auto-reconnect row', () => {
  const row = comparisonRows(input(browserFile())).find((r) => r.feature === 'Auto-reconnect');
  if (row === undefined) throw new Error('no Auto-reconnect row');

  it('keeps its old wording in files without reconnect runs', () => {
    const old = comparisonRows(input(oldFile())).find((r) => r.feature === 'Auto-reconnect');
    expect(old?.cells.ws).toEqual({ claim: 'No: manual', evidence: 'not measured in this run (reconnects are measured with browser clients: the default profile, or --clients browser)', support: 'not-measured' });
  });

  it('backs each claim with the browser reconnect run', () => {
    expect(row.cells.ws).toEqual({
      claim: 'No: manual',
      evidence:
        'browser, feed (json), 100 clients: 100 of 100 pages saw the server cut every connection, 100 reopened (p50 1,004 ms); ' +
        'page code reopened the WebSocket (100 attempts); messages resumed p99 1,040 ms after the drop; 0 missed, 2,000 recovered, 0 duplicates',
      support: 'measured',
    });
    expect(row.cells.sse.evidence).toBe(
      'browser, feed (json), 100 clients: 100 of 100 pages saw the server cut every connection, 100 reopened (p50 3,000 ms); ' +
        'the EventSource reconnected by itself; messages resumed p99 3,100 ms after the drop; 0 missed, 5,980 recovered, 0 duplicates',
    );
    expect(row.cells['long-poll'].evidence).toBe(
      'browser, feed (json), 100 clients: 0 of 100 pages saw the server cut every connection, 0 reopened; no reconnect attempt by page code; ' +
        'messages resumed p99 1,800 ms after the drop; 12 missed, 0 recovered, 3 duplicates (Chromium retries a dropped idle poll by itself, so a page may not notice the drop)',
    );
    const allowed = figuresOf(browserFile());
    for (const cell of Object.values(row.cells)) for (const n of numbersIn(cell.evidence)) expect(allowed, `${n} in ${cell.evidence}`).toContain(n);
  });

  it('says which transport had no reconnect run, and flags the run it uses', () => {
    const file = results([...nodeRuns(), run('ws', { client: 'browser', kind: 'reconnect', reconnect: drop(), clientBound: ['renderer CPU'] })]);
    const cells = comparisonRows(input(file)).find((r) => r.feature === 'Auto-reconnect')?.cells;
    expect(cells?.ws.evidence).toMatch(/0 duplicates \(client-bound\)$/);
    expect(cells?.sse).toEqual({ claim: 'Yes: built-in', evidence: 'not measured in this run (no browser reconnect run for sse)', support: 'not-measured' });
  });
});

describe('the connection-limit finding', () => {
  it('says how many streams opened to one origin, when the waiting one opened, and what spreading did', () => {
    expect(connectionLimitSentence(FINDING)).toBe(
      'Chromium 142.0.7444.59 opened 6 of 7 EventSources to one origin within 1.5 s; the 7th opened only 3.10 ms after the first was closed. Spread over 2 origins, all 7 opened.',
    );
  });

  it('words the other outcomes from the figures alone', () => {
    const f = (overrides: Partial<ConnectionLimitFinding>): string => connectionLimitSentence({ ...FINDING, ...overrides });
    expect(f({ attempted: 5, openedAtOnce: 5, openMs: [1, 2, 3, 4, 5], waitingOpenedAfterCloseMs: null, spread: null })).toBe(
      'Chromium 142.0.7444.59 opened all 5 EventSources to one origin within 1.5 s: no stream waited.',
    );
    expect(f({ attempted: 10, openMs: [1, 1, 1, 1, 1, 1, null, null, null, null], waitingOpenedAfterCloseMs: null, spread: { streams: 10, origins: 2, opened: 9 } })).toBe(
      'Chromium 142.0.7444.59 opened 6 of 10 EventSources to one origin within 1.5 s; none of the 4 waiting opened after the first was closed. Spread over 2 origins, only 9 of 10 opened.',
    );
    expect(f({ attempted: 8, transport: 'long-poll', openMs: [1, 1, 1, 1, 1, 1, 1600, null], browserVersion: 'HeadlessChrome/131.0.1' })).toBe(
      'Chromium 131.0.1 opened 6 of 8 long polls to one origin within 1.5 s; the first waiting one (the 7th) opened only 3.10 ms after the first was closed. Spread over 2 origins, all 7 opened.',
    );
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });

  it('lists each stream’s open time', () => {
    const table = streamTable(FINDING);
    expect(table.columns).toEqual(['stream', 'opened after (ms)', 'status']);
    expect(table.rows[0]).toEqual(['1', '12.1', 'opened at once']);
    expect(table.rows[6]).toEqual(['7', '1,515', 'waited for a free connection']);
    expect(streamTable({ ...FINDING, openMs: [1, null] }).rows[1]).toEqual(['2', 'never opened', 'never opened']);
  });

  it('renders a section with the sentence, the table and the lab’s remedy; none for files without browsers', () => {
    const html = renderConnectionLimit(browserFile());
    expect(html).toContain('<h2>Browser connection limit</h2>');
    expect(textOf(html)).toContain('opened 6 of 7 EventSources to one origin within 1.5 s');
    expect(textOf(html)).toContain('the lab spreads its browser SSE and long-poll clients over several ports');
    expect(html.match(/<tr>/g)).toHaveLength(1 + 7);
    expect(renderConnectionLimit(oldFile())).toBe('');
    expect(renderConnectionLimit(results(browserRuns()))).toContain('no connection-limit finding in this results file');
  });
});

describe('the page', () => {
  const headings = (html: string): string[] => [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1] ?? '');
  const navOf = (html: string): string[] => [...html.matchAll(/<a href="#([^"]+)">/g)].map((m) => m[1] ?? '');

  it('renders an older file as before, with only the Node vs browser family saying why it is not drawn', () => {
    const html = renderReport(input(oldFile()), { chartJs: CHART_JS });
    expect(headings(html)).toEqual(['The answer', 'WebSocket vs SSE vs long polling', 'Evidence', 'Environment']);
    expect(navOf(html)).toEqual(['answer', 'comparison', 'evidence', 'environment']);
    expect(html).toContain(`data-missing="node-vs-browser"`);
    expect(html).not.toMatch(/id="reconnect"|id="connection-limit"|Chromium/);
    expect(html).toContain('Runs <b>5 fixed-load</b>');
  });

  it('adds the browser sections after the evidence, in the table of contents too', () => {
    const html = renderReport({ results: browserFile(), baseline: { base: [browserFile()] } }, { chartJs: CHART_JS });
    expect(headings(html)).toEqual([
      'The answer',
      'WebSocket vs SSE vs long polling',
      'Evidence',
      'Reconnect (browser clients)',
      'Browser connection limit',
      'Baseline',
      'Environment',
    ]);
    expect(navOf(html)).toEqual(['answer', 'comparison', 'evidence', 'reconnect', 'connection-limit', 'baseline', 'environment']);
    expect(html).toContain('Runs <b>7 fixed-load (5 Node, 2 browser), 3 reconnect runs</b>');
    expect(html).toContain('<canvas id="chart-node-vs-browser-feed-json"');
  });

  it('shows no NaN, undefined or null, and no non-finite number in the chart data', () => {
    const html = renderReport({ results: browserFile(), baseline: { base: [browserFile()] } }, { chartJs: CHART_JS });
    const page = html.slice(0, html.indexOf('<script>'));
    expect(textOf(page)).not.toMatch(/\bNaN\b|\bundefined\b|\bnull\b/);
    const data = /<script type="application\/json" id="[^"]+">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(containsNonFinite(JSON.parse(data))).toBe(false);
  });

  it('takes every number of the browser sections from the results', () => {
    const file = browserFile();
    const html = renderReport(input(file), { chartJs: CHART_JS });
    const allowed = new Set([...figuresOf(file), ...numbersIn(`${formatRatio(1800 / 1040)} ${formatRatio(3100 / 1040)}`), 1, 2, 3, 4, 5, 6, 7]);
    for (const id of ['reconnect', 'connection-limit']) {
      const text = textOf(section(html, id)).replace(/HTTP\/1\.1/g, '');
      for (const n of numbersIn(text)) expect(allowed, `${n} in section ${id}`).toContain(n);
    }
  });

  it('says "not measured" in the browser sections when browsers ran without reconnect runs or findings', () => {
    const html = renderReport(input(results([...nodeRuns(), ...browserRuns()])), { chartJs: CHART_JS });
    expect(textOf(section(html, 'reconnect'))).toContain('not measured no reconnect run in this results file');
    expect(textOf(section(html, 'connection-limit'))).toContain('not measured no connection-limit finding in this results file');
  });

  it('escapes every string of the browser runs and findings', () => {
    const file = results(
      [
        ...nodeRuns(),
        run('ws', { client: 'browser', id: `ws/${HOSTILE}`, notes: [HOSTILE], browser: chromium({ version: HOSTILE }) }),
        run('ws', { client: 'browser', kind: 'reconnect', id: `r/${HOSTILE}`, notes: [HOSTILE], reconnect: drop() }),
      ],
      [{ ...FINDING, browserVersion: HOSTILE }],
    );
    const html = renderReport({ results: file, baseline: { base: [file] } }, { chartJs: CHART_JS });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(section(html, 'connection-limit')).toContain('&lt;img src=x onerror=alert(1)&gt; opened 6 of 7');
  });
});

describe('the baseline section', () => {
  it('judges reconnect runs under their own name, and browser runs without bytes (a page cannot see them)', () => {
    const before = browserFile();
    const now = browserFile();
    const ws = now.runs.find((r) => r.id === 'ws/feed/json/browser/reconnect');
    if (ws?.reconnect === undefined) throw new Error('no ws reconnect run');
    ws.reconnect = drop({ resume: summary(1012, 1300, 1300, 100) });
    const html = renderBaseline(now, { base: [before] });
    const row = (name: string): string => {
      const start = html.indexOf(`<code>${name}</code>`);
      return start < 0 ? '' : html.slice(start, html.indexOf('</tr>', start));
    };
    expect(row('ws.feed.browser.reconnect.resume-p99')).toMatch(/1,300 ms.*1,040 ms.*1\.250.*inconclusive \?/);
    expect(row('ws.feed.browser.bytes')).toBe('');
    expect(row('ws.feed.bytes')).toContain('no change');
    expect(html).not.toContain('capacity-step');
  });
});

import { describe, expect, it } from 'vitest';
import type { Summary } from '../../metrics/histogram.ts';
import type { BrowserCost, CapacityResult, LatenessSummary, ReconnectMetrics, ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { validateResults } from '../../metrics/results-io.ts';
import { formatBytes, formatCount, formatMs } from '../../reports/format.ts';
import { renderSummary } from '../../reports/terminal.ts';
import { buildBrowserCost, buildCapacity, buildConnectionLimitFinding, buildReconnectMetrics, buildResults, buildRun } from '../support/results.ts';

const ESC = '\x1b';
const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

function latency(p50: number, p99: number, p999: number): Summary {
  return { p50, p90: p99 * 0.8, p99, p999, max: p999 * 2, mean: p50 * 1.1, count: 150_000 };
}

interface RunSpec {
  id: string;
  transport: RunRecord['transport'];
  scenario?: RunRecord['scenario'];
  client?: RunRecord['client'];
  deliveriesPerSec: number;
  latency: Summary | null;
  rtt?: Summary | null;
  connect?: Summary | null;
  bytes?: [perMessage: number | null, overhead: number | null];
  server?: { cpuMsPer1k: number | null; rssPerConnection: number | null } | null;
  /** The server publisher's lateness; absent: as a server that does not report it. */
  lateness?: LatenessSummary;
  lost?: number;
  duplicated?: number;
  reordered?: number;
  clientBound?: string[];
  complete?: boolean;
  kind?: RunRecord['kind'];
  connections?: number;
  browser?: BrowserCost;
  reconnect?: ReconnectMetrics;
}

/** A Node feed run at 1,000 connections over a 10 s window, 150,000 deliveries expected. */
function run(spec: RunSpec): RunRecord {
  const expected = 150_000;
  const lost = spec.lost ?? 0;
  const [perMessage, overhead] = spec.bytes ?? [102, 2];
  return buildRun({
    id: spec.id,
    transport: spec.transport,
    scenario: spec.scenario,
    client: spec.client,
    kind: spec.kind,
    complete: spec.complete,
    clientBoundReasons: spec.clientBound,
    load: { connections: spec.connections ?? 1000, publishRatePerSec: 100, sendRatePerMember: null, rooms: null, membersPerRoom: null, offeredDeliveriesPerSec: 100_000, durationMs: 10_000 },
    window: { startUs: 0, endUs: 10_000_000, drainMs: 500 },
    deliveries: spec.deliveriesPerSec * 10,
    metrics: {
      latency: spec.latency,
      rtt: spec.rtt ?? null,
      connect: spec.connect === undefined ? latency(1.2, 8.43, 12) : spec.connect,
      throughput: { deliveriesPerSec: spec.deliveriesPerSec },
      bytes: { perMessage, overheadPerMessage: overhead, downPerMessage: perMessage, upPerMessage: 0, handshakePerConnection: 250 },
      server:
        spec.server === null
          ? null
          : {
              cpuMsPer1kDeliveries: spec.server?.cpuMsPer1k ?? 4.56,
              cpuCores: 0.5,
              rssBytes: 80_000_000,
              rssBytesPerConnection: spec.server?.rssPerConnection ?? 12_595,
              eventLoopDelayMs: { p50: 1, p99: 5, max: 9 },
              deliveredPerSec: spec.deliveriesPerSec,
              ...(spec.lateness === undefined ? {} : { feedLatenessMs: spec.lateness }),
            },
      client: { workers: 2, cpuUsPerDelivery: 3, maxWorkerCpuCores: 0.6, maxWorkerLoopDelayP99Ms: 4, browser: spec.browser },
      integrity: { expected, received: expected - lost, lost, duplicated: spec.duplicated ?? 0, reordered: spec.reordered ?? 0 },
    },
    reconnect: spec.reconnect,
  });
}

function capacity(
  transport: CapacityResult['transport'],
  stopReason: CapacityResult['stopReason'],
  broke: CapacityResult['broke'],
): CapacityResult {
  return buildCapacity({
    id: `cap-${transport}`,
    transport,
    slo: { p99Ms: 50, maxLoss: 0.001 },
    sustained: { offeredDeliveriesPerSec: 200_000, deliveriesPerSec: 199_876.4, latencyP99Ms: 31.27, runId: 'step-3' },
    broke,
    stopReason,
    steps: ['step-1', 'step-2', 'step-3'],
  });
}

function results(overrides: Partial<ResultsFile> = {}): ResultsFile {
  return buildResults({
    environment: {
      node: 'v20.11.1',
      platform: 'linux',
      osRelease: '6.8.0',
      arch: 'x64',
      cpuModel: 'AMD EPYC 7B13',
      cpuCount: 2,
      totalMemoryBytes: 8 * 1024 ** 3,
      hostname: 'lab',
      gitCommit: '0123456789abcdef0123456789abcdef01234567',
      gitDirty: true,
      labVersion: '0.1.0',
      startedAt: '2025-01-02T03:04:05.000Z',
      finishedAt: '2025-01-02T03:14:05.000Z',
      otherCpuCores: 0.05,
    },
    clock: {
      samples: [
        { process: 'server', offsetUs: 12, uncertaintyUs: 40 },
        { process: 'worker-1', offsetUs: -84, uncertaintyUs: 40 },
      ],
      maxAbsOffsetUs: 84,
      agreed: true,
    },
    runs: [
      run({ id: 'ws', transport: 'ws', deliveriesPerSec: 301_241.6, latency: latency(0.512, 21.4, 305.2), lateness: { p50: 0.2, p99: 280.4, max: 301.25, count: 1000 } }),
      run({
        id: 'sse',
        transport: 'sse',
        deliveriesPerSec: 99_870,
        latency: latency(1.234, 48.66, 1234.4),
        lost: 12,
        duplicated: 3,
        clientBound: ['worker CPU 0.97 cores >= 0.9', 'worker event-loop delay p99 45 ms >= 20 ms'],
      }),
      run({
        id: 'long-poll',
        transport: 'long-poll',
        deliveriesPerSec: 5_000,
        latency: null,
        connect: null,
        bytes: [null, null],
        server: null,
        complete: false,
      }),
      run({
        id: 'chat-ws',
        transport: 'ws',
        scenario: 'chat',
        deliveriesPerSec: 48_000,
        latency: latency(0.9, 3.21, 7.5),
        rtt: latency(1.5, 4.56, 9),
        bytes: [180.4, 80.4],
      }),
    ],
    capacity: [
      capacity('ws', 'all-steps-passed', null),
      capacity('sse', 'client-bound', { offeredDeliveriesPerSec: 400_000, reason: 'client-bound', runId: 'step-4' }),
      capacity('long-poll', 'slo-broken', {
        offeredDeliveriesPerSec: 250_000,
        reason: 'p99 82.1 ms > 50 ms',
        runId: 'step-4',
      }),
    ],
    notices: ['other processes used 0.05 cores during the measured windows'],
    ...overrides,
  });
}

/** The table under the line `title`: header, rule and rows, up to the blank line. */
function table(output: string, title: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith(title));
  expect(start, `no section titled ${title}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end);
}

/** Cells of a table row, by header (cells are separated by two or more spaces). */
function row(lines: string[], first: string): Record<string, string> {
  const headers = (lines[0] ?? '').trim().split(/\s{2,}/);
  const line = lines.slice(2).find((l) => l.trim().startsWith(`${first} `));
  expect(line, `no row for ${first}`).toBeDefined();
  const cells = (line ?? '').trim().split(/\s{2,}/);
  return Object.fromEntries(headers.map((header, i) => [header, cells[i] ?? '']));
}

describe('number formatting', () => {
  it('formats counts with thousands separators and null as -', () => {
    expect(formatCount(301_241.6)).toBe('301,242');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(-1_234_567)).toBe('-1,234,567');
    expect(formatCount(null)).toBe('-');
  });

  it('formats milliseconds with three significant digits', () => {
    expect(formatMs(0.512)).toBe('0.512');
    expect(formatMs(21.44)).toBe('21.4');
    expect(formatMs(305.2)).toBe('305');
    expect(formatMs(99.96)).toBe('100');
    expect(formatMs(1234.4)).toBe('1,234');
    expect(formatMs(0)).toBe('0');
    expect(formatMs(null)).toBe('-');
    expect(formatMs(undefined)).toBe('-');
  });

  it('formats byte sizes with a unit', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12_595)).toBe('12.3 KB');
    expect(formatBytes(8 * 1024 ** 3)).toBe('8.00 GB');
    expect(formatBytes(null)).toBe('-');
  });
});

const plain = renderSummary(results());

describe('renderSummary', () => {

  it('starts with the environment header', () => {
    const first = plain.split('\n')[0];
    expect(first).toBe(
      'pushbench lab 0.1.0 | commit 0123456+dirty | node v20.11.1 | AMD EPYC 7B13 x 2 | started 2025-01-02T03:04:05.000Z',
    );
    expect(plain).not.toContain('INCOMPLETE RUN');
  });

  it('renders one feed row per transport with human-formatted figures', () => {
    const feed = table(plain, 'Feed: fixed load');
    expect(feed).toHaveLength(2 + 3);
    expect(row(feed, 'ws')).toMatchObject({
      transport: 'ws',
      encoding: 'json',
      conns: '1,000',
      'deliv/s': '301,242',
      p50: '0.512',
      p99: '21.4',
      'p99.9': '305',
      'conn p99': '8.43',
      'bytes/msg': '102 (+2)',
      'cpu/1k': '4.56',
      'KB/conn': '12.3',
      loss: '0/150,000',
    });
    expect(row(feed, 'sse')).toMatchObject({ 'p99.9': '1,234', loss: '12/150,000 dup 3', flags: 'CLIENT-BOUND' });
    // The publisher's worst lateness beside the latency: reported by ws's server, not by sse's, not measured without /stats.
    expect([row(feed, 'ws')['late max'], row(feed, 'sse')['late max'], row(feed, 'long-poll')['late max']]).toEqual(['301', 'n/r', '-']);
    expect(table(plain, 'Chat: fixed load')[0]).not.toContain('late');
    expect(feed[0]).not.toContain('client');
    expect(feed[0]).not.toContain('rtt');
  });

  it('shows missing data as -, never 0, and flags incomplete runs', () => {
    const longPoll = row(table(plain, 'Feed: fixed load'), 'long-poll');
    for (const header of ['p50', 'p99', 'p99.9', 'conn p99', 'bytes/msg', 'cpu/1k', 'KB/conn']) {
      expect(longPoll[header], header).toBe('-');
    }
    expect(longPoll.flags).toBe('INCOMPLETE');
  });

  it('prints memory per idle connection on a line under its table, only for the runs that measured it', () => {
    const idle = (transport: RunRecord['transport'], bytes: number | null): RunRecord =>
      buildRun({ id: `${transport}/feed`, transport, metrics: { server: { rssBytesPerConnection: 8_192, idleRssBytesPerConnection: bytes } } });
    const output = renderSummary(buildResults({ runs: [idle('ws', 6_554), idle('sse', 11_162), idle('long-poll', null)], capacity: [] }));
    const lines = output.split('\n');
    const at = lines.findIndex((line) => line.includes('idle KB/conn (every connection open, nothing published yet)'));
    expect(lines[at]).toBe('  idle KB/conn (every connection open, nothing published yet): ws 6.40, sse 10.9');
    // Right under the table's last row, not inside it.
    expect(lines[at - 1]?.trim().startsWith('long-poll')).toBe(true);
    expect(plain).not.toContain('idle KB/conn (every');
  });

  it('adds the rtt column for chat', () => {
    const chat = table(plain, 'Chat: fixed load');
    expect(chat).toHaveLength(3);
    expect(row(chat, 'ws')).toMatchObject({ p99: '3.21', 'rtt p99': '4.56', 'bytes/msg': '180 (+80)' });
  });

  it('puts browser runs in their own table, so they are never read as Node rows', () => {
    const mixed = results();
    mixed.runs = mixed.runs.map((r) => (r.id === 'sse' ? { ...r, client: 'browser' } : r));
    const output = renderSummary(mixed);
    const node = table(output, 'Feed: fixed load, Node clients (2 runs)');
    expect(node.slice(2).map((line) => line.trim().split(/\s+/)[0])).toEqual(['ws', 'long-poll']);
    const browser = table(output, 'Feed: fixed load, browser clients (1 run)');
    expect(row(browser, 'sse')).toMatchObject({ transport: 'sse', p99: '48.7' });
    expect(browser[0]).not.toContain('bytes/msg');
    expect(node[0]).not.toContain('client ');
    // Without a browser run, the titles read as they always did.
    expect(plain).toContain('Feed: fixed load (3 runs)');
  });

  it('aligns every table: all lines of a table have the same width', () => {
    for (const title of ['Feed: fixed load', 'Chat: fixed load', 'Capacity']) {
      const lines = table(plain, title);
      expect(lines.length).toBeGreaterThan(2);
      expect(new Set(lines.map((line) => line.length)).size, title).toBe(1);
      expect(lines[0]?.length ?? 0).toBeLessThanOrEqual(160);
    }
  });

  it('words capacity outcomes so a client-bound search is never read as the server limit', () => {
    const cap = table(plain, 'Capacity (SLO: p99 <= 50 ms, loss <= 0.001)');
    expect(row(cap, 'ws')).toMatchObject({
      'sustained/s': '199,876',
      p99: '31.3',
      outcome: 'no step broke the SLO (capacity >= highest step)',
    });
    expect(row(cap, 'sse').outcome).toBe('client-bound at 400,000/s: server limit not reached');
    expect(row(cap, 'long-poll').outcome).toBe('broke at 250,000/s: p99 82.1 ms > 50 ms');
  });

  it('a bisected search: the rate that broke, what ran out and each one\'s CPU; no step held is an answer, not "none"', () => {
    const limit = { why: 'w', serverCpuCores: 0.97, serverLoopDelayP99Ms: 38.2, clientCpuCores: 0.61, machineBusyCores: 1.71, machineCores: 2 };
    const searched = (transport: CapacityResult['transport'], by: 'server' | 'client', sustained: boolean) => ({
      ...capacity(transport, by === 'client' ? 'client-bound' : 'slo-broken', { offeredDeliveriesPerSec: 50_000, reason: 'delivery p99 120 ms > 50 ms', runId: 'step-5', limit: { by, ...limit } }),
      ...(sustained ? {} : { sustained: null }),
      resolution: 0.1,
      searchEnd: sustained ? ('bracketed' as const) : ('floor' as const),
    });
    const output = renderSummary(results({ capacity: [searched('ws', 'server', true), searched('long-poll', 'server', false), searched('sse', 'client', true)] }));
    const cap = table(output, 'Capacity (SLO: p99 <= 50 ms, loss <= 0.001)');
    expect(row(cap, 'ws')).toMatchObject({ limit: 'server', 'CPU server/client/machine': '0.97 / 0.61 / 1.71 of 2', outcome: 'broke at 50,000/s: delivery p99 120 ms > 50 ms' });
    expect(row(cap, 'long-poll').outcome).toBe('even 50,000/s offered broke the SLO: delivery p99 120 ms > 50 ms');
    expect(row(cap, 'sse')).toMatchObject({ limit: 'client', outcome: 'client-bound at 50,000/s: server limit not reached' });
    expect(output).toContain('bisected until the rate that broke was within 10 % of the one that held');
    expect(output).toContain("client: the lab's, so the server's capacity is above");
    for (const line of cap) expect(line.length).toBeLessThanOrEqual(160);
  });

  it('says how many steps broke narrowly and were measured once more', () => {
    const narrow = buildRun({ id: 'ws-step-2', kind: 'capacity-step', step: { index: 2, search: 'ws-search', remeasured: true } });
    const second = buildRun({ id: 'ws-step-3', kind: 'capacity-step', step: { index: 3, search: 'ws-search' } });
    const search = { ...capacity('ws', 'slo-broken', { offeredDeliveriesPerSec: 240_000, reason: 'delivery p99 120 ms > 50 ms', runId: 'ws-step-3' }), id: 'ws-search', steps: ['ws-step-2', 'ws-step-3'] };
    const output = renderSummary(results({ capacity: [search], runs: [...results().runs, narrow, second] }));
    expect(output).toContain('  1 step broke the SLO narrowly (p99 just over it, nothing lost) and was measured once more at the same rate: the second trial decided (results.json: step.remeasured)');
    expect(plain).not.toContain('broke the SLO narrowly');
  });

  it('a search whose steps ran out before it settled says how wide it left the bracket', () => {
    const unsettled = { ...capacity('ws', 'slo-broken', { offeredDeliveriesPerSec: 240_000, reason: 'delivery p99 120 ms > 50 ms', runId: 'step-6' }), resolution: 0.1, searchEnd: 'max-steps' as const };
    const cap = table(renderSummary(results({ capacity: [unsettled] })), 'Capacity (SLO: p99 <= 50 ms, loss <= 0.001)');
    expect(row(cap, 'ws').outcome).toBe('broke at 240,000/s: delivery p99 120 ms > 50 ms; steps ran out at 20 % (aim 10 %)');
  });

  it('a search that held above a lower rate that broke names that rate beside its answer, and the file is valid', () => {
    const nonMonotone = { ...capacity('long-poll', 'slo-broken', { offeredDeliveriesPerSec: 872_000, reason: 'delivery p99 158 ms > 50 ms', runId: 'step-9' }), brokeBelow: [{ offeredDeliveriesPerSec: 100_000, latencyP99Ms: 101.7, runId: 'lp-fixed' }] };
    const file = results({ capacity: [nonMonotone] });
    expect(() => validateResults(file, 'a test file')).not.toThrow();
    const cap = table(renderSummary(file), 'Capacity (SLO: p99 <= 50 ms, loss <= 0.001)');
    expect(row(cap, 'long-poll').outcome).toBe('broke at 872,000/s: delivery p99 158 ms > 50 ms; also broke below it, at 100,000/s (p99 102 ms)');
  });

  it('lists client-bound reasons, notices and the clock check', () => {
    expect(plain).toContain(
      'feed sse json node, 1,000 conns: worker CPU 0.97 cores >= 0.9; worker event-loop delay p99 45 ms >= 20 ms',
    );
    expect(plain).toContain('- other processes used 0.05 cores during the measured windows');
    expect(plain).toContain('Clock check: max |offset| 84 µs over 2 processes, agreed');
    expect(plain).not.toContain('WARNING');
  });

  it('warns loudly for an incomplete file and clocks that disagree', () => {
    const incomplete = results({
      complete: false,
      interruption: 'SIGINT during chat sse step 3',
      clock: { samples: [], maxAbsOffsetUs: 5300, agreed: false },
      capacity: [capacity('ws', 'interrupted', null)],
    });
    const output = renderSummary(incomplete);
    expect(output.split('\n')[1]).toBe('INCOMPLETE RUN: SIGINT during chat sse step 3');
    expect(output).toContain('INTERRUPTED: search did not finish');
    expect(output).toMatch(/WARNING: process clocks disagree \(max \|offset\| 5,300 µs\)/);
  });

  it('has no ANSI escapes without colour, and colour changes nothing but the escapes', () => {
    expect(plain).not.toContain(ESC);
    const colored = renderSummary(results(), { color: true });
    expect(colored).toContain(`${ESC}[31mCLIENT-BOUND`);
    expect(stripAnsi(colored)).toBe(plain);
  });
});

// ---------------------------------------------------------------------------------------------
// Browser clients: their own tables, Chromium's cost, the reconnect block and the finding.

const chromiumCost = buildBrowserCost();

const drop = (overrides: Partial<ReconnectMetrics> = {}): ReconnectMetrics =>
  buildReconnectMetrics({ reopen: latency(1004, 1021, 1021), resume: latency(1012, 1040, 1040), ...overrides });

const finding = buildConnectionLimitFinding();

function browserResults(): ResultsFile {
  const base = results();
  const browser = (spec: Omit<RunSpec, 'client' | 'connections' | 'browser'>): RunRecord =>
    // A page cannot see socket bytes: the aggregate writes zeros, which must never read as measured.
    run({ bytes: [0, -100], ...spec, client: 'browser', connections: 100, browser: chromiumCost });
  return {
    ...base,
    runs: [
      ...base.runs,
      browser({ id: 'ws/feed/json/browser', transport: 'ws', deliveriesPerSec: 10_000, latency: latency(6.8, 15.1, 22) }),
      browser({ id: 'sse/feed/json/browser', transport: 'sse', deliveriesPerSec: 10_000, latency: latency(1.6, 3.6, 8) }),
      browser({ id: 'ws/feed/json/browser/reconnect', transport: 'ws', kind: 'reconnect', deliveriesPerSec: 9_000, latency: latency(2, 900, 1000), reconnect: drop() }),
      browser({
        id: 'sse/feed/json/browser/reconnect',
        transport: 'sse',
        kind: 'reconnect',
        deliveriesPerSec: 9_000,
        latency: latency(2, 900, 1000),
        reconnect: drop({ attempts: 0, reopen: latency(3000, 3050, 3050), resume: latency(3010, 3100, 3100), recovered: 5980 }),
      }),
      browser({
        id: 'long-poll/feed/json/browser/reconnect',
        transport: 'long-poll',
        kind: 'reconnect',
        deliveriesPerSec: 9_000,
        latency: latency(2, 900, 1000),
        reconnect: drop({ sawDisconnect: 0, reopened: 0, reopen: null, attempts: 0, resume: latency(15, 1800, 1800), missed: 12, recovered: 0, duplicates: 3 }),
      }),
    ],
    findings: [finding],
  };
}

describe('renderSummary with browser clients', () => {
  const file = browserResults();
  const output = renderSummary(file);

  it('builds a results file the schema accepts', () => {
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(9);
  });

  it("shows Chromium's CPU and memory per client on browser rows, and no socket bytes", () => {
    const browser = table(output, 'Feed: fixed load, browser clients (2 runs)');
    expect(browser).toHaveLength(2 + 2);
    expect(row(browser, 'ws')).toMatchObject({ conns: '100', 'deliv/s': '10,000', p50: '6.80', p99: '15.1', chromium: '0.420', 'chr µs/msg': '42.1', 'MB/client': '3.93', loss: '0/150,000' });
    expect(browser[0]).not.toMatch(/bytes|lab µs/);
    expect(browser.join('\n')).not.toContain('(-100)');
    expect(output).toContain("chromium: Chromium's CPU over the window, cores (all its processes)");
    // The Node table keeps its columns, and reconnect runs are not fixed-load rows.
    const node = table(output, 'Feed: fixed load, Node clients (3 runs)');
    expect(row(node, 'ws')).toMatchObject({ 'bytes/msg': '102 (+2)', 'lab µs/msg': '3.00' });
    expect(node).toHaveLength(2 + 3);
    expect([...node, ...browser].join('\n')).not.toContain('9,000'); // the reconnect runs' deliveries
  });

  it('prints a reconnect row per transport: reopen p50, resume p99, missed, recovered and duplicates', () => {
    const reconnect = table(output, 'Reconnect (browser clients; the server cut every connection at once)');
    expect(row(reconnect, 'ws')).toMatchObject({ clients: '100', 'saw drop': '100', reopened: '100', 'reopen p50': '1,004', 'resume p50': '1,012', 'resume p99': '1,040', attempts: '100', missed: '0', recovered: '2,000', dup: '0' });
    expect(row(reconnect, 'sse')).toMatchObject({ attempts: 'not counted', 'resume p99': '3,100', recovered: '5,980' });
    expect(row(reconnect, 'long-poll')).toMatchObject({ 'saw drop': '0', 'reopen p50': '-', 'resume p99': '1,800', missed: '12', dup: '3' });
    expect(new Set(reconnect.map((line) => line.length)).size).toBe(1);
    expect(output).toContain('long-poll: none of the 100 pages saw the drop: Chromium retries a dropped idle poll by itself, so a page may never notice; the resume time still measures the outage each client had');
  });

  it('prints the connection-limit finding in one line, and why the lab spreads browser clients over ports', () => {
    expect(output).toContain(
      'Finding: Chromium 142.0.7444.59 opened 6 of 7 EventSources to one origin within 1.5 s; the 7th opened only 3.10 ms after the first was closed. Spread over 2 origins, all 7 opened.',
    );
    expect(output).toContain('the lab spreads its browser SSE and long-poll clients over several ports');
  });

  it('never prints NaN, undefined or null, and colour changes nothing but the escapes', () => {
    expect(output).not.toMatch(/NaN|undefined|null/);
    expect(stripAnsi(renderSummary(file, { color: true }))).toBe(output);
  });

  it('names reconnect runs as such among the client-bound ones', () => {
    const bound = browserResults();
    bound.runs = bound.runs.map((r) => (r.id === 'ws/feed/json/browser/reconnect' ? { ...r, clientBound: true, clientBoundReasons: ['renderer CPU 0.97 cores'] } : r));
    expect(renderSummary(bound)).toContain('feed ws json browser, 100 conns reconnect: renderer CPU 0.97 cores');
  });

  it('says nothing of reconnects or findings in files without them', () => {
    expect(plain).not.toMatch(/Reconnect|Finding|browser|Chromium/);
  });
});

describe('loss causes under the table', () => {
  it('says where each lost message went, and marks a run in which the server cut connections beside its loss', async () => {
    const { lossCauseLines } = await import('../../reports/terminal.ts');
    const { buildRun } = await import('../support/results.ts');
    const run = buildRun({ transport: 'sse' });
    run.metrics.integrity = {
      expected: 1000,
      received: 970,
      lost: 30,
      duplicated: 0,
      reordered: 0,
      expectedFrom: 'server',
      lostBy: { serverCut: { count: 25, connections: 2, codes: [{ code: 'SLOW_CONSUMER', count: 25, connections: 2 }] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 5 },
    };
    expect(lossCauseLines([run])).toEqual(['  loss, sse json: 25 at 2 connections the server cut (SLOW_CONSUMER x2); 5 never arrived on a live connection']);
    const { buildResults } = await import('../support/results.ts');
    const summary = renderSummary(buildResults({ runs: [run] }));
    expect(summary).toContain('30/1,000 CUT 2');
    expect(summary).toContain('loss, sse json: 25 at 2 connections the server cut');
    run.metrics.integrity.expectedFrom = 'inferred';
    expect(renderSummary(buildResults({ runs: [run] }))).toContain('30/1,000 CUT 2 inferred');
    run.metrics.integrity.lost = 0;
    expect(lossCauseLines([run])).toEqual([]);
  });
});

describe("renderSummary: the lab's own share of the latency", () => {
  // 10,000 subscribers at a trivial rate: most of the latency is the load workers draining their sockets.
  const drained = run({ id: 'ws', transport: 'ws', deliveriesPerSec: 20_000, latency: latency(79, 160, 200), connections: 10_000 });
  drained.metrics.client = { ...drained.metrics.client, readQueueMs: { p50: 62, p99: 70.4, max: 150 }, maxWorkerEventLoopUtilization: 0.97 };
  // Over half the latency at p50, but under a millisecond: not flagged.
  const light = run({ id: 'sse', transport: 'sse', deliveriesPerSec: 20_000, latency: latency(0.8, 40, 60) });
  light.metrics.client = { ...light.metrics.client, readQueueMs: { p50: 0.6, p99: 3, max: 5 }, maxWorkerEventLoopUtilization: 0.2 };
  // Written before the lab measured it.
  const older = run({ id: 'long-poll', transport: 'long-poll', deliveriesPerSec: 20_000, latency: latency(10, 40, 60) });
  const step = run({ id: 'ws-step', transport: 'ws', kind: 'capacity-step', deliveriesPerSec: 200_000, latency: latency(79, 160, 200) });
  step.metrics.client = { ...step.metrics.client, readQueueMs: { p50: 70, p99: 150, max: 190 }, maxWorkerEventLoopUtilization: 1 };
  const file = results({ runs: [drained, light, older, step], capacity: [], notices: [] });
  const output = renderSummary(file);

  it('builds a results file the schema accepts', () => {
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(4);
  });

  it('puts the lab queueing p99 beside the latency p99, - where not measured', () => {
    const feed = table(output, 'Feed: fixed load');
    const headers = (feed[0] ?? '').trim().split(/\s{2,}/);
    expect(headers.indexOf('lab q p99')).toBe(headers.indexOf('p99') + 1);
    expect([row(feed, 'ws')['lab q p99'], row(feed, 'sse')['lab q p99'], row(feed, 'long-poll')['lab q p99']]).toEqual(['70.4', '3.00', '-']);
  });

  it('flags LAB-QUEUED only where the lab queueing was over half the latency (and at least 1 ms), and says by how much', () => {
    const feed = table(output, 'Feed: fixed load');
    expect([row(feed, 'ws').flags, row(feed, 'sse').flags, row(feed, 'long-poll').flags]).toEqual(['LAB-QUEUED', '', '']);
    expect(output).toContain("LAB-QUEUED runs (the load client's own queueing, not the transport, made most of the latency):");
    expect(output).toContain(
      "feed ws json node, 10,000 conns: the lab's own read queueing was 62.0 of 79.0 ms at p50 (an upper bound): that much of the latency is the load client draining its sockets, not the transport; its busiest worker's event loop was busy 97 % of the window",
    );
    expect(output).not.toMatch(/feed sse json node, 1,000 conns: the lab/);
    // Capacity steps are counted, not listed.
    expect(output).toContain('and 1 capacity step (metrics.client.readQueueMs in results.json)');
    expect(output).not.toContain('70.0 of 79.0 ms');
    expect(output).toContain('LAB-QUEUED: the lab\'s queueing was over 50 % of the latency at p50 or p99 (and at least 1 ms)');
  });
});

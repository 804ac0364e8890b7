import { describe, expect, it } from 'vitest';
import type { Summary } from '../../metrics/histogram.ts';
import type { CapacityResult, ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { formatBytes, formatCount, formatMs, renderSummary } from '../../reports/terminal.ts';

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
  lost?: number;
  duplicated?: number;
  reordered?: number;
  clientBound?: string[];
  complete?: boolean;
}

function run(spec: RunSpec): RunRecord {
  const expected = 150_000;
  const lost = spec.lost ?? 0;
  const [perMessage, overhead] = spec.bytes ?? [102, 2];
  return {
    id: spec.id,
    transport: spec.transport,
    scenario: spec.scenario ?? 'feed',
    client: spec.client ?? 'node',
    encoding: 'json',
    kind: 'fixed',
    step: null,
    complete: spec.complete ?? true,
    clientBound: (spec.clientBound ?? []).length > 0,
    clientBoundReasons: spec.clientBound ?? [],
    notes: [],
    load: {
      connections: 1000,
      publishRatePerSec: 100,
      sendRatePerMember: null,
      rooms: null,
      membersPerRoom: null,
      payloadBytes: 100,
      offeredDeliveriesPerSec: 100_000,
      warmupMs: 1000,
      durationMs: 10_000,
    },
    window: { startUs: 0, endUs: 10_000_000, drainMs: 500 },
    metrics: {
      latency: spec.latency,
      rtt: spec.rtt ?? null,
      connect: spec.connect === undefined ? latency(1.2, 8.43, 12) : spec.connect,
      throughput: { deliveriesPerSec: spec.deliveriesPerSec, deliveries: spec.deliveriesPerSec * 10, sendsPerSec: null },
      bytes: {
        perMessage,
        overheadPerMessage: overhead,
        downPerMessage: perMessage,
        upPerMessage: 0,
        payloadBytes: 100,
        handshakePerConnection: 250,
      },
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
              slowConsumerDisconnects: 0,
            },
      client: { workers: 2, cpuUsPerDelivery: 3, maxWorkerCpuCores: 0.6, maxWorkerLoopDelayP99Ms: 4 },
      integrity: {
        expected,
        received: expected - lost,
        lost,
        duplicated: spec.duplicated ?? 0,
        reordered: spec.reordered ?? 0,
      },
      errors: { connectFailures: 0, decodeErrors: 0, disconnects: 0, sendFailures: 0 },
    },
    histograms: { latency: null, rtt: null, connect: null },
    timeline: [],
  };
}

function capacity(
  transport: CapacityResult['transport'],
  stopReason: CapacityResult['stopReason'],
  broke: CapacityResult['broke'],
): CapacityResult {
  return {
    id: `cap-${transport}`,
    transport,
    scenario: 'feed',
    client: 'node',
    encoding: 'json',
    slo: { p99Ms: 50, maxLoss: 0.001 },
    sustained: { offeredDeliveriesPerSec: 200_000, deliveriesPerSec: 199_876.4, latencyP99Ms: 31.27, runId: 'step-3' },
    broke,
    stopReason,
    steps: ['step-1', 'step-2', 'step-3'],
  };
}

function results(overrides: Partial<ResultsFile> = {}): ResultsFile {
  return {
    schemaVersion: 1,
    complete: true,
    interruption: null,
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
    config: {},
    clock: {
      samples: [
        { process: 'server', offsetUs: 12, uncertaintyUs: 40 },
        { process: 'worker-1', offsetUs: -84, uncertaintyUs: 40 },
      ],
      maxAbsOffsetUs: 84,
      agreed: true,
    },
    runs: [
      run({ id: 'ws', transport: 'ws', deliveriesPerSec: 301_241.6, latency: latency(0.512, 21.4, 305.2) }),
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
  };
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

describe('renderSummary', () => {
  const plain = renderSummary(results());

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

  it('adds the rtt column for chat', () => {
    const chat = table(plain, 'Chat: fixed load');
    expect(chat).toHaveLength(3);
    expect(row(chat, 'ws')).toMatchObject({ p99: '3.21', 'rtt p99': '4.56', 'bytes/msg': '180 (+80)' });
  });

  it('shows the client column only when more than one client kind ran', () => {
    const mixed = results();
    mixed.runs = mixed.runs.map((r) => (r.id === 'sse' ? { ...r, client: 'browser' } : r));
    const feed = table(renderSummary(mixed), 'Feed: fixed load');
    expect(row(feed, 'sse').client).toBe('browser');
    expect(row(feed, 'ws').client).toBe('node');
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

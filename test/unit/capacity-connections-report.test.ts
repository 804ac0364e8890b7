/**
 * How connections-axis capacity searches (--capacity-axis connections) read: in connections, never
 * in deliveries/s, in the terminal summary, the report's verdict and its own report section; and
 * their results validate against the schema, which older files without an axis still do.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityResult, ResultsFile } from '../../metrics/result-types.ts';
import { validateResults } from '../../metrics/results-io.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { gate } from '../../reports/gate/gate.ts';
import { connectionsOutcomeText } from '../../reports/capacity-words.ts';
import { renderReport } from '../../reports/html/render-report.ts';
import { verdicts } from '../../reports/html/verdict.ts';
import { renderSummary } from '../../reports/terminal.ts';
import { buildCapacity, buildResults, buildRun } from '../support/results.ts';

const CHART_JS = readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

const LIMIT = { by: 'server', why: 'the server ran out: its CPU reached 0.97 cores (limit 0.85)', serverCpuCores: 0.97, serverLoopDelayP99Ms: 61, clientCpuCores: 0.4, machineBusyCores: 1.5, machineCores: 2 } as const;

/** A connections-axis search that held `held` connections and broke at `broke`, at 2 messages/s each. */
function byConnections(transport: TransportName, held: number, broke: number): CapacityResult {
  const id = `${transport}/feed/json/node/capacity`;
  return {
    ...buildCapacity({
      transport,
      resolution: 0.1,
      searchEnd: 'bracketed',
      sustained: { offeredDeliveriesPerSec: held * 2, deliveriesPerSec: held * 2, latencyP99Ms: 42, runId: `${id}/step1`, connectionCount: held },
      broke: { offeredDeliveriesPerSec: broke * 2, reason: `${broke - held} of ${broke} connections failed to open during ramp-up (EMFILE)`, runId: `${id}/step2`, connectionCount: broke, limit: LIMIT },
    }),
    axis: 'connections',
    connectionRate: 2,
  };
}

function results(capacity: CapacityResult[]): ResultsFile {
  const transports = [...new Set(capacity.map((c) => c.transport))];
  return buildResults({ runs: transports.map((transport) => buildRun({ transport })), capacity });
}

describe('connections-axis capacity', () => {
  const file = results([byConnections('ws', 16_000, 17_600), byConnections('sse', 8000, 8800)]);

  it('validates against the schema, as does an older file whose searches have no axis', () => {
    expect(() => validateResults(JSON.parse(JSON.stringify(file)), 'test')).not.toThrow();
    expect(() => validateResults(JSON.parse(JSON.stringify(results([buildCapacity()]))), 'test')).not.toThrow();
    const bad = structuredClone(file);
    (bad.capacity[0] as unknown as Record<string, unknown>).axis = 'sideways';
    expect(() => validateResults(bad, 'test')).toThrow(/axis/);
  });

  it('the terminal summary has a table in connections, and no deliveries/s capacity table', () => {
    const text = renderSummary(file);
    expect(text).toContain('Capacity in connections (SLO: p99 <= 100 ms, loss <= 0)');
    const ws = text.split('\n').find((line) => /^\s+ws\s+feed\s+json\s+2\s+16,000\s+32,000\s+42(\.0)?\s+server\s/.test(line));
    expect(ws, text).toContain('held 16,000 connections, broke at 17,600 connections: 1600 of 17600 connections failed to open during ramp-up (EMFILE)');
    expect(text).toContain('rate/conn (2 messages/s published to every subscriber)');
    expect(text).not.toContain('sustained/s');
    expect(text).not.toMatch(/broke at [\d,]+\/s/);
  });

  it('beside a rate search, each goes to its own table', () => {
    const text = renderSummary(results([byConnections('ws', 16_000, 17_600), buildCapacity({ transport: 'sse' })]));
    expect(text).toContain('Capacity (SLO: p99 <= 100 ms, loss <= 0)');
    expect(text).toContain('Capacity in connections (SLO: p99 <= 100 ms, loss <= 0)');
    expect(text).toMatch(/sse\s+feed\s+json\s+20,000\s/);
  });

  it('words each ending in connections', () => {
    const passed: CapacityResult = { ...byConnections('ws', 20_000, 0), broke: null, stopReason: 'all-steps-passed', searchEnd: 'max-rate' };
    expect(connectionsOutcomeText(passed)).toBe('no step broke the SLO (holds at least 20,000 connections): the most connections the search may try held (--capacity-max-connections)');
    const none: CapacityResult = { ...byConnections('ws', 1, 50), sustained: null, searchEnd: 'floor' };
    expect(connectionsOutcomeText(none)).toBe('even 50 connections broke the SLO: 49 of 50 connections failed to open during ramp-up (EMFILE)');
    const unsettled: CapacityResult = { ...byConnections('ws', 1000, 2000), searchEnd: 'max-steps' };
    expect(connectionsOutcomeText(unsettled)).toContain('; steps ran out at 100 % (aim 10 %)');
  });

  it('the verdict compares connections, not deliveries/s, and names the winner', () => {
    const [feed] = verdicts({ results: file, baseline: null });
    const ids = feed!.criteria.map((c) => c.id);
    expect(ids).toContain('capacity-connections');
    expect(ids).not.toContain('capacity');
    const criterion = feed!.criteria.find((c) => c.id === 'capacity-connections')!;
    expect(criterion).toMatchObject({ unit: 'connections', winner: 'ws' });
    expect(criterion.figures.ws).toMatchObject({ value: 16_000, text: '16,000 connections' });
  });

  it('the report has a "Capacity in connections" section, and the throughput chart leaves the search out', () => {
    const html = renderReport({ results: file, baseline: null }, { chartJs: CHART_JS });
    expect(html).toContain('<section id="capacity-connections">');
    expect(html).toContain('href="#capacity-connections"');
    const section = html.slice(html.indexOf('<section id="capacity-connections">'), html.indexOf('</section>', html.indexOf('<section id="capacity-connections">')));
    expect(section).toContain('2 messages/s published to every subscriber');
    expect(section).toContain('16,000');
    expect(section).toContain('limit: the server');
  });

  it('the gate never pools a connections search with a rate search of the same id', () => {
    const rate = results([buildCapacity({ transport: 'ws', resolution: 0.1, searchEnd: 'bracketed' })]);
    const report = gate([rate], [results([byConnections('ws', 16_000, 17_600)])]);
    expect(report.figures.filter((figure) => figure.key === 'capacity')).toEqual([]);
    expect(report.unmatched.map((entry) => entry.why[0])).toEqual(['searched by rate, SLO p99 ≤ 100 ms and loss ≤ 0', 'searched by connections at 2/s each, SLO p99 ≤ 100 ms and loss ≤ 0']);
  });
});

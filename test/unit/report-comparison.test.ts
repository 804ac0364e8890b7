import { describe, expect, it } from 'vitest';
import type { ResultsFile, RunRecord, ScenarioName } from '../../metrics/result-types.ts';
import { readResultsFile } from '../../metrics/results-io.ts';
import { TRANSPORTS, type Encoding, type TransportName } from '../../scenarios/constants.ts';
import { comparisonRows } from '../../reports/html/comparison.ts';
import { verdicts } from '../../reports/html/verdict.ts';
import type { ComparisonRow } from '../../reports/html/types.ts';
import { SAMPLE_RESULTS_PATH, buildResults, buildRun, buildSummary, type RunOverrides } from '../support/results.ts';

/** A fixed run of `transport` on `scenario`, with buildRun's overrides. */
const run = (transport: TransportName, scenario: ScenarioName, o: RunOverrides = {}): RunRecord => buildRun({ transport, scenario, ...o });

const resultsFile = (runs: RunRecord[], encodings: Encoding[] = ['json']): ResultsFile => buildResults({ runs, config: { encodings } });

const rowsOf = (results: ResultsFile): ComparisonRow[] => comparisonRows({ results, baseline: null });

function rowOf(results: ResultsFile, feature: string): ComparisonRow {
  const found = rowsOf(results).find((row) => row.feature === feature);
  if (!found) throw new Error(`no ${feature} row`);
  return found;
}

/** Every number written in a text, as plain numbers ("1,234" -> 1234); the 99 of "p99" is a name, not a figure. */
const numbersIn = (text: string): number[] => (text.match(/(?<![\w.])\d[\d,]*(\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, '')));

const chatRuns = (encoding: Encoding = 'json'): RunRecord[] => [
  run('ws', 'chat', { encoding, metrics: { rtt: buildSummary(4.667), bytes: { upPerMessage: 15.95, perMessage: encoding === 'json' ? 216.95 : 154.25 } } }),
  run('sse', 'chat', { encoding, metrics: { rtt: buildSummary(6.127), bytes: { upPerMessage: 29.11, perMessage: encoding === 'json' ? 264.82 : 251.1 } } }),
  run('long-poll', 'chat', { encoding, metrics: { rtt: buildSummary(6.195), bytes: { upPerMessage: 135.86, perMessage: encoding === 'json' ? 544.84 : 473.61 } } }),
];

const feedRuns = (encoding: Encoding = 'json'): RunRecord[] => [
  run('ws', 'feed', { encoding, metrics: { bytes: { downPerMessage: 179.67, upPerMessage: 0, perMessage: encoding === 'json' ? 179.67 : 132 } } }),
  run('sse', 'feed', { encoding, metrics: { bytes: { downPerMessage: 203.33, upPerMessage: 0, perMessage: encoding === 'json' ? 203.33 : 199.67 } } }),
  run('long-poll', 'feed', { encoding, metrics: { bytes: { downPerMessage: 388.34, upPerMessage: 113.67, perMessage: encoding === 'json' ? 502 : 456.47 } } }),
];

describe('comparisonRows: the seed notes\' claims', () => {
  it('has the seed table\'s rows, plus Data flow, each with a cell per transport', () => {
    const rows = rowsOf(resultsFile([]));
    expect(rows.map((row) => row.feature)).toEqual(['Bidirectional', 'Data flow', 'Auto-reconnect', 'Binary support', 'Proxy friendly', 'Complexity']);
    for (const row of rows) expect(Object.keys(row.cells)).toEqual([...TRANSPORTS]);
  });

  it('copies the claims faithfully, as plain text', () => {
    const claims = Object.fromEntries(
      rowsOf(resultsFile([])).map((row) => [row.feature, TRANSPORTS.map((transport) => row.cells[transport].claim)]),
    );
    expect(claims).toEqual({
      Bidirectional: ['Yes', 'No: server->client only', 'Sort of'],
      'Data flow': ['Two-way', 'Server -> client', 'Fake two-way'],
      'Auto-reconnect': ['No: manual', 'Yes: built-in', 'Manual'],
      'Binary support': ['Yes', 'No: text only', 'Via base64'],
      'Proxy friendly': ['Sometimes blocked', 'Yes: always', 'Yes: always'],
      Complexity: ['Medium', 'Low', 'High'],
    });
    for (const row of rowsOf(resultsFile([]))) {
      for (const cell of Object.values(row.cells)) expect(cell.claim).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('says "not measured in this run" for everything when nothing ran', () => {
    for (const row of rowsOf(resultsFile([]))) {
      for (const cell of Object.values(row.cells)) {
        expect(cell.support).toBe('not-measured');
        expect(cell.evidence).toMatch(/^not measured in this run \(.+\)$/);
      }
    }
  });

  it('never measures auto-reconnect, proxies or complexity yet', () => {
    const file = resultsFile([...feedRuns(), ...chatRuns(), ...feedRuns('binary'), ...chatRuns('binary')], ['json', 'binary']);
    expect(rowOf(file, 'Auto-reconnect').cells.sse).toEqual({
      claim: 'Yes: built-in',
      evidence: 'not measured in this run (reconnects are measured with browser clients: the default profile, or --clients browser)',
      support: 'not-measured',
    });
    expect(rowOf(file, 'Proxy friendly').cells.ws.evidence).toBe('not measured in this run (no proxy scenario)');
    expect(rowOf(file, 'Complexity').cells['long-poll'].evidence).toBe('not measured in this run (qualitative)');
  });
});

describe('comparisonRows: evidence', () => {
  it('backs Bidirectional with the chat send path, its round trip and the bytes sent', () => {
    const row = rowOf(resultsFile([...chatRuns()]), 'Bidirectional');
    expect(row.cells.ws).toEqual({
      claim: 'Yes',
      evidence: 'chat (json): members send on the same socket; round trip p99 4.67 ms, 16 B up per delivery',
      support: 'measured',
    });
    expect(row.cells.sse.evidence).toBe('chat (json): members send by POST /messages, a separate HTTP request; round trip p99 6.13 ms, 29 B up per delivery');
    expect(row.cells['long-poll'].evidence).toBe(
      'chat (json): members send by POST /messages and receive by polling again; round trip p99 6.20 ms, 136 B up per delivery',
    );
  });

  it('says which figures are missing and flags the run', () => {
    const file = resultsFile([
      run('ws', 'chat', { metrics: { rtt: null, bytes: { upPerMessage: 12 } }, clientBoundReasons: ['client CPU'] }),
      run('sse', 'chat', { metrics: { rtt: null, bytes: { upPerMessage: null } } }),
    ]);
    const row = rowOf(file, 'Bidirectional');
    expect(row.cells.ws.evidence).toBe('chat (json): members send on the same socket; round trip not measured, 12 B up per delivery (client-bound)');
    expect(row.cells.sse.support).toBe('not-measured');
    expect(row.cells['long-poll'].evidence).toBe('not measured in this run (no chat run)');
  });

  it('backs Data flow with bytes down and up per delivery in the feed', () => {
    const row = rowOf(resultsFile([...feedRuns()]), 'Data flow');
    expect(row.cells.ws.evidence).toBe('feed (json): 180 B down, 0 B up per delivery; pushed on the open socket');
    expect(row.cells['long-poll'].evidence).toBe('feed (json): 388 B down, 114 B up per delivery; each batch answers a new GET /poll');
    expect(rowOf(resultsFile([...chatRuns()]), 'Data flow').cells.sse.evidence).toBe('not measured in this run (no feed run)');
  });

  it('without binary runs, Binary support asks for --encoding json,binary', () => {
    const row = rowOf(resultsFile([...feedRuns(), ...chatRuns()]), 'Binary support');
    for (const transport of TRANSPORTS) {
      expect(row.cells[transport].support).toBe('not-measured');
      expect(row.cells[transport].evidence).toBe('not measured in this run (run with --encoding json,binary)');
    }
  });

  it('with both encodings, Binary support compares bytes per message and says how each transport carries binary', () => {
    const file = resultsFile([...feedRuns(), ...chatRuns(), ...feedRuns('binary'), ...chatRuns('binary')], ['json', 'binary']);
    const row = rowOf(file, 'Binary support');
    expect(row.cells.ws.evidence).toBe(
      'feed: 180 B per message in json, 132 B in binary (-27 %); chat: 217 B per message in json, 154 B in binary (-29 %); one binary frame per message',
    );
    expect(row.cells.sse.evidence).toMatch(/^feed: 203 B per message in json, 200 B in binary \(-2 %\); .*SSE carries binary as base64 text/);
    expect(row.cells['long-poll'].evidence).toMatch(/long-poll carries binary as an application\/octet-stream body/);
    for (const transport of TRANSPORTS) expect(row.cells[transport].support).toBe('measured');
  });

  it('compares binary only for a transport that ran both encodings', () => {
    const file = resultsFile([...feedRuns(), run('ws', 'feed', { encoding: 'binary', metrics: { bytes: { perMessage: 132 } }, lost: 2 })], ['json', 'binary']);
    const row = rowOf(file, 'Binary support');
    expect(row.cells.ws.evidence).toBe('feed: 180 B per message in json, 132 B in binary (-27 %) [binary run lost 2]; one binary frame per message');
    expect(row.cells.sse.evidence).toBe('not measured in this run (run with --encoding json,binary)');
  });

  it('invents no number: every figure in the evidence comes from the results', () => {
    const file = resultsFile([...feedRuns(), ...chatRuns(), ...feedRuns('binary'), ...chatRuns('binary')], ['json', 'binary']);
    const allowed = new Set([180, 0, 388, 114, 203, 16, 29, 136, 4.67, 6.13, 6.2, 132, 27, 217, 154, 29, 200, 2, 265, 251, 5, 502, 456, 9, 545, 474, 13]);
    for (const row of rowsOf(file)) {
      for (const cell of Object.values(row.cells)) {
        for (const n of numbersIn(cell.evidence)) expect(allowed, `${n} in "${cell.evidence}"`).toContain(n);
      }
    }
  });
});

describe('comparisonRows and verdicts on a real results file', () => {
  it('measures Bidirectional, Data flow and Binary support for every transport, and picks a latency winner', async () => {
    const results = await readResultsFile(SAMPLE_RESULTS_PATH);
    const rows = rowsOf(results);
    for (const feature of ['Bidirectional', 'Data flow', 'Binary support']) {
      const row = rows.find((entry) => entry.feature === feature);
      for (const transport of TRANSPORTS) expect(row?.cells[transport].support, `${feature} ${transport}`).toBe('measured');
    }
    const result = verdicts({ results, baseline: null });
    expect(result.map((verdict) => verdict.scenario)).toEqual(['feed', 'chat']);
    for (const verdict of result) {
      expect(verdict.transports).toEqual(['ws', 'sse', 'long-poll']);
      expect(verdict.criteria.find((c) => c.id === 'latency-p99')?.winner).not.toBeNull();
    }
  });
});

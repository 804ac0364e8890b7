/** The seed notes' "WebSocket vs SSE vs long polling" table, each claim beside this run's evidence (pure). */
import { SCENARIO_NAMES, TRANSPORTS, type TransportName } from '../../scenarios/constants.ts';
import type { ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { ComparisonCell, ComparisonRow, ReportInput } from './types.ts';
import { reconnectEvidence, reconnectRunOf } from './reconnect.ts';
import { comparedEncoding, fixedRun, runFlags } from './verdict.ts';

export const NOT_MEASURED_IN_RUN = 'not measured in this run';

/**
 * The claims, copied from the seed notes (Lesson 12's table; "Data flow" from the "WebSockets vs
 * Alternatives" table), without the emoji.
 */
const CLAIMS: Record<string, Record<TransportName, string>> = {
  Bidirectional: { ws: 'Yes', sse: 'No: server->client only', 'long-poll': 'Sort of' },
  'Data flow': { ws: 'Two-way', sse: 'Server -> client', 'long-poll': 'Fake two-way' },
  'Auto-reconnect': { ws: 'No: manual', sse: 'Yes: built-in', 'long-poll': 'Manual' },
  'Binary support': { ws: 'Yes', sse: 'No: text only', 'long-poll': 'Via base64' },
  'Proxy friendly': { ws: 'Sometimes blocked', sse: 'Yes: always', 'long-poll': 'Yes: always' },
  Complexity: { ws: 'Medium', sse: 'Low', 'long-poll': 'High' },
};

/** How each transport sends a chat message (docs/PROTOCOL.md §6). */
const SEND_PATH: Record<TransportName, string> = {
  ws: 'members send on the same socket',
  sse: 'members send by POST /messages, a separate HTTP request',
  'long-poll': 'members send by POST /messages and receive by polling again',
};

/** How each transport gets a feed message to its subscriber (docs/PROTOCOL.md §6). */
const DELIVERY_PATH: Record<TransportName, string> = {
  ws: 'pushed on the open socket',
  sse: 'pushed on the open event stream',
  'long-poll': 'each batch answers a new GET /poll',
};

/** How each transport carries the binary encoding (docs/PROTOCOL.md §5, "Framing per transport"). */
const BINARY_CARRIAGE: Record<TransportName, string> = {
  ws: 'one binary frame per message',
  sse: 'SSE carries binary as base64 text in the data: line',
  'long-poll': 'long-poll carries binary as an application/octet-stream body, messages back to back',
};

const usable = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

const notMeasured = (claim: string, why: string): ComparisonCell => ({
  claim,
  evidence: `${NOT_MEASURED_IN_RUN} (${why})`,
  support: 'not-measured',
});

const measured = (claim: string, evidence: string): ComparisonCell => ({ claim, evidence, support: 'measured' });

/** " (client-bound run, lost 3)" or "". */
function flagsNote(run: RunRecord): string {
  const flags = runFlags(run);
  return flags.length > 0 ? ` (${flags.join(', ')})` : '';
}

function row(feature: string, cell: (transport: TransportName, claim: string) => ComparisonCell): ComparisonRow {
  const claims = CLAIMS[feature];
  if (!claims) throw new Error(`no seed claim for ${feature}`);
  const cells = {} as Record<TransportName, ComparisonCell>;
  for (const transport of TRANSPORTS) cells[transport] = cell(transport, claims[transport]);
  return { feature, cells };
}

// ---------------------------------------------------------------------------------------------
// Evidence.

/** Chat: how the client->server path is taken, and what it costs (round trip, bytes sent per delivery). */
function bidirectional(results: ResultsFile, transport: TransportName, claim: string): ComparisonCell {
  const encoding = comparedEncoding(results, 'chat');
  const run = encoding ? fixedRun(results, transport, 'chat', encoding) : null;
  if (!encoding || !run) return notMeasured(claim, 'no chat run');
  const rtt = run.metrics.rtt?.p99;
  const up = run.metrics.bytes.upPerMessage;
  if (!usable(rtt) && !usable(up)) return notMeasured(claim, 'the chat run has no round trip or upload figures');
  const figures = [
    usable(rtt) ? `round trip p99 ${formatMs(rtt)} ms` : 'round trip not measured',
    usable(up) ? `${formatBytes(up)} up per delivery` : 'bytes up not measured',
  ];
  return measured(claim, `chat (${encoding}): ${SEND_PATH[transport]}; ${figures.join(', ')}${flagsNote(run)}`);
}

/** Feed: bytes down and up per delivery; a poller sends a request for every batch. */
function dataFlow(results: ResultsFile, transport: TransportName, claim: string): ComparisonCell {
  const encoding = comparedEncoding(results, 'feed');
  const run = encoding ? fixedRun(results, transport, 'feed', encoding) : null;
  if (!encoding || !run) return notMeasured(claim, 'no feed run');
  const down = run.metrics.bytes.downPerMessage;
  const up = run.metrics.bytes.upPerMessage;
  if (!usable(down) || !usable(up)) return notMeasured(claim, 'the feed run has no per-direction byte counts');
  return measured(
    claim,
    `feed (${encoding}): ${formatBytes(down)} down, ${formatBytes(up)} up per delivery; ${DELIVERY_PATH[transport]}${flagsNote(run)}`,
  );
}

/** Bytes per message in json vs binary, per scenario that ran both encodings. */
function binarySupport(results: ResultsFile, transport: TransportName, claim: string): ComparisonCell {
  const parts: string[] = [];
  for (const scenario of SCENARIO_NAMES) {
    const json = fixedRun(results, transport, scenario, 'json');
    const binary = fixedRun(results, transport, scenario, 'binary');
    if (!json || !binary) continue;
    const a = json.metrics.bytes.perMessage;
    const b = binary.metrics.bytes.perMessage;
    if (!usable(a) || !usable(b)) continue;
    const change = a > 0 ? ` (${b >= a ? '+' : '-'}${Math.round(Math.abs(b / a - 1) * 100)} %)` : '';
    const flags = [
      ...runFlags(json).map((flag) => `json run ${flag}`),
      ...runFlags(binary).map((flag) => `binary run ${flag}`),
    ];
    parts.push(
      `${scenario}: ${formatBytes(a)} per message in json, ${formatBytes(b)} in binary${change}${flags.length > 0 ? ` [${flags.join(', ')}]` : ''}`,
    );
  }
  if (parts.length === 0) return notMeasured(claim, 'run with --encoding json,binary');
  return measured(claim, `${parts.join('; ')}; ${BINARY_CARRIAGE[transport]}`);
}

/**
 * The browser reconnect run: who reconnected, how long the outage lasted, what was missed. Files
 * without any reconnect run keep their old wording.
 */
function autoReconnect(results: ResultsFile, transport: TransportName, claim: string): ComparisonCell {
  const run = reconnectRunOf(results, transport);
  if (run !== null) return measured(claim, `${reconnectEvidence(run)}${flagsNote(run)}`);
  const any = results.runs.some((r) => r.kind === 'reconnect');
  return notMeasured(claim, any ? `no browser reconnect run for ${transport}` : 'reconnects are measured with browser clients: the default profile, or --clients browser');
}

// ---------------------------------------------------------------------------------------------

export function comparisonRows(input: ReportInput): ComparisonRow[] {
  const { results } = input;
  return [
    row('Bidirectional', (transport, claim) => bidirectional(results, transport, claim)),
    row('Data flow', (transport, claim) => dataFlow(results, transport, claim)),
    row('Auto-reconnect', (transport, claim) => autoReconnect(results, transport, claim)),
    row('Binary support', (transport, claim) => binarySupport(results, transport, claim)),
    row('Proxy friendly', (_transport, claim) => notMeasured(claim, 'no proxy scenario')),
    row('Complexity', (_transport, claim) => notMeasured(claim, 'qualitative')),
  ];
}

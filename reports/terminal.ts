/**
 * The end-of-bench summary printed on stdout (after autocannon's printResult and k6's end-of-test
 * summary): a pure function of results.json that returns text and does no I/O. The words carry the
 * meaning (CLIENT-BOUND, INCOMPLETE, loss counts); colour, when asked for, only underlines them.
 */
import { CLIENT_KINDS, SCENARIO_NAMES, TRANSPORTS } from '../scenarios/constants.ts';
import type { BrowserCost, CapacityResult, ClientKind, ResultsFile, RunRecord, ScenarioName } from '../metrics/result-types.ts';
import { brokeBelowText, cpuColumnText, limitName, nothingHeldText, precisionText, unsettledText } from './capacity-words.ts';
import { MISSING, formatCompactCount, formatCount, formatMs, usable } from './format.ts';
import { capacitySpreadOf, figureSpread, hasRepeats, seriesSpreadOf, spreadText, summarizeRepeats, type HeadlineFigureId, type RepeatSummary } from './spread.ts';
import { lossCauseText, serverCutConnections } from './loss-words.ts';
import { noisyMachineWarning } from '../metrics/noisy-machine.ts';
import { findingLines, reconnectLines } from './terminal-browser.ts';
import { connectionCapacityLines } from './terminal-connections.ts';
import { LAB_QUEUED_FLAG, LAB_QUEUED_RULE, LAB_QUEUE_CAVEAT, LAB_QUEUE_DEFINITION, isLabQueued, labQueuedText } from './lab-queue.ts';
import { INDENT, painter, renderTable, type Cell, type Column, type Paint, type Style } from './text-table.ts';
import { scenarioOf } from '../scenarios/registry.ts';

// ---------------------------------------------------------------------------------------------
// Sections.

const plural = (count: number, one: string, many: string): string => `${formatCount(count)} ${count === 1 ? one : many}`;

const transportOrder = (run: { transport: string }): number =>
  (TRANSPORTS as readonly string[]).indexOf(run.transport);

function byKeys<T>(...keys: ((item: T) => string | number)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

function header(results: ResultsFile, paint: Paint): string[] {
  const env = results.environment;
  const commit = env.gitCommit === null ? 'unknown' : env.gitCommit.slice(0, 7) + (env.gitDirty ? '+dirty' : '');
  const lines = [
    paint(
      [
        `pushbench lab ${env.labVersion}`,
        `commit ${commit}`,
        `node ${env.node}`,
        `${env.cpuModel} x ${env.cpuCount}`,
        `started ${env.startedAt}`,
      ].join(' | '),
      'bold',
    ),
  ];
  if (!results.complete) {
    lines.push(paint(`INCOMPLETE RUN: ${results.interruption ?? 'reason not recorded'}`, 'red'));
  }
  const noisy = noisyMachineWarning(results);
  if (noisy !== null) lines.push(paint(`⚠ ${noisy}`, 'yellow'));
  return lines;
}

function lossCell(run: RunRecord): Cell {
  const { lost, expected, duplicated, reordered } = run.metrics.integrity;
  let text = `${formatCount(lost)}/${formatCount(expected)}`;
  if (duplicated > 0) text += ` dup ${formatCount(duplicated)}`;
  if (reordered > 0) text += ` reorder ${formatCount(reordered)}`;
  // A run in which the server cut connections says so beside its loss; an expected count that was inferred is marked.
  const cut = serverCutConnections(run.metrics.integrity);
  if (cut > 0) text += ` CUT ${formatCount(cut)}`;
  if (run.metrics.integrity.expectedFrom === 'inferred') text += ' inferred';
  const style: Style = lost > 0 ? 'red' : duplicated > 0 || reordered > 0 ? 'yellow' : 'green';
  return { text, style };
}

function bytesCell(run: RunRecord): string {
  const { perMessage, overheadPerMessage } = run.metrics.bytes;
  if (!usable(perMessage)) return MISSING;
  if (!usable(overheadPerMessage)) return formatCount(perMessage);
  const sign = Math.round(overheadPerMessage) >= 0 ? '+' : '';
  return `${formatCount(perMessage)} (${sign}${formatCount(overheadPerMessage)})`;
}

const NOT_REPORTED = 'n/r';

/** The server's publisher: how late it sent a message at worst; n/r when the server does not report it. */
function latenessCell(run: RunRecord): string {
  if (run.metrics.server === null) return MISSING;
  const lateness = run.metrics.server.feedLatenessMs;
  return lateness === undefined || lateness === null ? NOT_REPORTED : formatMs(lateness.max);
}

function flagsCell(run: RunRecord): Cell {
  const flags = [run.clientBound ? 'CLIENT-BOUND' : '', isLabQueued(run) ? LAB_QUEUED_FLAG : '', run.complete ? '' : 'INCOMPLETE'].filter(Boolean);
  return flags.length > 0 ? { text: flags.join(' '), style: 'red' } : { text: '' };
}

/** Chromium's cost in a browser run; the Node process driving it is not included. */
const chromium = (run: RunRecord): BrowserCost | undefined => run.metrics.client.browser;

/**
 * The columns of one client kind's table. Browser rows have no socket bytes (a page cannot see
 * them) and their client cost is Chromium's, so those columns differ.
 */
function runColumns(scenario: ScenarioName, client: ClientKind): Column<RunRecord>[] {
  const browser = client === 'browser';
  const columns: (Column<RunRecord> | null)[] = [
    { header: 'transport', align: 'left', cell: (r) => r.transport },
    { header: 'encoding', align: 'left', cell: (r) => r.encoding },
    { header: 'conns', align: 'right', cell: (r) => formatCount(r.load.connections) },
    { header: 'deliv/s', align: 'right', cell: (r) => formatCount(r.metrics.throughput.deliveriesPerSec) },
    { header: 'p50', align: 'right', cell: (r) => formatMs(r.metrics.latency?.p50) },
    { header: 'p99', align: 'right', cell: (r) => formatMs(r.metrics.latency?.p99) },
    browser ? null : { header: 'lab q p99', align: 'right', cell: (r) => formatMs(r.metrics.client.readQueueMs?.p99) },
    { header: 'p99.9', align: 'right', cell: (r) => formatMs(r.metrics.latency?.p999) },
    scenarioOf(scenario).pace === 'publisher' ? { header: 'late max', align: 'right', cell: latenessCell } : null,
    scenarioOf(scenario).roundTrips ? { header: 'rtt p99', align: 'right', cell: (r) => formatMs(r.metrics.rtt?.p99) } : null,
    { header: 'conn p99', align: 'right', cell: (r) => formatMs(r.metrics.connect?.p99) },
    browser ? null : { header: 'bytes/msg', align: 'right', cell: bytesCell },
    { header: 'cpu/1k', align: 'right', cell: (r) => formatMs(r.metrics.server?.cpuMsPer1kDeliveries) },
    {
      header: 'KB/conn',
      align: 'right',
      cell: (r) => {
        const perConnection = r.metrics.server?.rssBytesPerConnection;
        return formatMs(usable(perConnection) ? perConnection / 1024 : null);
      },
    },
    browser
      ? { header: 'chromium', align: 'right', cell: (r) => formatMs(chromium(r)?.cpuCores) }
      : { header: 'lab µs/msg', align: 'right', cell: (r) => formatMs(r.metrics.client.cpuUsPerDelivery) },
    browser ? { header: 'chr µs/msg', align: 'right', cell: (r) => formatMs(chromium(r)?.cpuUsPerDelivery) } : null,
    browser
      ? {
          header: 'MB/client',
          align: 'right',
          cell: (r) => {
            const perClient = chromium(r)?.memoryBytesPerClient;
            return formatMs(usable(perClient) ? perClient / 1024 ** 2 : null);
          },
        }
      : null,
    { header: 'loss', align: 'left', cell: lossCell },
    { header: 'flags', align: 'left', cell: flagsCell },
  ];
  return columns.filter((column): column is Column<RunRecord> => column !== null);
}

const RUN_LEGEND = [
  'p50/p99/p99.9: delivery latency from each message\'s due time, ms; rtt: chat send to own echo, ms; conn: connect time, ms',
  'late max: the server publisher\'s worst lateness (publish time minus due time), ms; n/r: not reported by the server',
  'bytes/msg: client socket bytes per delivery (overhead over the payload); cpu/1k: server CPU ms per 1,000 deliveries',
  'KB/conn: server RSS per connection during the window; idle KB/conn (under a table): once every connection had opened, before anything was published',
  'lab µs/msg: load-client CPU per delivery; loss: lost/expected deliveries; - : not measured',
  'loss: expected is what the server published in the window times its recipients; inferred: from the seqs the recipients saw (the server could not say),',
  '  so a message no recipient received is not counted; CUT n: the server cut n connections during the window',
  `lab q p99: the lab's own share of the latency, p99, ms: ${LAB_QUEUE_DEFINITION}`,
  `${LAB_QUEUED_RULE}; lab q is ${LAB_QUEUE_CAVEAT}`,
];

const BROWSER_LEGEND = [
  'browser clients: Chromium\'s native WebSocket, EventSource and fetch; a page cannot see socket bytes, so none are shown',
  'chromium: Chromium\'s CPU over the window, cores (all its processes); chr µs/msg: its CPU per delivery; MB/client: its memory (PSS) per client',
];

/**
 * Server memory per idle connection, one line under a fixed-load table (a column would make the
 * table wider than a terminal): "idle KB/conn: ws 6.43, sse 10.8"; null when no row measured it.
 */
function idleMemoryLine(rows: readonly RunRecord[], summary: RepeatSummary | null): string | null {
  const format = (bytes: number): string => formatMs(bytes / 1024);
  const parts = rows.flatMap((run) => {
    const spread = summary === null ? undefined : figureSpread(seriesSpreadOf(summary, run), 'idle-rss-per-connection');
    const value = run.metrics.server?.idleRssBytesPerConnection;
    const text = spread !== undefined && spread.n > 1 ? spreadText(spread, format) : usable(value) ? format(value) : null;
    return text === null ? [] : [`${run.transport}${run.encoding === 'json' ? '' : ` ${run.encoding}`} ${text}`];
  });
  return parts.length === 0 ? null : `${INDENT}idle KB/conn (every connection open, nothing published yet): ${parts.join(', ')}`;
}

/** Where the lost messages of each run with any went: one line per such run, under its table. */
export function lossCauseLines(runs: readonly RunRecord[]): string[] {
  const lines: string[] = [];
  for (const run of runs) {
    const causes = lossCauseText(run.metrics.integrity);
    if (causes !== null) lines.push(`${INDENT}loss, ${run.transport} ${run.encoding}: ${causes}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Repeats: one row per series, its headline figures as "median (min–max)".

/** The columns shown as a spread over repeats: the figure each reads, and how one value is written. */
const SPREAD_COLUMNS: Record<string, { id: HeadlineFigureId; format: (value: number) => string }> = {
  'deliv/s': { id: 'deliveries', format: formatCompactCount },
  p50: { id: 'latency-p50', format: formatMs },
  p99: { id: 'latency-p99', format: formatMs },
  'rtt p99': { id: 'rtt-p99', format: formatMs },
  'bytes/msg': { id: 'bytes', format: formatCount },
  'cpu/1k': { id: 'server-cpu', format: formatMs },
  'KB/conn': { id: 'rss-per-connection', format: (value) => formatMs(value / 1024) },
  'lab µs/msg': { id: 'client-cpu', format: formatMs },
};

/** The columns with each headline figure read from the summary when the row's series was measured more than once. */
function withSpreads(columns: Column<RunRecord>[], summary: RepeatSummary): Column<RunRecord>[] {
  return columns.map((column) => {
    const spread = SPREAD_COLUMNS[column.header];
    if (spread === undefined) return column;
    return {
      ...column,
      cell: (run: RunRecord) => {
        const figure = figureSpread(seriesSpreadOf(summary, run), spread.id);
        return figure !== undefined && figure.n > 1 ? spreadText(figure, spread.format) : column.cell(run);
      },
    };
  });
}

/** Items grouped by key, groups in the order their first item came. */
function groupedBy<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

/** One row per series: its first repeat stands for it, with the loss summed and the flags of any repeat. */
function seriesRows(runs: RunRecord[], summary: RepeatSummary): RunRecord[] {
  return groupedBy(runs, (run) => seriesSpreadOf(summary, run)?.series ?? run.id).map((repeats) => {
    const first = repeats[0]!;
    if (repeats.length === 1) return first;
    const sum = (pick: (run: RunRecord) => number): number => repeats.reduce((total, run) => total + pick(run), 0);
    const integrity = {
      expected: sum((r) => r.metrics.integrity.expected),
      received: sum((r) => r.metrics.integrity.received),
      lost: sum((r) => r.metrics.integrity.lost),
      duplicated: sum((r) => r.metrics.integrity.duplicated),
      reordered: sum((r) => r.metrics.integrity.reordered),
    };
    return { ...first, clientBound: repeats.some((r) => r.clientBound), complete: repeats.every((r) => r.complete), metrics: { ...first.metrics, integrity } };
  });
}

const REPEAT_LEGEND = 'with repeats: each figure is the median over the repeats (min–max), loss is summed over them, flags are any repeat\'s';

function fixedRunTables(results: ResultsFile, paint: Paint): string[] {
  const summary = summarizeRepeats(results);
  const repeated = hasRepeats(summary);
  const fixed = results.runs.filter((run) => run.kind === 'fixed');
  if (fixed.length === 0) return ['No fixed-load runs.'];
  // Browser runs get their own tables: other loads, other columns, never read as Node rows.
  const split = new Set(fixed.map((run) => run.client)).size > 1;
  const lines: string[] = [];
  for (const scenario of SCENARIO_NAMES) {
    for (const client of CLIENT_KINDS) {
      const runs = fixed
        .filter((run) => run.scenario === scenario && run.client === client)
        .sort(
          byKeys<RunRecord>(
            (r) => r.encoding,
            (r) => r.load.connections,
            (r) => r.load.payloadBytes,
            (r) => r.load.offeredDeliveriesPerSec,
            transportOrder,
          ),
        );
      if (runs.length === 0) continue;
      const who = split || client !== 'node' ? `, ${client === 'node' ? 'Node' : 'browser'} clients` : '';
      const rows = repeated ? seriesRows(runs, summary) : runs;
      const count = repeated ? `${plural(runs.length, 'run', 'runs')}, ${plural(summary.repeats, 'repeat', 'repeats')}` : plural(runs.length, 'run', 'runs');
      lines.push(paint(`${scenarioOf(scenario).title}: fixed load${who} (${count})`, 'bold'));
      const idle = idleMemoryLine(rows, repeated ? summary : null);
      lines.push(...renderTable(repeated ? withSpreads(runColumns(scenario, client), summary) : runColumns(scenario, client), rows, paint), ...(idle === null ? [] : [idle]), ...lossCauseLines(runs), '');
    }
  }
  lines.push(...RUN_LEGEND.map((text) => INDENT + text));
  if (repeated) lines.push(INDENT + REPEAT_LEGEND);
  if (fixed.some((run) => run.client === 'browser')) lines.push(...BROWSER_LEGEND.map((text) => INDENT + text));
  return lines;
}

const sloText = (slo: CapacityResult['slo']): string => `p99 <= ${slo.p99Ms} ms, loss <= ${slo.maxLoss}`;

function outcomeCell(result: CapacityResult): Cell {
  const brokeAt = result.broke ? `${formatCount(result.broke.offeredDeliveriesPerSec)}/s` : null;
  // A search whose steps ran out before it settled says how wide it left the bracket.
  const tail = [unsettledText(result), brokeBelowText(result)].flatMap((text) => (text === null ? [] : [`; ${text}`])).join('');
  switch (result.stopReason) {
    case 'slo-broken':
      return { text: (result.sustained === null && result.broke !== null ? nothingHeldText(result) : `broke at ${brokeAt ?? '?'}: ${result.broke?.reason ?? 'reason not recorded'}`) + tail };
    case 'client-bound':
      return {
        text: `client-bound at ${brokeAt ?? '?'}: server limit not reached${tail}`,
        style: 'yellow',
      };
    case 'all-steps-passed': {
      const why = result.searchEnd === 'max-steps' || result.searchEnd === 'max-rate' ? `: ${precisionText(result)}` : '';
      return { text: `no step broke the SLO (capacity >= highest step)${why}`, style: 'green' };
    }
    case 'interrupted':
      return { text: 'INTERRUPTED: search did not finish', style: 'red' };
    case 'failed':
      return { text: `FAILED: ${result.broke?.reason ?? 'search did not finish'}`, style: 'red' };
  }
}

/** With repeats, one row per series of searches: the search whose sustained rate is the median's stands for it. */
function capacityRows(capacity: CapacityResult[], summary: RepeatSummary): CapacityResult[] {
  return groupedBy(capacity, (result) => capacitySpreadOf(summary, result)?.series ?? result.id).map((searches) => {
    const spread = capacitySpreadOf(summary, searches[0]!)?.sustained;
    if (spread === undefined || spread === null) return searches[0]!;
    const distance = (result: CapacityResult): number => Math.abs((result.sustained?.deliveriesPerSec ?? Number.POSITIVE_INFINITY) - spread.median);
    return [...searches].sort((a, b) => distance(a) - distance(b))[0]!;
  });
}

/** How the repeats of a search ended, when they did not all end alike: "repeats: slo-broken 2, client-bound 1". */
function repeatOutcomes(result: CapacityResult, all: CapacityResult[], summary: RepeatSummary): string | null {
  const ids = capacitySpreadOf(summary, result)?.searchIds ?? [];
  const counts = new Map<string, number>();
  for (const search of all.filter((entry) => ids.includes(entry.id))) counts.set(search.stopReason, (counts.get(search.stopReason) ?? 0) + 1);
  return counts.size > 1 ? `repeats: ${[...counts].map(([reason, count]) => `${reason} ${count}`).join(', ')}` : null;
}

function capacityTable(results: ResultsFile, paint: Paint): string[] {
  const summary = summarizeRepeats(results);
  const repeated = hasRepeats(summary);
  // Connections-axis searches count connections, not deliveries/s: terminal-connections.ts has their table.
  const all = results.capacity.filter((c) => c.axis !== 'connections').sort(
    byKeys<CapacityResult>(
      (c) => c.scenario,
      (c) => c.encoding,
      (c) => c.client,
      transportOrder,
    ),
  );
  const capacity = repeated ? capacityRows(all, summary) : all;
  if (capacity.length === 0) return [];
  const sustainedCell = (c: CapacityResult): string => {
    const spread = repeated ? capacitySpreadOf(summary, c)?.sustained : null;
    return spread !== null && spread !== undefined && spread.n > 1 ? spreadText(spread, formatCompactCount) : formatCount(c.sustained?.deliveriesPerSec);
  };
  const outcome = (c: CapacityResult): Cell => {
    const cell = outcomeCell(c);
    const mixed = repeated ? repeatOutcomes(c, all, summary) : null;
    return mixed === null ? cell : { ...cell, text: `${cell.text}; ${mixed}` };
  };
  const slos = new Set(capacity.map((c) => sloText(c.slo)));
  const sharedSlo = slos.size === 1 ? [...slos][0] : undefined;
  const columns: (Column<CapacityResult> | null)[] = [
    { header: 'transport', align: 'left', cell: (c) => c.transport },
    { header: 'scenario', align: 'left', cell: (c) => c.scenario },
    { header: 'encoding', align: 'left', cell: (c) => c.encoding },
    new Set(capacity.map((c) => c.client)).size > 1 ? { header: 'client', align: 'left', cell: (c) => c.client } : null,
    sharedSlo === undefined ? { header: 'SLO', align: 'left', cell: (c) => sloText(c.slo) } : null,
    { header: 'sustained/s', align: 'right', cell: sustainedCell },
    { header: 'p99', align: 'right', cell: (c) => formatMs(c.sustained?.latencyP99Ms) },
    // What ran out where the search broke, with each one's CPU beside it (files from before the search bisected have none).
    capacity.some((c) => c.broke?.limit !== undefined) ? { header: 'limit', align: 'left', cell: (c) => limitName(c) ?? MISSING } : null,
    capacity.some((c) => c.broke?.limit !== undefined) ? { header: 'CPU server/client/machine', align: 'right', cell: (c) => (c.broke?.limit === undefined ? MISSING : cpuColumnText(c.broke.limit)) } : null,
    { header: 'outcome', align: 'left', cell: outcome },
  ];
  const title = sharedSlo === undefined ? 'Capacity' : `Capacity (SLO: ${sharedSlo})`;
  return [
    paint(title, 'bold'),
    ...renderTable(
      columns.filter((column): column is Column<CapacityResult> => column !== null),
      capacity,
      paint,
    ),
    '',
    `${INDENT}sustained/s: deliveries/s at the highest step that met the SLO; p99: its delivery latency, ms`,
    ...(repeated ? [`${INDENT}with repeats: sustained/s is the median over the searches (min–max); the other columns are the search nearest that median's`] : []),
    ...searchLegend(capacity, results.runs),
  ];
}

/** How the steps were chosen and what the limit columns mean, once for the table. */
function searchLegend(capacity: CapacityResult[], runs: readonly RunRecord[]): string[] {
  const lines: string[] = [];
  const searched = new Set(capacity.flatMap((c) => c.steps));
  const remeasured = runs.filter((run) => run.step?.remeasured === true && searched.has(run.id)).length;
  if (remeasured > 0) {
    lines.push(`${INDENT}${plural(remeasured, 'step', 'steps')} broke the SLO narrowly (p99 just over it, nothing lost) and ${remeasured === 1 ? 'was' : 'were'} measured once more at the same rate: the second trial decided (results.json: step.remeasured)`);
  }
  const resolutions = new Set(capacity.map((c) => c.resolution).filter((r): r is number => typeof r === 'number'));
  if (resolutions.size > 0) {
    const within = [...resolutions].map((r) => `${Math.round(r * 100)} %`).join(', ');
    lines.push(`${INDENT}the rate doubled while steps held (halved while they broke), then was bisected until the rate that broke was within ${within} of the one that held`);
  }
  if (capacity.some((c) => c.broke?.limit !== undefined)) {
    lines.push(
      `${INDENT}limit: what ran out at the lowest rate that broke (server: CPU or event loop; client: the lab's, so the server's capacity is above; machine: every core busy, or server and client held up together;`,
      `${INDENT}SLO: none ran out); CPU: server / load client / whole machine, in cores, at that step`,
    );
  }
  return lines;
}

function describeRun(run: RunRecord): string {
  const step = run.step ? ` capacity step ${run.step.index}` : run.kind === 'reconnect' ? ' reconnect' : '';
  return `${run.scenario} ${run.transport} ${run.encoding} ${run.client}, ${formatCount(run.load.connections)} conns${step}`;
}

function closingLines(results: ResultsFile, paint: Paint): string[] {
  const lines: string[] = [];
  const clientBound = results.runs.filter((run) => run.clientBound);
  if (clientBound.length > 0) {
    lines.push(paint('CLIENT-BOUND runs (the load generator, not the server, was the limit):', 'red'));
    for (const run of clientBound) {
      const reasons = run.clientBoundReasons.length > 0 ? run.clientBoundReasons.join('; ') : 'no reason recorded';
      lines.push(`${INDENT}${describeRun(run)}: ${reasons}`);
    }
    lines.push('');
  }
  // Capacity steps near a limit are often queued in the lab: counted, not listed one by one.
  const labQueued = results.runs.filter(isLabQueued);
  const labQueuedSteps = labQueued.filter((run) => run.kind === 'capacity-step').length;
  if (labQueued.length > 0) {
    lines.push(paint(`${LAB_QUEUED_FLAG} runs (the load client's own queueing, not the transport, made most of the latency):`, 'yellow'));
    for (const run of labQueued) if (run.kind !== 'capacity-step') lines.push(`${INDENT}${describeRun(run)}: ${labQueuedText(run) ?? ''}`);
    if (labQueuedSteps > 0) lines.push(`${INDENT}and ${plural(labQueuedSteps, 'capacity step', 'capacity steps')} (metrics.client.readQueueMs in results.json)`);
    lines.push('');
  }
  if (results.notices.length > 0) {
    lines.push(paint('Notices:', 'bold'), ...results.notices.map((notice) => `${INDENT}- ${notice}`), '');
  }
  const clock = results.clock;
  if (clock === null) {
    lines.push('Clock check: not performed');
  } else {
    lines.push(
      `Clock check: max |offset| ${formatCount(clock.maxAbsOffsetUs)} µs over ${plural(clock.samples.length, 'process', 'processes')}` +
        (clock.agreed ? ', agreed' : ''),
    );
    if (!clock.agreed) {
      lines.push(
        paint(
          `WARNING: process clocks disagree (max |offset| ${formatCount(clock.maxAbsOffsetUs)} µs): cross-process latencies may be off by that much`,
          'red',
        ),
      );
    }
  }
  return lines;
}

/** The end-of-run summary as text (the caller prints it). */
export function renderSummary(results: ResultsFile, options: { color?: boolean } = {}): string {
  const paint = painter(options.color ?? false);
  const sections = [
    header(results, paint),
    fixedRunTables(results, paint),
    capacityTable(results, paint),
    connectionCapacityLines(results, paint),
    reconnectLines(results, paint),
    findingLines(results, paint),
    closingLines(results, paint),
  ].filter((section) => section.length > 0);
  return sections.map((section) => section.join('\n')).join('\n\n') + '\n';
}

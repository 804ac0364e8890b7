/**
 * Node vs browser clients: per scenario (and encoding), each transport's delivery latency p50, p99
 * and p99.9 with the lab's Node clients beside the same with Chromium's native WebSocket,
 * EventSource and fetch. Browser runs usually hold fewer connections at the same publish rate, so
 * the loads are stated in the reading and the table; what Chromium itself cost sits beside them.
 * Bars are grouped per transport and client; the percentile is told by the bar's shade and the
 * legend, the transport by its colour and its name under the bars.
 */
import { CLIENT_KINDS, ENCODINGS, SCENARIO_NAMES, TRANSPORTS, type Encoding, type TransportName } from '../../../scenarios/constants.ts';
import type { ClientKind, RunRecord, ScenarioName } from '../../../metrics/result-types.ts';
import { formatBytes, formatCount, formatMs } from '../../format.ts';
import type { ChartBuilder, ChartSection, DataTable, ReportInput } from '../types.ts';
import { NOT_MEASURED, axis, chartOptions, formatRatio, idMaker, joinWords, runFlags, runName } from './chart-kit.ts';
import { TRANSPORT_COLORS, translucent } from './colors.ts';
import { percentileX } from './latency-percentiles.ts';
import { scenarioOf } from '../../../scenarios/registry.ts';

const FAMILY = 'node-vs-browser';
export const NODE_VS_BROWSER_TITLE = 'Node vs browser clients';
export const NO_BROWSER_RUN = 'no browser run in this run: run with --clients node,browser or the default profile';
export const NO_NODE_RUN = 'no Node run in this run: run with --clients node,browser';

/** Log y when the plotted values span at least this factor, as the percentile chart does. */
const LOG_Y_SPAN = 10;
/** Same share of a core as the lab's client-bound rule for its load workers: a renderer this busy may hold its pages back. */
const BUSY_PROCESS_CORES = 0.85;
/** Two figures closer than this (the larger over the smaller, minus one) read as "about the same". */
const ALIKE_FRACTION = 0.05;

const PERCENTILES = [
  { p: 50, label: 'p50', alpha: 0.3, read: (run: RunRecord) => run.metrics.latency?.p50 },
  { p: 99, label: 'p99', alpha: 0.65, read: (run: RunRecord) => run.metrics.latency?.p99 },
  { p: 99.9, label: 'p99.9', alpha: 1, read: (run: RunRecord) => run.metrics.latency?.p999 },
] as const;

const CLIENT_NAMES: Record<ClientKind, string> = { node: 'Node', browser: 'browser' };

interface Side {
  transport: TransportName;
  client: ClientKind;
  run: RunRecord;
  /** ms per PERCENTILES entry; null when not measured or not resolved by the deliveries counted. */
  values: (number | null)[];
}

const usable = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

/** The run of a transport and client the comparison uses: the first complete one, else the first. */
function pick(runs: RunRecord[], transport: TransportName, client: ClientKind): RunRecord | null {
  const list = runs.filter((run) => run.transport === transport && run.client === client);
  return list.find((run) => run.complete) ?? list[0] ?? null;
}

function sideOf(run: RunRecord): Side {
  const count = run.metrics.latency?.count ?? 0;
  const values = PERCENTILES.map(({ p, read }) => {
    const value = read(run);
    // A percentile finer than 1 in `count` is not resolved by that many deliveries.
    return usable(value) && percentileX(p) <= count ? value : null;
  });
  return { transport: run.transport, client: run.client, run, values };
}

const rateOf = (run: RunRecord): number | null => (scenarioOf(run.scenario).pace === 'senders' ? run.load.sendRatePerMember : run.load.publishRatePerSec);

/** A rate as given: whole numbers with separators, fractions to three significant digits. */
const formatRate = (value: number | null): string => (value === null ? NOT_MEASURED : Number.isInteger(value) ? formatCount(value) : formatMs(value));

/** "1,000 connections, 100 msg/s per topic (100,000 deliveries/s offered)". */
export function loadText(run: RunRecord): string {
  const load = run.load;
  const offered = `${formatCount(load.offeredDeliveriesPerSec)} deliveries/s offered`;
  if (scenarioOf(run.scenario).pace === 'senders' && load.rooms !== null && load.membersPerRoom !== null) {
    return `${formatCount(load.rooms)} rooms x ${formatCount(load.membersPerRoom)} members sending ${formatRate(load.sendRatePerMember)} msg/s each (${offered})`;
  }
  return `${formatCount(load.connections)} connections, ${formatRate(load.publishRatePerSec)} msg/s per topic (${offered})`;
}

/** "Node: 1,000 connections, ...; browser: 100 connections, ..." (one load per client when its runs share it). */
function loadsText(sides: Side[]): string {
  const parts: string[] = [];
  for (const client of CLIENT_KINDS) {
    const mine = sides.filter((side) => side.client === client);
    const loads = [...new Set(mine.map((side) => loadText(side.run)))];
    if (loads.length === 1) parts.push(`${CLIENT_NAMES[client]} ${loads[0]}`);
    else if (loads.length > 1) parts.push(mine.map((side) => `${side.transport} ${CLIENT_NAMES[client]} ${loadText(side.run)}`).join('; '));
  }
  return parts.join('; ');
}

/** "browser 3.6x higher", "browser 1.5x lower", "about the same". */
function compareP99(browser: number, node: number): string {
  if (browser <= 0 || node <= 0) return browser === node ? 'the same' : 'no ratio';
  const ratio = Math.max(browser, node) / Math.min(browser, node);
  if (ratio - 1 <= ALIKE_FRACTION) return 'about the same';
  return `browser ${formatRatio(ratio)} ${browser > node ? 'higher' : 'lower'}`;
}

const P99 = PERCENTILES.findIndex((entry) => entry.label === 'p99');

function reading(transports: TransportName[], sides: Side[]): string {
  const clauses = transports.map((transport) => {
    const node = sides.find((side) => side.transport === transport && side.client === 'node');
    const browser = sides.find((side) => side.transport === transport && side.client === 'browser');
    const n = node?.values[P99] ?? null;
    const b = browser?.values[P99] ?? null;
    if (node === undefined) return `${transport}: browser ${b === null ? 'p99 not measured' : `${formatMs(b)} ms`}, no Node run`;
    if (browser === undefined) return `${transport}: Node ${n === null ? 'p99 not measured' : `${formatMs(n)} ms`}, no browser run`;
    if (b === null || n === null) return `${transport}: browser ${b === null ? NOT_MEASURED : `${formatMs(b)} ms`}, Node ${n === null ? NOT_MEASURED : `${formatMs(n)} ms`}`;
    return `${transport}: browser ${formatMs(b)} ms vs Node ${formatMs(n)} ms (${compareP99(b, n)})`;
  });
  let text = `At p99, ${clauses.join('; ')}. Loads: ${loadsText(sides)}.`;
  const connections = (client: ClientKind): Set<number> => new Set(sides.filter((s) => s.client === client).map((s) => s.run.load.connections));
  const nodeConns = connections('node');
  const browserConns = connections('browser');
  if (nodeConns.size === 1 && browserConns.size === 1) {
    const [nc] = [...nodeConns] as [number];
    const [bc] = [...browserConns] as [number];
    if (nc !== bc) text += ` The browser runs held ${formatCount(bc)} connections and the Node runs ${formatCount(nc)}, so the loads differ.`;
  }
  const costs = sides
    .filter((side) => side.client === 'browser')
    .flatMap((side) => {
      const cost = side.run.metrics.client.browser;
      return cost === undefined || !usable(cost.cpuUsPerDelivery) ? [] : [`${side.transport} ${formatMs(cost.cpuUsPerDelivery)} µs (${formatMs(cost.cpuCores)} cores)`];
    });
  if (costs.length > 0) text += ` Chromium's own CPU per delivery: ${joinWords(costs)}.`;
  return text;
}

const na = 'n/a';

function tableOf(scenario: ScenarioName, encoding: Encoding, sides: Side[]): DataTable {
  const rateColumn = scenarioOf(scenario).pace === 'senders' ? 'send rate per member (msg/s)' : 'publish rate (msg/s)';
  return {
    caption:
      `Delivery latency with Node and browser clients (${scenario}, ${encoding}), ms, with each run's load and what Chromium itself cost ` +
      '(CPU over the window in cores and per delivery, its busiest process, memory as PSS per client). ' +
      'n/a: not applicable to Node clients; "too few deliveries": fewer than 1/(1-p) deliveries were counted.',
    columns: [
      'transport',
      'client',
      'connections',
      rateColumn,
      'offered (deliveries/s)',
      ...PERCENTILES.map((entry) => `${entry.label} (ms)`),
      'deliveries counted',
      'Chromium CPU (cores)',
      'Chromium CPU per delivery (µs)',
      'busiest Chromium process (cores)',
      'Chromium memory per client',
    ],
    rows: sides.map((side) => {
      const { run } = side;
      const latency = run.metrics.latency;
      const cost = run.metrics.client.browser;
      const chromium =
        side.client === 'node'
          ? [na, na, na, na]
          : cost === undefined
            ? [NOT_MEASURED, NOT_MEASURED, NOT_MEASURED, NOT_MEASURED]
            : [
                formatMs(cost.cpuCores),
                usable(cost.cpuUsPerDelivery) ? formatMs(cost.cpuUsPerDelivery) : NOT_MEASURED,
                formatMs(cost.busiestProcessCpuCores),
                usable(cost.memoryBytesPerClient) ? formatBytes(cost.memoryBytesPerClient) : NOT_MEASURED,
              ];
      return [
        side.transport,
        CLIENT_NAMES[side.client],
        formatCount(run.load.connections),
        formatRate(rateOf(run)),
        formatCount(run.load.offeredDeliveriesPerSec),
        ...PERCENTILES.map(({ p, read }, i) => {
          const value = side.values[i];
          if (value !== null && value !== undefined) return formatMs(value);
          return latency !== null && usable(read(run)) && percentileX(p) > latency.count ? 'too few deliveries' : NOT_MEASURED;
        }),
        latency === null ? NOT_MEASURED : formatCount(latency.count),
        ...chromium,
      ];
    }),
  };
}

function chartFor(runs: RunRecord[], scenario: ScenarioName, encoding: Encoding, id: string): ChartSection {
  const title = `${NODE_VS_BROWSER_TITLE}: ${scenario} (${encoding})`;
  const transports = TRANSPORTS.filter((transport) => runs.some((run) => run.transport === transport));
  const sides: Side[] = transports.flatMap((transport) =>
    CLIENT_KINDS.flatMap((client) => {
      const run = pick(runs, transport, client);
      return run === null ? [] : [sideOf(run)];
    }),
  );
  const drawn = sides.filter((side) => side.values.some((value) => value !== null));
  if (drawn.length === 0) return { kind: 'missing', id, title, reason: 'no delivery latency was measured in these runs' };

  const ys = drawn.flatMap((side) => side.values).filter((y): y is number => y !== null && y > 0);
  const logY = ys.length > 0 && Math.max(...ys) / Math.min(...ys) >= LOG_Y_SPAN;
  const config = {
    type: 'bar',
    data: {
      labels: sides.map((side) => [side.transport, `${CLIENT_NAMES[side.client]}, ${formatCount(side.run.load.connections)} conns`]),
      datasets: PERCENTILES.map((entry, i) => ({
        label: entry.label,
        data: sides.map((side) => side.values[i] ?? null),
        backgroundColor: sides.map((side) => translucent(TRANSPORT_COLORS[side.transport], entry.alpha)),
        borderColor: sides.map((side) => TRANSPORT_COLORS[side.transport]),
        borderWidth: 1,
      })),
    },
    options: chartOptions(
      {
        x: axis('Transport and client (connections held)'),
        y: axis(logY ? 'Delivery latency (ms, log scale)' : 'Delivery latency (ms)', logY ? { type: 'logarithmic' } : { type: 'linear', beginAtZero: true }),
      },
      { plugins: { legend: { display: true, position: 'bottom' } } },
    ),
  };

  const flags = runFlags(sides.map((side) => side.run));
  for (const transport of transports) {
    const has = (client: ClientKind): boolean => sides.some((side) => side.transport === transport && side.client === client);
    if (!has('browser')) flags.push(`${transport} ${scenario} ${encoding}: ${NO_BROWSER_RUN}`);
    if (!has('node')) flags.push(`${transport} ${scenario} ${encoding}: ${NO_NODE_RUN}`);
  }
  for (const side of sides) {
    if (side.run.metrics.latency === null) flags.push(`${runName(side.run)}: no delivery latency measured (not drawn)`);
    if (side.client !== 'browser') continue;
    const cost = side.run.metrics.client.browser;
    if (cost === undefined) flags.push(`${runName(side.run)}: Chromium's cost was not recorded`);
    else if (cost.busiestProcessCpuCores >= BUSY_PROCESS_CORES) {
      flags.push(`${runName(side.run)}: possibly client-bound: the busiest Chromium process used ${formatMs(cost.busiestProcessCpuCores)} cores, which holds its pages back`);
    }
  }

  return {
    kind: 'chart',
    spec: { id, title, reading: reading(transports, sides), config, table: tableOf(scenario, encoding, sides), flags: [...new Set(flags)] },
  };
}

export const nodeVsBrowser: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    const fixed = input.results.runs.filter((run) => run.kind === 'fixed');
    const browser = fixed.filter((run) => run.client === 'browser');
    if (browser.length === 0) return [{ kind: 'missing', id: FAMILY, title: NODE_VS_BROWSER_TITLE, reason: NO_BROWSER_RUN }];
    const nextId = idMaker();
    const browserScenarios = SCENARIO_NAMES.filter((scenario) => browser.some((run) => run.scenario === scenario));
    return SCENARIO_NAMES.flatMap((scenario): ChartSection[] => {
      const encodings = ENCODINGS.filter((encoding) => browser.some((run) => run.scenario === scenario && run.encoding === encoding));
      if (encodings.length === 0) {
        if (!fixed.some((run) => run.scenario === scenario)) return [];
        return [
          {
            kind: 'missing',
            id: nextId(FAMILY, scenario),
            title: `${NODE_VS_BROWSER_TITLE}: ${scenario}`,
            reason: `no browser ${scenario} run in this run (browser clients ran ${joinWords(browserScenarios)} only)`,
          },
        ];
      }
      return encodings.map((encoding) =>
        chartFor(
          fixed.filter((run) => run.scenario === scenario && run.encoding === encoding),
          scenario,
          encoding,
          nextId(FAMILY, scenario, encoding),
        ),
      );
    });
  },
};

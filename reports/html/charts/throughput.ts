/**
 * Throughput against offered load, from the capacity search: one line per transport through its
 * steps (x offered deliveries/s, y delivered/s), the step the search settled on ringed, and the step
 * that ended it crossed (broke the SLO) or marked as client-bound (the lab's limit, not the server's).
 * The dashed diagonal is delivered = offered.
 */
import type { CapacityResult, RunRecord } from '../../../metrics/result-types.ts';
import { brokeBelowText, limitText, unsettledText } from '../../capacity-words.ts';
import { formatCount, formatMs } from '../../format.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';
import {
  NOT_MEASURED,
  axis,
  chartOptions,
  compareRuns,
  formatSmallBytes,
  hasBrowserRuns,
  idMaker,
  lineDataset,
  runFlags,
  seriesLabels,
  transportRank,
} from './chart-kit.ts';
import { MARK_COLORS } from './colors.ts';
import { scenarioOf } from '../../../scenarios/registry.ts';

const FAMILY = 'throughput';
const TITLE = 'Throughput against offered load';

export const CAPACITY_LABEL = 'capacity (highest step meeting the SLO)';
export const BROKE_LABEL = 'broke the SLO';
export const CLIENT_BOUND_LABEL = 'client-bound (the load client, not the server, was the limit)';

type VerdictKind = 'met' | 'broke' | 'client-bound' | 'failed' | 'incomplete' | 'not judged';

interface Step {
  run: RunRecord;
  verdict: VerdictKind;
  text: string;
}

interface Search {
  id: string;
  label: string;
  steps: Step[];
  capacity: CapacityResult | null;
}

const p99Of = (run: RunRecord): number | null => run.metrics.latency?.p99 ?? run.metrics.rtt?.p99 ?? null;

/**
 * A step's verdict. The search does not climb in order (it bisects), so a step is judged by its rate:
 * at or below the rate sustained it held, above it it broke (the search only holds a step below the
 * lowest that broke). Files from before the search bisected climbed in order, and read the same.
 */
function judge(run: RunRecord, capacity: CapacityResult | null): Step {
  if (capacity !== null && capacity.broke?.runId === run.id) {
    const limit = limitText(capacity);
    const why = limit === null ? capacity.broke.reason : `${capacity.broke.reason}; ${limit}`;
    if (capacity.stopReason === 'client-bound') return { run, verdict: 'client-bound', text: `client-bound: ${why}` };
    if (capacity.stopReason === 'failed') return { run, verdict: 'failed', text: `failed: ${why}` };
    return { run, verdict: 'broke', text: `broke: ${why}` };
  }
  if (!run.complete) return { run, verdict: 'incomplete', text: 'incomplete: interrupted before it was collected in full' };
  // A first trial that broke narrowly is judged by itself: the trial after it at the same rate decided the rate.
  if (run.step?.remeasured === true) return { run, verdict: 'broke', text: 'broke the SLO narrowly: its rate was measured once more, and the next trial at this rate decided' };
  if (capacity === null) return { run, verdict: 'not judged', text: 'no verdict recorded (no capacity result for this search)' };
  const offered = run.load.offeredDeliveriesPerSec;
  const below = capacity.brokeBelow?.find((step) => step.runId === run.id);
  if (below !== undefined) {
    const p99 = below.latencyP99Ms === null ? '' : ` (p99 ${formatMs(below.latencyP99Ms)} ms)`;
    return { run, verdict: 'broke', text: `broke the SLO${p99} below the sustained rate: a higher rate held` };
  }
  if (capacity.sustained !== null && offered <= capacity.sustained.offeredDeliveriesPerSec) return { run, verdict: 'met', text: 'met SLO' };
  if (capacity.broke !== null && offered > capacity.broke.offeredDeliveriesPerSec) {
    if (run.clientBound) return { run, verdict: 'client-bound', text: `client-bound: ${run.clientBoundReasons.join('; ')}` };
    return { run, verdict: 'broke', text: 'broke the SLO (above the lowest rate that broke)' };
  }
  return { run, verdict: 'not judged', text: 'no verdict recorded' };
}

function searchesOf(input: ReportInput): Search[] {
  const bySearch = new Map<string, RunRecord[]>();
  for (const run of input.results.runs) {
    if (run.kind !== 'capacity-step' || run.step === null || run.client !== 'node') continue;
    const list = bySearch.get(run.step.search);
    if (list === undefined) bySearch.set(run.step.search, [run]);
    else list.push(run);
  }
  // The fixed-load run that served as a search's first step (bench/capacity.ts): listed in its steps, drawn first.
  const byId = new Map(input.results.runs.map((run) => [run.id, run]));
  for (const capacity of input.results.capacity) {
    for (const id of capacity.steps) {
      const run = byId.get(id);
      if (run === undefined || run.kind !== 'fixed' || run.client !== 'node') continue;
      const list = bySearch.get(capacity.id);
      if (list === undefined) bySearch.set(capacity.id, [run]);
      else list.push(run);
    }
  }
  const searches = [...bySearch.entries()].map(([id, runs]) => {
    runs.sort((a, b) => (a.step?.index ?? 0) - (b.step?.index ?? 0));
    const capacity = input.results.capacity.find((c) => c.id === id) ?? null;
    return { id, label: '', steps: runs.map((run) => judge(run, capacity)), capacity };
  });
  // Connections-axis searches vary the connection count, not the offered rate: the connections capacity section shows them.
  return searches.filter((search) => search.capacity?.axis !== 'connections').sort((a, b) => compareRuns(a.steps[0]?.run as RunRecord, b.steps[0]?.run as RunRecord));
}

/** The step a search settled on: the highest that met the SLO. */
function topMet(search: Search): Step | undefined {
  const met = search.steps.filter((s) => s.verdict === 'met');
  return met.reduce<Step | undefined>((top, s) => (top === undefined || s.run.load.offeredDeliveriesPerSec > top.run.load.offeredDeliveriesPerSec ? s : top), undefined);
}

/** The step that ended the search: the lowest that broke (the one its result names), else the first that broke. */
function endedBy(search: Search): Step | undefined {
  const named = search.steps.find((s) => s.run.id === search.capacity?.broke?.runId);
  return named ?? search.steps.find((s) => s.verdict === 'broke' || s.verdict === 'client-bound' || s.verdict === 'failed');
}

const point = (run: RunRecord): { x: number; y: number } => ({
  x: run.load.offeredDeliveriesPerSec,
  y: run.metrics.throughput.deliveriesPerSec,
});

function markers(label: string, data: { x: number; y: number }[], style: Record<string, unknown>): Record<string, unknown> {
  return { label, data, showLine: false, pointHoverRadius: 12, ...style };
}

const p99Text = (run: RunRecord): string => {
  const p99 = p99Of(run);
  return p99 === null ? 'p99 not measured' : `p99 ${formatMs(p99)} ms`;
};

/** One clause per search: "ws sustained 400,000/s (p99 35.8 ms) and broke the SLO at 600,000/s (p99 107 ms)". */
function clause(search: Search): string {
  const top = topMet(search);
  const ended = endedBy(search);
  const last = search.steps[search.steps.length - 1] as Step;
  const limit = search.capacity === null ? null : limitText(search.capacity);
  const unsettled = search.capacity === null ? null : unsettledText(search.capacity);
  const below = search.capacity === null ? null : brokeBelowText(search.capacity);
  const limited = [limit, unsettled, below].filter((part) => part !== null).map((part) => ` (${part})`).join('');
  const sustained = top === undefined ? null : `sustained ${formatCount(top.run.load.offeredDeliveriesPerSec)}/s (${p99Text(top.run)})`;
  const at = (step: Step): string => `${formatCount(step.run.load.offeredDeliveriesPerSec)}/s (${p99Text(step.run)})`;
  if (search.capacity === null) return `${search.label}: no capacity verdict recorded (highest step drawn: ${formatCount(last.run.load.offeredDeliveriesPerSec)}/s offered)`;
  switch (search.capacity.stopReason) {
    case 'all-steps-passed':
      return top === undefined
        ? `${search.label} ran no step`
        : `${search.label} met the SLO at every step, up to ${formatCount(top.run.load.offeredDeliveriesPerSec)}/s (${p99Text(top.run)}): its capacity is at least that`;
    case 'slo-broken':
      if (ended === undefined) return `${search.label} broke the SLO${sustained === null ? '' : ` after it ${sustained}`}`;
      return sustained === null
        ? `${search.label} met no step: even ${at(ended)} broke the SLO${limited}`
        : `${search.label} ${sustained} and broke the SLO at ${at(ended)}${limited}`;
    case 'client-bound': {
      const where = ended === undefined ? '' : ` at ${formatCount(ended.run.load.offeredDeliveriesPerSec)}/s`;
      return `${search.label} ${sustained === null ? 'met no step' : sustained}; the load client saturated${where} (client-bound: the server's limit was not reached, its capacity is above)`;
    }
    case 'interrupted':
      return `${search.label} ${sustained ?? 'met no step'} before the search was interrupted`;
    case 'failed':
      return `${search.label} ${sustained ?? 'met no step'} before the search failed`;
  }
}

/** The reading's figures: one clause per transport, or one sentence when every search passed every step alike. */
function summarize(searches: Search[]): string {
  const tops = searches.map((s) => (s.capacity?.stopReason === 'all-steps-passed' ? topMet(s) : undefined));
  const offered = new Set(tops.map((top) => top?.run.load.offeredDeliveriesPerSec));
  if (searches.length > 1 && tops.every((top) => top !== undefined) && offered.size === 1) {
    const p99s = searches.map((s, i) => `${s.label} ${p99Text((tops[i] as Step).run).replace(/^p99 /, '')}`);
    return (
      `Every transport met the SLO at every step, up to ${formatCount([...offered][0])}/s offered, so each one's capacity is at least that; ` +
      `p99 at that step: ${p99s.join(', ')}.`
    );
  }
  return `${searches.map(clause).join('; ')}.`;
}

function chartFor(searches: Search[], groupLabel: string, id: string): ChartSection {
  const firstRun = searches[0]?.steps[0]?.run as RunRecord;
  const scenario = firstRun.scenario;
  const labels = seriesLabels(searches.map((s) => s.steps[0]?.run as RunRecord));
  searches.forEach((s, i) => (s.label = labels[i] ?? s.steps[0]?.run.transport ?? s.id));
  const title = `${TITLE}: ${scenario} (${groupLabel})`;

  const allSteps = searches.flatMap((s) => s.steps);
  const offered = allSteps.map((s) => s.run.load.offeredDeliveriesPerSec);
  const lo = Math.min(...offered);
  const hi = Math.max(...offered);
  const pick = (kind: VerdictKind): { x: number; y: number }[] =>
    searches.flatMap((s) => {
      if (kind === 'met') {
        const top = topMet(s);
        return top === undefined ? [] : [point(top.run)];
      }
      return s.steps.filter((step) => step.verdict === kind).map((step) => point(step.run));
    });

  const datasets: Record<string, unknown>[] = searches.map((s) =>
    // By offered load, not in the order measured: a bisecting search goes back and forth.
    lineDataset(s.steps[0]?.run.transport ?? 'ws', s.label, s.steps.map((step) => point(step.run)).sort((a, b) => a.x - b.x)),
  );
  const sustained = pick('met');
  if (sustained.length > 0) {
    datasets.push(
      markers(CAPACITY_LABEL, sustained, {
        pointStyle: 'circle',
        pointRadius: 10,
        borderColor: MARK_COLORS.capacity,
        backgroundColor: 'rgba(0, 0, 0, 0)',
        pointBorderColor: MARK_COLORS.capacity,
        pointBackgroundColor: 'rgba(0, 0, 0, 0)',
        borderWidth: 2,
        pointBorderWidth: 2,
      }),
    );
  }
  const broke = pick('broke');
  if (broke.length > 0) {
    datasets.push(
      markers(BROKE_LABEL, broke, {
        pointStyle: 'crossRot',
        pointRadius: 10,
        borderColor: MARK_COLORS.broke,
        backgroundColor: MARK_COLORS.broke,
        pointBorderColor: MARK_COLORS.broke,
        borderWidth: 3,
        pointBorderWidth: 3,
      }),
    );
  }
  const clientBound = pick('client-bound');
  if (clientBound.length > 0) {
    datasets.push(
      markers(CLIENT_BOUND_LABEL, clientBound, {
        pointStyle: 'rectRot',
        pointRadius: 10,
        borderColor: MARK_COLORS.clientBound,
        backgroundColor: 'rgba(0, 0, 0, 0)',
        pointBorderColor: MARK_COLORS.clientBound,
        pointBackgroundColor: 'rgba(0, 0, 0, 0)',
        borderWidth: 3,
        pointBorderWidth: 3,
      }),
    );
  }
  datasets.push({
    label: 'delivered = offered',
    data: [
      { x: lo, y: lo },
      { x: hi, y: hi },
    ],
    showLine: true,
    borderColor: MARK_COLORS.reference,
    backgroundColor: MARK_COLORS.reference,
    borderDash: [4, 4],
    borderWidth: 1,
    pointRadius: 0,
    pointHitRadius: 0,
  });

  const config = {
    type: 'scatter',
    data: { datasets },
    options: chartOptions({
      x: axis('Offered load (deliveries/s)', { type: 'linear', beginAtZero: true }),
      y: axis('Delivered (deliveries/s)', { type: 'linear', beginAtZero: true }),
    }),
  };

  const slos = new Set(
    searches.flatMap((s) => (s.capacity === null ? [] : [`p99 <= ${formatMs(s.capacity.slo.p99Ms)} ms, ${s.capacity.slo.maxLoss === 0 ? 'no loss' : `loss <= ${formatCount(s.capacity.slo.maxLoss)}`}`])),
  );
  const sloText = slos.size === 1 ? `SLO: ${[...slos][0]}` : slos.size > 1 ? `SLOs: ${[...slos].join('; ')}` : 'SLO not recorded';
  const chat = scenarioOf(scenario).pace === 'senders';

  const flags = runFlags(allSteps.map((s) => s.run));
  for (const s of searches) {
    if (s.capacity === null) flags.push(`${s.label} ${scenario} ${firstRun.encoding}: no capacity result recorded for search ${s.id}; steps drawn without a verdict`);
    else if (s.capacity.stopReason === 'interrupted') flags.push(`${s.label} ${scenario} ${firstRun.encoding}: the capacity search was interrupted after ${s.steps.length} steps`);
    else if (s.capacity.stopReason === 'failed') flags.push(`${s.label} ${scenario} ${firstRun.encoding}: the capacity search failed`);
  }

  return {
    kind: 'chart',
    spec: {
      id,
      title,
      reading: `${summarize(searches)} ${sloText}.`,
      config,
      table: {
        caption: `Capacity steps (${scenario}, ${groupLabel}; ${formatCount(firstRun.load.connections)} connections, ${formatSmallBytes(firstRun.load.payloadBytes)} payload). ${sloText}.`,
        columns: ['transport', 'step', 'offered (deliveries/s)', 'delivered (deliveries/s)', 'p99 (ms)', ...(chat ? ['round-trip p99 (ms)'] : []), 'verdict'],
        rows: searches.flatMap((s) =>
          s.steps.map((step) => [
            s.label,
            step.run.kind === 'fixed' ? 'fixed run' : String(step.run.step?.index ?? ''),
            formatCount(step.run.load.offeredDeliveriesPerSec),
            formatCount(step.run.metrics.throughput.deliveriesPerSec),
            step.run.metrics.latency === null ? NOT_MEASURED : formatMs(step.run.metrics.latency.p99),
            ...(chat ? [step.run.metrics.rtt === null ? NOT_MEASURED : formatMs(step.run.metrics.rtt.p99)] : []),
            step.text,
          ]),
        ),
      },
      flags,
    },
  };
}

export const throughput: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    const searches = searchesOf(input);
    if (searches.length === 0) {
      return [{ kind: 'missing', id: FAMILY, title: TITLE, reason: 'no capacity search in this run: run without --no-capacity' }];
    }
    const charts = new Map<string, Search[]>();
    for (const search of searches) {
      const run = search.steps[0]?.run as RunRecord;
      const key = `${run.scenario}|${run.encoding}|${run.client}|${run.load.connections}|${run.load.payloadBytes}`;
      const list = charts.get(key);
      if (list === undefined) charts.set(key, [search]);
      else list.push(search);
    }
    const nextId = idMaker();
    const firsts = [...charts.values()].map((group) => group[0]?.steps[0]?.run as RunRecord);
    return [...charts.values()].map((group) => {
      group.sort((a, b) => transportRank(a.steps[0]?.run.transport ?? 'ws') - transportRank(b.steps[0]?.run.transport ?? 'ws'));
      const run = group[0]?.steps[0]?.run as RunRecord;
      const parts: string[] = [run.encoding];
      const alike = firsts.filter((r) => r.scenario === run.scenario && r.encoding === run.encoding && r.client === run.client);
      if (new Set(alike.map((r) => `${r.load.connections}|${r.load.payloadBytes}`)).size > 1) parts.push(`${formatCount(run.load.connections)} connections`);
      // Searches are of Node clients only; say so when browsers ran too.
      if (hasBrowserRuns(input.results)) parts.push('Node clients');
      return chartFor(group, parts.join(', '), nextId(FAMILY, run.scenario, ...parts));
    });
  },
};

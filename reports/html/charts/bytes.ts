/**
 * Bytes on the wire per delivered message, split into the payload and what the transport adds
 * (framing, headers, long-poll requests): a stacked bar per transport (and encoding, client, load
 * when several), one chart per scenario. Figures come from the fixed-load runs' client socket counts.
 */
import type { RunRecord } from '../../../metrics/result-types.ts';
import { SCENARIO_NAMES } from '../../../scenarios/constants.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';
import {
  NOT_MEASURED,
  axis,
  chartOptions,
  formatRatio,
  formatSmallBytes,
  groupRuns,
  hasBrowserRuns,
  idMaker,
  isNodeFixedRun,
  joinWords,
  noNodeFixedRunsReason,
  runFlags,
  runName,
  seriesLabels,
} from './chart-kit.ts';
import { TRANSPORT_COLORS, translucent } from './colors.ts';

const FAMILY = 'bytes';
const TITLE = 'Bytes per message';

const usable = (value: number | null): value is number => value !== null && Number.isFinite(value);

interface Bar {
  run: RunRecord;
  label: string;
  /** What the chart stacks; null = not drawn. */
  payload: number | null;
  overhead: number | null;
}

function barOf(run: RunRecord, label: string): Bar {
  const { perMessage, overheadPerMessage, payloadBytes } = run.metrics.bytes;
  if (!usable(perMessage)) return { run, label, payload: null, overhead: null };
  // The wire carried less than the payload (a denser encoding): the bar is the total alone.
  if (!usable(overheadPerMessage) || overheadPerMessage < 0) return { run, label, payload: perMessage, overhead: null };
  return { run, label, payload: payloadBytes, overhead: overheadPerMessage };
}

/** "ws adds the least overhead per message, 79.7 B over the 100 B payload; sse 103 B (1.3x), long-poll 402 B (5.0x)". */
function compare(bars: Bar[]): string | null {
  const ranked = bars
    .filter((bar): bar is Bar & { overhead: number } => bar.overhead !== null)
    .sort((a, b) => a.overhead - b.overhead);
  const best = ranked[0];
  if (best === undefined) return null;
  const payloads = new Set(ranked.map((bar) => bar.run.metrics.bytes.payloadBytes));
  const over = payloads.size === 1 ? ` over the ${formatSmallBytes(best.run.metrics.bytes.payloadBytes)} payload` : '';
  let text = `${best.label} adds the least overhead per message, ${formatSmallBytes(best.overhead)}${over}`;
  if (ranked.length === 1) return `${text} (the only transport with bytes measured)`;
  const others = ranked.slice(1).map((bar) => {
    const more = `+${formatSmallBytes(bar.overhead - best.overhead)}`;
    return `${bar.label} ${formatSmallBytes(bar.overhead)} (${best.overhead > 0 ? `${formatRatio(bar.overhead / best.overhead)}, ${more}` : more})`;
  });
  text += `; ${joinWords(others)}`;
  return text;
}

function chartFor(runs: RunRecord[], id: string, browsersToo: boolean): ChartSection {
  const scenario = (runs[0] as RunRecord).scenario;
  const title = `${TITLE}: ${scenario}${browsersToo ? ' (Node clients)' : ''}`;
  const labels = seriesLabels(runs);
  const bars = runs.map((run, i) => barOf(run, labels[i] ?? run.transport));
  const drawn = bars.filter((bar) => bar.payload !== null);
  if (drawn.length === 0) return { kind: 'missing', id, title, reason: 'bytes per message were not measured in these runs' };

  const colors = drawn.map((bar) => TRANSPORT_COLORS[bar.run.transport]);
  const config = {
    type: 'bar',
    data: {
      labels: drawn.map((bar) => bar.label),
      datasets: [
        {
          label: 'payload',
          data: drawn.map((bar) => bar.payload),
          backgroundColor: colors.map((color) => translucent(color, 0.35)),
          borderColor: colors,
          borderWidth: 1,
          stack: 'bytes',
        },
        {
          label: 'overhead (framing, headers, requests)',
          data: drawn.map((bar) => bar.overhead),
          backgroundColor: colors,
          borderColor: colors,
          borderWidth: 1,
          stack: 'bytes',
        },
      ],
    },
    options: chartOptions(
      {
        x: axis(new Set(drawn.map((b) => b.run.encoding)).size > 1 ? 'Transport and encoding' : 'Transport', { stacked: true }),
        y: axis('Bytes per delivered message (B)', { stacked: true, beginAtZero: true }),
      },
      { plugins: { legend: { display: true, position: 'bottom' } } },
    ),
  };

  // One comparison per set of like runs (encoding, client, load), so a denser encoding is not compared with a wordier one.
  const groups = groupRuns(runs);
  const sentences = groups
    .map((group) => {
      // Within a group only the transport differs: name the bars by it alone.
      const text = compare(
        bars
          .filter((bar) => group.runs.includes(bar.run))
          .map((bar) => ({ ...bar, label: group.series[group.runs.indexOf(bar.run)] ?? bar.label })),
      );
      return text === null ? null : groups.length > 1 ? `${group.label}: ${text}` : text;
    })
    .filter((text): text is string => text !== null);
  const unmeasured = bars.filter((bar) => bar.payload === null).map((bar) => bar.label);
  let reading = sentences.length > 0 ? `${sentences.join('. ')}.` : 'No overhead could be computed (the wire carried less than the payload).';
  if (unmeasured.length > 0) reading += ` Not measured: ${joinWords(unmeasured)}.`;

  const flags = runFlags(runs);
  for (const bar of bars) {
    if (bar.payload === null) flags.push(`${runName(bar.run)}: bytes per message not measured (not drawn)`);
    else if (bar.overhead === null) {
      flags.push(`${runName(bar.run)}: the wire carried ${formatSmallBytes(bar.payload)} per message for a ${formatSmallBytes(bar.run.metrics.bytes.payloadBytes)} payload; drawn as the total alone`);
    }
  }

  return {
    kind: 'chart',
    spec: {
      id,
      title,
      reading,
      config,
      table: {
        caption:
          `Bytes per delivered message at the client sockets (${scenario}; fixed-load runs${browsersToo ? ' of Node clients: a page cannot see socket bytes, so browser runs have none' : ''}). ` +
          'down/up: received/sent per message; handshake: bytes until a connection could receive.',
        columns: ['transport', 'payload', 'overhead', 'total per message', 'down per message', 'up per message', 'handshake per connection'],
        rows: bars.map((bar) => {
          const b = bar.run.metrics.bytes;
          return [
            bar.label,
            formatSmallBytes(b.payloadBytes),
            usable(b.overheadPerMessage) ? formatSmallBytes(b.overheadPerMessage) : NOT_MEASURED,
            formatSmallBytes(b.perMessage),
            formatSmallBytes(b.downPerMessage),
            formatSmallBytes(b.upPerMessage),
            formatSmallBytes(b.handshakePerConnection),
          ];
        }),
      },
      flags,
    },
  };
}

export const bytes: ChartBuilder = {
  id: FAMILY,
  build(input: ReportInput): ChartSection[] {
    // A page cannot see socket bytes: browser runs have none to draw.
    const fixed = input.results.runs.filter(isNodeFixedRun);
    if (fixed.length === 0) return [{ kind: 'missing', id: FAMILY, title: TITLE, reason: noNodeFixedRunsReason(input.results) }];
    const nextId = idMaker();
    return SCENARIO_NAMES.flatMap((scenario) => {
      const runs = groupRuns(fixed.filter((run) => run.scenario === scenario)).flatMap((group) => group.runs);
      return runs.length === 0 ? [] : [chartFor(runs, nextId(FAMILY, scenario), hasBrowserRuns(input.results))];
    });
  },
};

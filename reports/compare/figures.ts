/**
 * The figures a comparison of two results files looks at, each defined once: how to read it from a
 * run record, which direction is better, and where its noise comes from (its per-second values in
 * the measured window, or, when it has none, why not and what stands in for them).
 */
import type { RunRecord, TimelinePoint } from '../../metrics/result-types.ts';

export type Better = 'higher' | 'lower';
/** What a figure counts, so that every renderer writes it with the same unit. */
export type FigureUnit = 'per-second' | 'ms' | 'us' | 'bytes' | 'count';

/**
 * A figure without per-second samples is allowed this much noise (relative to its value) on each
 * side. Two runs of the same code on this 2-core machine, on a quiet machine, differ by less than
 * this in their unsampled figures (Chromium memory, resume times, sustained capacity); on a busy
 * machine they differ by more, which the report says beside any file measured while it was busy.
 */
export const ASSUMED_NOISE = 0.1;

/**
 * Where a figure's noise comes from.
 * - per-second: the figure's values, one per second of the measured window; `of` names the
 *   quantity when the figure has none of its own and a related one stands in (the window's p50 has
 *   no per-second value, its seconds' p99 spread is used: the tail moves at least as much).
 * - exact: a count, not a sample; any change beyond the minimum effect is a change.
 * - assumed: no per-second values exist; ASSUMED_NOISE, and the reason.
 */
export type NoiseSource =
  | { kind: 'per-second'; samples(run: RunRecord): number[]; of?: string }
  | { kind: 'exact'; reason: string }
  | { kind: 'assumed'; reason: string };

export interface FigureDefinition {
  id: string;
  label: string;
  unit: FigureUnit;
  better: Better;
  /** The figure, or null when the run did not measure it. */
  value(run: RunRecord): number | null;
  /** Why a run of this kind cannot have the figure (shown as the reason it is not comparable); null when it can. */
  unmeasurable?(run: RunRecord): string | null;
  noise(run: RunRecord): NoiseSource;
}

const measured = (run: RunRecord): TimelinePoint[] => run.timeline.filter((point) => point.phase === 'measure');

const finite = (values: (number | null)[]): number[] => values.filter((value): value is number => value !== null && Number.isFinite(value));

/** Per-second delivery p99s: the sample for the latency figures. */
const latencyP99s = (run: RunRecord): number[] => finite(measured(run).map((point) => point.latencyP99Ms));

/** A second's CPU cores per delivery of that second, times `scale`; a second without deliveries is no sample. */
const perDelivery = (cores: (point: TimelinePoint) => number | null, scale: number) => (run: RunRecord): number[] =>
  finite(measured(run).map((point) => {
    const used = cores(point);
    return used === null || point.deliveries <= 0 ? null : (used * scale) / point.deliveries;
  }));

/**
 * Per-second RSS per connection: each second's RSS over the RSS before any client connected, which
 * the record keeps only implicitly (rssBytes - rssBytesPerConnection x connections).
 */
function rssPerConnectionSamples(run: RunRecord): number[] {
  const server = run.metrics.server;
  const connections = run.load.connections;
  if (server === null || server.rssBytesPerConnection === null || connections <= 0) return [];
  const beforeClients = server.rssBytes - server.rssBytesPerConnection * connections;
  return finite(measured(run).map((point) => (point.serverRssBytes === null ? null : (point.serverRssBytes - beforeClients) / connections)));
}

const nodeOnly = (reason: string) => (run: RunRecord): string | null => (run.client === 'browser' ? reason : null);

export const RUN_FIGURES: readonly FigureDefinition[] = [
  {
    id: 'deliveries',
    label: 'Deliveries/s',
    unit: 'per-second',
    better: 'higher',
    value: (run) => run.metrics.throughput.deliveriesPerSec,
    noise: () => ({ kind: 'per-second', samples: (run) => measured(run).map((point) => point.deliveries) }),
  },
  {
    id: 'latency-p50',
    label: 'Delivery latency p50',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.latency?.p50 ?? null,
    noise: () => ({ kind: 'per-second', samples: latencyP99s, of: 'delivery p99' }),
  },
  {
    id: 'latency-p99',
    label: 'Delivery latency p99',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.latency?.p99 ?? null,
    noise: () => ({ kind: 'per-second', samples: latencyP99s }),
  },
  {
    id: 'rtt-p99',
    label: 'Round trip p99',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.rtt?.p99 ?? null,
    // A round trip is a send plus a delivery: the seconds' delivery p99s are the nearest sample.
    noise: () => ({ kind: 'per-second', samples: latencyP99s, of: 'delivery p99' }),
  },
  {
    id: 'bytes',
    label: 'Bytes per message',
    unit: 'bytes',
    better: 'lower',
    value: (run) => (run.client === 'node' ? run.metrics.bytes.perMessage : null),
    unmeasurable: nodeOnly('browser runs measure no bytes (a page cannot see socket bytes)'),
    noise: (run) =>
      run.transport === 'long-poll'
        ? { kind: 'assumed', reason: 'long-poll: no per-second bytes, and how many messages a poll carries depends on timing' }
        : { kind: 'exact', reason: 'WebSocket and SSE: bytes counted at the socket, the same framing for every message' },
  },
  {
    id: 'server-cpu',
    label: 'Server CPU per 1k deliveries',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.server?.cpuMsPer1kDeliveries ?? null,
    // cores x 1,000 ms per 1,000 deliveries: cores x 1e6 / deliveries.
    noise: () => ({ kind: 'per-second', samples: perDelivery((point) => point.serverCpuCores, 1e6) }),
  },
  {
    id: 'client-cpu',
    label: 'Lab client CPU per delivery',
    unit: 'us',
    better: 'lower',
    // A browser worker's CPU is Chromium's (its own figure below), not the lab client's.
    value: (run) => (run.client === 'node' ? run.metrics.client.cpuUsPerDelivery : null),
    noise: () => ({ kind: 'per-second', samples: perDelivery((point) => point.clientCpuCores, 1e6) }),
  },
  {
    id: 'rss-per-connection',
    label: 'Server memory per connection',
    unit: 'bytes',
    better: 'lower',
    value: (run) => run.metrics.server?.rssBytesPerConnection ?? null,
    noise: () => ({ kind: 'per-second', samples: rssPerConnectionSamples }),
  },
  {
    id: 'lost',
    label: 'Lost deliveries',
    unit: 'count',
    better: 'lower',
    value: (run) => run.metrics.integrity.lost,
    noise: () => ({ kind: 'exact', reason: 'a count of sequence gaps, not a sample' }),
  },
  // Browser and reconnect runs only: null elsewhere, so files without them compare as before.
  {
    id: 'chromium-cpu',
    label: 'Chromium CPU per delivery',
    unit: 'us',
    better: 'lower',
    value: (run) => run.metrics.client.browser?.cpuUsPerDelivery ?? null,
    // A browser worker's per-second CPU is Chromium's plus its own small share.
    noise: () => ({ kind: 'per-second', samples: perDelivery((point) => point.clientCpuCores, 1e6), of: 'browser worker CPU' }),
  },
  {
    id: 'chromium-memory',
    label: 'Chromium memory per client',
    unit: 'bytes',
    better: 'lower',
    value: (run) => run.metrics.client.browser?.memoryBytesPerClient ?? null,
    noise: () => ({ kind: 'assumed', reason: 'memory is read once, at the window’s end' }),
  },
  {
    id: 'resume-p99',
    label: 'Resume after the drop p99',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.reconnect?.resume?.p99 ?? null,
    noise: () => ({ kind: 'assumed', reason: 'one drop per run: no per-second resume times' }),
  },
  {
    id: 'missed',
    label: 'Missed after the drop',
    unit: 'count',
    better: 'lower',
    value: (run) => run.reconnect?.missed ?? null,
    noise: () => ({ kind: 'exact', reason: 'a count of messages that never came, not a sample' }),
  },
];

/** The capacity search's figure: deliveries/s of the highest step that held the SLO. */
export const CAPACITY_FIGURE = {
  id: 'capacity',
  label: 'Capacity within the SLO',
  unit: 'per-second',
  better: 'higher',
  reason: 'one search per side: the limit has no per-second spread',
} as const satisfies { id: string; label: string; unit: FigureUnit; better: Better; reason: string };

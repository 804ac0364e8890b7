/**
 * The figures a comparison of runs looks at (the CI gate, the report's baseline section, the
 * spread of repeats), each defined once: how to read it from a run record, and which direction is
 * better. How much a figure moves by itself is measured across runs, never assumed here.
 */
import type { RunRecord } from '../../metrics/result-types.ts';

export type Better = 'higher' | 'lower';
/** What a figure counts, so that every renderer writes it with the same unit. */
export type FigureUnit = 'per-second' | 'ms' | 'us' | 'bytes' | 'count';

export interface FigureDefinition {
  id: string;
  label: string;
  unit: FigureUnit;
  better: Better;
  /** The figure, or null when the run did not measure it. */
  value(run: RunRecord): number | null;
}

export const RUN_FIGURES: readonly FigureDefinition[] = [
  {
    id: 'deliveries',
    label: 'Deliveries/s',
    unit: 'per-second',
    better: 'higher',
    value: (run) => run.metrics.throughput.deliveriesPerSec,
  },
  {
    id: 'latency-p50',
    label: 'Delivery latency p50',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.latency?.p50 ?? null,
  },
  {
    id: 'latency-p99',
    label: 'Delivery latency p99',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.latency?.p99 ?? null,
  },
  {
    id: 'rtt-p99',
    label: 'Round trip p99',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.rtt?.p99 ?? null,
  },
  {
    id: 'bytes',
    label: 'Bytes per message',
    unit: 'bytes',
    better: 'lower',
    // A page cannot see socket bytes: browser runs have none.
    value: (run) => (run.client === 'node' ? run.metrics.bytes.perMessage : null),
  },
  {
    id: 'server-cpu',
    label: 'Server CPU per 1k deliveries',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.metrics.server?.cpuMsPer1kDeliveries ?? null,
  },
  {
    id: 'client-cpu',
    label: 'Lab client CPU per delivery',
    unit: 'us',
    better: 'lower',
    // A browser worker's CPU is Chromium's (its own figure below), not the lab client's.
    value: (run) => (run.client === 'node' ? run.metrics.client.cpuUsPerDelivery : null),
  },
  {
    id: 'rss-per-connection',
    label: 'Server memory per connection',
    unit: 'bytes',
    better: 'lower',
    value: (run) => run.metrics.server?.rssBytesPerConnection ?? null,
  },
  {
    // Before anything was published: the garbage a message rate leaves between collections is not in it.
    id: 'idle-rss-per-connection',
    label: 'Server memory per idle connection',
    unit: 'bytes',
    better: 'lower',
    value: (run) => run.metrics.server?.idleRssBytesPerConnection ?? null,
  },
  {
    id: 'lost',
    label: 'Lost deliveries',
    unit: 'count',
    better: 'lower',
    value: (run) => run.metrics.integrity.lost,
  },
  // Browser and reconnect runs only: null elsewhere, so files without them compare as before.
  {
    id: 'chromium-cpu',
    label: 'Chromium CPU per delivery',
    unit: 'us',
    better: 'lower',
    value: (run) => run.metrics.client.browser?.cpuUsPerDelivery ?? null,
  },
  {
    id: 'chromium-memory',
    label: 'Chromium memory per client',
    unit: 'bytes',
    better: 'lower',
    value: (run) => run.metrics.client.browser?.memoryBytesPerClient ?? null,
  },
  {
    id: 'resume-p99',
    label: 'Resume after the drop p99',
    unit: 'ms',
    better: 'lower',
    value: (run) => run.reconnect?.resume?.p99 ?? null,
  },
  {
    id: 'missed',
    label: 'Missed after the drop',
    unit: 'count',
    better: 'lower',
    value: (run) => run.reconnect?.missed ?? null,
  },
];

/** The capacity search's figure: deliveries/s of the highest step that held the SLO. */
export const CAPACITY_FIGURE = {
  id: 'capacity',
  label: 'Capacity within the SLO',
  unit: 'per-second',
  better: 'higher',
} as const satisfies { id: string; label: string; unit: FigureUnit; better: Better };

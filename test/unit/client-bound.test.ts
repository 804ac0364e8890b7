import { describe, expect, it } from 'vitest';
import {
  CLIENT_BOUND_CPU_CORES,
  CLIENT_BOUND_LOOP_DELAY_MS,
  CLIENT_BOUND_SEND_LAG_MS,
  CLIENT_BOUND_UTILIZATION,
  DESCHEDULED_UTILIZATION,
  clientBoundOf,
  type WorkerLoad,
} from '../../bench/client-bound.ts';

const NAMES = { worker: 'a load worker', loop: "a load worker's event-loop delay" };
const idle: WorkerLoad = { cpuCores: 0.2, loopDelayP99Ms: 3, utilization: 0.2, sendLagP99Ms: 0 };

describe('clientBoundOf: when the lab, not the server, limited a window', () => {
  it('an idle client is not the limit', () => {
    expect(clientBoundOf([idle, idle], NAMES)).toEqual({ reasons: [], descheduled: [] });
  });

  it(`a worker at ${CLIENT_BOUND_CPU_CORES} cores, or with its loop busy ${CLIENT_BOUND_UTILIZATION * 100} % of the window, is`, () => {
    expect(clientBoundOf([idle, { ...idle, cpuCores: CLIENT_BOUND_CPU_CORES }], NAMES).reasons).toEqual([`a load worker used ${CLIENT_BOUND_CPU_CORES} cores (limit ${CLIENT_BOUND_CPU_CORES})`]);
    expect(clientBoundOf([{ ...idle, utilization: 0.95 }], NAMES).reasons).toEqual(["a load worker's event loop was busy 95 % of the window (limit 90 %)"]);
    expect(clientBoundOf([{ ...idle, utilization: 0.89 }], NAMES).reasons).toEqual([]);
  });

  it('a long loop delay while the loop was busy is the client; while it was mostly idle it is the scheduler, noted, not flagged', () => {
    const busy = clientBoundOf([{ ...idle, loopDelayP99Ms: 80, utilization: 0.75 }], NAMES);
    expect(busy.reasons).toEqual([`a load worker's event-loop delay p99 reached 80 ms (limit ${CLIENT_BOUND_LOOP_DELAY_MS} ms), its loop busy 75 % of the window`]);
    const waiting = clientBoundOf([{ ...idle, loopDelayP99Ms: 80, utilization: DESCHEDULED_UTILIZATION - 0.1 }], NAMES);
    expect(waiting.reasons).toEqual([]);
    expect(waiting.descheduled).toEqual([`a load worker's event-loop delay p99 reached 80 ms while its loop was busy only 60 % of the window: the worker waited for a core (the scheduler), not for its own work`]);
  });

  it('without a utilization figure (older workers, pages) a long loop delay still counts', () => {
    expect(clientBoundOf([{ ...idle, loopDelayP99Ms: CLIENT_BOUND_LOOP_DELAY_MS, utilization: null }], NAMES).reasons).toEqual([`a load worker's event-loop delay p99 reached ${CLIENT_BOUND_LOOP_DELAY_MS} ms (limit ${CLIENT_BOUND_LOOP_DELAY_MS} ms)`]);
  });

  it(`chat sends ${CLIENT_BOUND_SEND_LAG_MS} ms late mean the client missed its own schedule`, () => {
    expect(clientBoundOf([{ ...idle, sendLagP99Ms: 62.34 }], NAMES).reasons).toEqual([`chat sends left up to 62.3 ms after their due time (p99; limit ${CLIENT_BOUND_SEND_LAG_MS} ms)`]);
  });
});

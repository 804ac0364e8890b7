import { describe, expect, it } from 'vitest';
import { capacityLimitOf, MACHINE_BUSY_SHARE, SERVER_BOUND_CPU_CORES, SERVER_BOUND_LOOP_DELAY_MS } from '../../bench/capacity-limit.ts';
import { buildRun } from '../support/results.ts';

const CPU = { clientCores: 0.5, machineBusyCores: 1.2, machineCores: 2 };
const step = (server: { cpuCores: number; loopP99: number } | null, clientBoundReasons: string[] = []) =>
  buildRun({
    kind: 'capacity-step',
    step: { index: 1, search: 's' },
    clientBoundReasons,
    metrics: { server: server === null ? null : { cpuCores: server.cpuCores, eventLoopDelayMs: { p50: 1, p99: server.loopP99, max: server.loopP99 } } },
  });

describe('capacityLimitOf: what ran out at the step that broke', () => {
  it('the server first: at a full core it ran out, even when the load client was busy too (named beside it)', () => {
    const limit = capacityLimitOf(step({ cpuCores: 0.99, loopP99: 80 }, ['worker 1 used 0.9 cores (limit 0.85)']), CPU);
    expect(limit).toMatchObject({ by: 'server', clientCpuCores: 0.5, serverCpuCores: 0.99, machineBusyCores: 1.2, machineCores: 2 });
    expect(limit.why).toContain('its CPU reached 0.99 cores');
    expect(limit.why).toContain("the lab's load client was busy too: worker 1 used 0.9 cores");
  });

  it('the machine when the server was late with CPU to spare while the load client was held up too: they waited for the same cores', () => {
    const limit = capacityLimitOf(step({ cpuCores: 0.7, loopP99: 120 }, ["a load worker's event loop was busy 96 % of the window (limit 90 %)"]), CPU);
    expect(limit).toMatchObject({ by: 'machine', serverCpuCores: 0.7 });
    expect(limit.why).toContain("the server and the load client contended for the machine's 2 cores: the server's event-loop delay p99 reached 120 ms at only 0.7 cores");
    // The same late loop with an idle client is the server's own.
    expect(capacityLimitOf(step({ cpuCores: 0.7, loopP99: 120 }), CPU).by).toBe('server');
  });

  it('the machine when the server was late with CPU to spare on a full machine: it waited for a core, it did not run out of its own', () => {
    const full = { ...CPU, clientCores: 1.02, machineBusyCores: 1.92 };
    const limit = capacityLimitOf(step({ cpuCores: 0.76, loopP99: 104 }), full);
    expect(limit).toMatchObject({ by: 'machine', serverCpuCores: 0.76, machineBusyCores: 1.92 });
    expect(limit.why).toBe("the machine was full: 1.92 of its 2 cores busy, so the server's event-loop delay p99 reached 104 ms at only 0.76 cores");
    // At a full core the server ran out, however busy the machine.
    expect(capacityLimitOf(step({ cpuCores: 0.9, loopP99: 104 }), full).by).toBe('server');
    // Below the machine's bar the late loop stays the server's.
    expect(capacityLimitOf(step({ cpuCores: 0.76, loopP99: 104 }), { ...full, machineBusyCores: 1.79 }).by).toBe('server');
  });

  it('the load client when the server had room: its saturation, or its own read queueing when the step broke on latency', () => {
    const limit = capacityLimitOf(step({ cpuCores: 0.5, loopP99: 8 }, ['worker 1 used 0.9 cores (limit 0.85)']), CPU);
    expect(limit).toMatchObject({ by: 'client' });
    expect(limit.why).toContain('worker 1 used 0.9 cores');
    expect(limit.why).toContain("the server's capacity is above");
    const queued = step({ cpuCores: 0.5, loopP99: 8 });
    queued.metrics.latency = { ...queued.metrics.latency!, p50: 60, p99: 150 };
    queued.metrics.client = { ...queued.metrics.client, readQueueMs: { p50: 50, p99: 120, max: 140 } };
    expect(capacityLimitOf(queued, CPU)).toMatchObject({ by: 'client', why: expect.stringContaining("the lab's own read queueing was 50.0 of 60.0 ms at p50") });
    // A step that broke on loss alone: the queueing did not break it.
    expect(capacityLimitOf(queued, CPU, false).by).toBe('slo');
  });

  it(`the server: its CPU at ${SERVER_BOUND_CPU_CORES} cores or more, or its event loop delayed ${SERVER_BOUND_LOOP_DELAY_MS} ms or more`, () => {
    expect(capacityLimitOf(step({ cpuCores: SERVER_BOUND_CPU_CORES, loopP99: 5 }), CPU)).toMatchObject({ by: 'server', why: expect.stringContaining('its CPU reached 0.85 cores') });
    expect(capacityLimitOf(step({ cpuCores: 0.3, loopP99: SERVER_BOUND_LOOP_DELAY_MS }), CPU)).toMatchObject({ by: 'server', why: expect.stringContaining('event-loop delay p99 reached 50 ms') });
    expect(capacityLimitOf(step({ cpuCores: 0.84, loopP99: 49 }), CPU).by).not.toBe('server');
  });

  it(`the machine: ${MACHINE_BUSY_SHARE * 100} % of its cores busy while the server had CPU to spare`, () => {
    const limit = capacityLimitOf(step({ cpuCores: 0.6, loopP99: 10 }), { ...CPU, machineBusyCores: 1.85 });
    expect(limit).toMatchObject({ by: 'machine', machineBusyCores: 1.85, serverCpuCores: 0.6 });
    expect(limit.why).toBe('the machine was full: 1.85 of its 2 cores busy, the server at 0.6 cores');
    expect(capacityLimitOf(step({ cpuCores: 0.6, loopP99: 10 }), { ...CPU, machineBusyCores: 1.79 }).by).toBe('slo');
  });

  it('none of them: the SLO broke on its own; without /stats the server figures are null', () => {
    expect(capacityLimitOf(step(null), CPU)).toMatchObject({ by: 'slo', serverCpuCores: null, serverLoopDelayP99Ms: null });
  });
});

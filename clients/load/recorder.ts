/**
 * What a Node load worker measures: clients/load/recorder-core.ts's window and timeline, plus the
 * bytes at the connections' sockets, this process's CPU and its event-loop utilization between the
 * window's marks, and the lab's own read queueing (clients/load/read-queue.ts).
 */
import { loadFastHistograms } from '../../metrics/histogram.ts';
import type { EndCause } from '../../metrics/integrity.ts';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { PeekedData } from '../../scenarios/peek.ts';
import type { LoadConnection, LoadSink } from './load-connection.ts';
import { ReadQueueMeter, type LoopClock } from './read-queue.ts';
import { newClientSlot, RecorderCore, type ClientSlot, type ProblemKind } from './recorder-core.ts';
import type { TimelineTick, WindowReport } from './worker-protocol.ts';

export function slotOf(connection: LoadConnection): ClientSlot {
  return connection.slot as ClientSlot;
}

interface ProcessMarks {
  bytes: number;
  written: number;
  cpuUs: number;
  loop: EventLoopUtilization;
}

/** libuv's own account of the loop's idle time (what eventLoopUtilization is built on), and the check phase. */
const nodeLoopClock: LoopClock = {
  idleMs: () => performance.nodeTiming.idleTime,
  afterReads: (callback) => setImmediate(callback),
};

export class Recorder implements LoadSink {
  private readonly core: RecorderCore<ProcessMarks>;
  private lastCpu = process.cpuUsage();

  constructor(
    private readonly connections: readonly LoadConnection[],
    private readonly extraBytes: () => { read: number; written: number },
  ) {
    // Before the core makes its histograms: a Node worker records on the WebAssembly build.
    loadFastHistograms();
    const slots = connections.map((connection) => (connection.slot = newClientSlot(connection.spec)));
    this.core = new RecorderCore(slots, () => this.marks(), new ReadQueueMeter(nodeLoopClock));
  }

  data(connection: LoadConnection, m: PeekedData, at: number): void {
    this.core.data(connection.slot as ClientSlot, connection.spec.id, m, at);
  }

  problem(_connection: LoadConnection, kind: ProblemKind, detail: string): void {
    this.core.problem(kind, detail);
  }

  lost(connection: LoadConnection, detail: string, cause?: EndCause): void {
    this.core.lost(slotOf(connection), detail, cause);
  }

  /** Records a chat send issued `lagUs` after it was due. */
  sent(dueUs: number, lagUs: number): void {
    this.core.sent(dueUs, lagUs);
  }

  /** Starts a new window: everything window-scoped restarts, and marks are taken at its edges. */
  startWindow(startUs: number, endUs: number, nowUs: number): void {
    this.core.startWindow(startUs, endUs, nowUs);
  }

  private marks(): ProcessMarks {
    let read = 0;
    let written = 0;
    for (const connection of this.connections) {
      const bytes = connection.bytes();
      read += bytes.read;
      written += bytes.written;
    }
    const extra = this.extraBytes();
    const cpu = process.cpuUsage();
    return { bytes: read + extra.read, written: written + extra.written, cpuUs: cpu.user + cpu.system, loop: performance.eventLoopUtilization() };
  }

  get windowDeliveries(): number {
    return this.core.windowDeliveries;
  }

  /** The window's figures; marks not yet taken (an interrupted window) are taken now. */
  collect(): WindowReport {
    const { figures, start, end } = this.core.collect();
    return {
      ...figures,
      bytesRead: end.bytes - start.bytes,
      bytesWritten: end.written - start.written,
      cpuUs: end.cpuUs - start.cpuUs,
      eventLoopUtilization: Math.round(performance.eventLoopUtilization(end.loop, start.loop).utilization * 1000) / 1000,
    };
  }

  /** One second of the timeline; the caller calls it once per second. */
  tick(second: number, nowUs: number): TimelineTick {
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    return this.core.tick(second, nowUs, cpu.user + cpu.system);
  }

  stop(): void {
    this.core.stop();
  }
}

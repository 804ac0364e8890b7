/**
 * A load worker process: holds its share of the connections, records what arrives, and answers
 * the coordinator over IPC (clients/load/worker-protocol.ts). It exits with its parent.
 */
import { createHistogram, encodeHistogram, recordMicros } from '../../metrics/histogram.ts';
import { everySecondSince, nowMicros } from '../../scenarios/clock.ts';
import { textPayload } from '../../scenarios/payload.ts';
import { createLoadConnection } from './create-connection.ts';
import { LoadContext, type LoadConnection } from './load-connection.ts';
import { startOpenLoopSends } from './open-loop.ts';
import { Recorder, slotOf } from './recorder.ts';
import type { ConnectReport, FromWorker, ToWorker, WorkerPlan } from './worker-protocol.ts';

const SEND_WAKE_MS = 1;
const PROGRESS_MS = 250;
const CLOSE_TIMEOUT_MS = 5000;

function reply(message: FromWorker): void {
  process.send?.(message);
}

class Worker {
  private readonly context: LoadContext;
  private readonly connections: LoadConnection[];
  private readonly recorder: Recorder;
  private readonly senders: LoadConnection[];
  private readonly payload: string;
  private stopSends: () => void = () => undefined;
  private stopTimeline: () => void = () => undefined;

  constructor(private readonly plan: WorkerPlan) {
    let recorder: Recorder | undefined;
    this.context = new LoadContext(plan.endpoint, {
      data: (c, m, at) => recorder!.data(c, m, at),
      problem: (c, kind, detail) => recorder!.problem(c, kind, detail),
      lost: (c, detail, cause) => recorder!.lost(c, detail, cause),
    });
    this.connections = plan.connections.map((spec) => createLoadConnection(spec, this.context));
    recorder = this.recorder = new Recorder(this.connections, () => this.context.postBytes.totals());
    this.senders = this.connections.filter((c) => c.spec.rooms.length > 0);
    this.payload = textPayload(plan.payloadBytes);
  }

  /** Opens every connection at the planned rate, with a bounded number of handshakes in flight. */
  async connect(): Promise<ConnectReport> {
    const connectTimes = createHistogram();
    const failures: string[] = [];
    let started = 0;
    let inFlight = 0;
    let opened = 0;
    let failed = 0;
    const begin = performance.now();
    const progress = setInterval(() => reply({ type: 'connect-progress', opened, failed }), PROGRESS_MS);
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        const allowed = Math.floor(((performance.now() - begin) * this.plan.connectRatePerSec) / 1000) + 1;
        while (started < this.connections.length && started < allowed && inFlight < this.plan.maxConnectsInFlight) {
          const connection = this.connections[started++]!;
          inFlight++;
          const attemptAt = nowMicros();
          connection.open().then(
            () => {
              recordMicros(connectTimes, nowMicros() - attemptAt);
              slotOf(connection).open = true;
              opened++;
            },
            (err: Error) => {
              failed++;
              if (failures.length < 5 && !failures.includes(err.message)) failures.push(err.message);
            },
          ).finally(() => {
            inFlight--;
            if (opened + failed === this.connections.length) resolve();
            else pump();
          });
        }
        if (started < this.connections.length && inFlight < this.plan.maxConnectsInFlight) setTimeout(pump, 5);
      };
      if (this.connections.length === 0) resolve();
      else pump();
    });
    clearInterval(progress);
    let handshakeBytes = 0;
    for (const connection of this.connections) {
      const bytes = connection.bytes();
      handshakeBytes += bytes.read + bytes.written;
    }
    this.startTimeline();
    return { opened, failed, failures, connect: encodeHistogram(connectTimes), handshakeBytes };
  }

  /** Ticks on the coordinator's second boundaries, so every worker's second n covers the same time. */
  private startTimeline(): void {
    this.stopTimeline = everySecondSince(this.plan.originUs, (second) => reply({ type: 'tick', ...this.recorder.tick(second, nowMicros()) }));
  }

  setSendRate(perConnectionPerSec: number, startUs: number): void {
    this.stopSends();
    this.stopSends = startOpenLoopSends({
      members: this.senders.filter((c) => slotOf(c).open),
      slotOf,
      perMemberPerSec: perConnectionPerSec,
      startUs,
      wakeMs: SEND_WAKE_MS,
      sent: (due, lag) => this.recorder.sent(due, lag),
      send: (sender, mid) => sender.send(sender.spec.rooms[0]!, mid, this.payload),
    });
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'clock':
        reply({ type: 'clock', sentUs: message.sentUs, workerUs: nowMicros() });
        break;
      case 'window':
        this.recorder.startWindow(message.startUs, message.endUs, nowMicros());
        break;
      case 'send-rate':
        this.setSendRate(message.perConnectionPerSec, message.startUs);
        break;
      case 'drain-status':
        reply({ type: 'drain-status', inWindow: this.recorder.windowDeliveries });
        break;
      case 'collect':
        reply({ type: 'window-result', ...this.recorder.collect() });
        break;
      case 'close':
        void this.close();
        break;
      case 'plan':
      case 'drop':
        // Node load clients do not reconnect: drops are measured with browser clients.
        break;
    }
  }

  async close(): Promise<void> {
    this.stopSends();
    this.stopTimeline();
    this.recorder.stop();
    const timeout = new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    await Promise.race([Promise.allSettled(this.connections.map((c) => c.close())), timeout]);
    await Promise.race([this.context.close(), timeout]);
    reply({ type: 'closed' });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 50).unref();
  }
}

let worker: Worker | undefined;

process.on('message', (message: ToWorker) => {
  if (message.type === 'plan') {
    worker = new Worker(message.plan);
    worker.connect().then(
      (report) => reply({ type: 'connected', ...report }),
      (err: Error) => fail(err),
    );
    return;
  }
  if (message.type === 'clock' && worker === undefined) {
    reply({ type: 'clock', sentUs: message.sentUs, workerUs: nowMicros() });
    return;
  }
  worker?.handle(message);
});

function fail(err: unknown): void {
  reply({ type: 'fatal', message: (err as Error)?.stack ?? String(err) });
  setTimeout(() => process.exit(1), 50);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// The coordinator is gone (it exited or crashed): a worker never outlives it.
process.on('disconnect', () => process.exit(0));

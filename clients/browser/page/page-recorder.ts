/**
 * What a page records: clients/load/recorder-core.ts's window and timeline, exactly as a Node load
 * worker records them, plus what only browser clients measure: the reconnect event of every drop,
 * and after a server-side drop (markDrop) each client's time to its first message published after
 * it. A page cannot see socket bytes nor its own CPU: those stay 0 (the driver measures Chromium
 * from outside). Ticks and errors go to the driver in batches (report-batcher.ts).
 */
import { createHistogram, encodeHistogram, recordMicros } from '../../../metrics/histogram.ts';
import { everySecondSince, nowMicros } from '../../../scenarios/clock.ts';
import type { PeekedData } from '../../../scenarios/peek.ts';
import { RecorderCore, type ClientSlot, type ProblemKind } from '../../load/recorder-core.ts';
import type { PageErrorKind, PageReportBatch, PageWindowReport } from '../page-protocol.ts';
import { ReconnectEvent } from './reconnect-events.ts';
import { ReportBatcher } from './report-batcher.ts';

const MAX_RECONNECT_EVENTS = 1000;

/** What the recorder needs of a page client. */
export interface RecordedClient {
  readonly id: string;
  readonly slot: ClientSlot;
  /** The last seq held per channel: what a reconnect event starts from. */
  readonly position: ReadonlyMap<string, number>;
  /** The reconnect event of the client's latest drop, fed until the next one. */
  readonly reconnect: ReconnectEvent | null;
}

export class PageRecorder {
  private readonly core: RecorderCore<undefined>;
  private readonly batcher: ReportBatcher;
  private readonly reconnects: ReconnectEvent[] = [];
  private dropAtUs: number | null = null;
  private resume = createHistogram();
  /** Clients that had a message published after the drop. */
  private readonly resumed = new Set<RecordedClient>();
  private readonly stopTimeline: () => void;

  constructor(
    private readonly clients: readonly RecordedClient[],
    originUs: number,
    deliver: (batch: PageReportBatch) => void,
  ) {
    this.core = new RecorderCore(
      clients.map((client) => client.slot),
      () => undefined,
    );
    this.batcher = new ReportBatcher(deliver);
    // Ticks on the driver's second boundaries, as every Node worker's.
    this.stopTimeline = everySecondSince(originUs, (second) => this.batcher.tick(this.core.tick(second, nowMicros(), 0)));
  }

  data(client: RecordedClient, m: PeekedData, atUs: number): void {
    const verdict = this.core.data(client.slot, client.id, m, atUs);
    client.reconnect?.arrival(m.channel, m.seq, m.ts, verdict, atUs);
    // The outage as a user sees it: from the drop to the first message that could only come after it.
    if (this.dropAtUs !== null && m.ts > this.dropAtUs && !this.resumed.has(client)) {
      this.resumed.add(client);
      recordMicros(this.resume, atUs - this.dropAtUs);
    }
  }

  problem(client: RecordedClient, kind: ProblemKind, detail: string): void {
    this.core.problem(kind, detail);
    this.error(client, kind, detail);
  }

  /** A connection that was open ended without close(): counted, noted, and a reconnect event opened. */
  lost(client: RecordedClient, detail: string): ReconnectEvent {
    const atUs = nowMicros();
    this.core.lost(client.slot, detail);
    this.error(client, 'disconnect', detail);
    const event = new ReconnectEvent(client.id, detail, atUs, client.position);
    if (this.reconnects.length < MAX_RECONNECT_EVENTS) this.reconnects.push(event);
    return event;
  }

  private error(client: RecordedClient, kind: PageErrorKind, detail: string): void {
    this.batcher.error({ atUs: nowMicros(), client: client.id, kind, detail });
  }

  sent(dueUs: number, lagUs: number): void {
    this.core.sent(dueUs, lagUs);
  }

  startWindow(startUs: number, endUs: number): void {
    this.core.startWindow(startUs, endUs, nowMicros());
  }

  markDrop(atUs: number): void {
    this.dropAtUs = atUs;
    this.resume = createHistogram();
    this.resumed.clear();
  }

  get windowDeliveries(): number {
    return this.core.windowDeliveries;
  }

  collect(): PageWindowReport {
    const { figures } = this.core.collect();
    return {
      ...figures,
      bytesRead: 0,
      bytesWritten: 0,
      cpuUs: 0,
      reconnects: this.reconnects.map((event) => event.report()),
      resume: encodeHistogram(this.resume),
      notResumed: this.dropAtUs === null ? 0 : this.clients.length - this.resumed.size,
    };
  }

  close(): void {
    this.stopTimeline();
    this.core.stop();
    this.batcher.stop();
  }
}

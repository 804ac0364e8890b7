/**
 * One page's clients and what they share: the recorder, the connect outcomes, the WebSocket
 * handshake gate and the open-loop chat sends (clients/load/open-loop.ts, as Node workers send).
 */
import { nowMicros } from '../../../scenarios/clock.ts';
import type { TransportName } from '../../../scenarios/constants.ts';
import type { PeekedData } from '../../../scenarios/peek.ts';
import { textPayload } from '../../../scenarios/payload.ts';
import type { ProblemKind } from '../../load/recorder-core.ts';
import { startOpenLoopSends } from '../../load/open-loop.ts';
import type { PageClientSpec, PageConnectReport, PagePlan, PageReportBatch, PageWindowReport } from '../page-protocol.ts';
import type { ClientHost, PageClient } from './clients/client.ts';
import { LongPollPageClient } from './clients/long-poll.ts';
import { SsePageClient } from './clients/sse.ts';
import { WsPageClient } from './clients/ws.ts';
import { ConnectOutcomes } from './connect-outcomes.ts';
import { PageRecorder } from './page-recorder.ts';
import type { ReconnectEvent } from './reconnect-events.ts';
import { WebSocketGate } from './websocket-gate.ts';

/** How often the page's sender wakes to issue the sends that came due (Node workers: 1 ms). */
const SEND_WAKE_MS = 5;

const CLIENT_CLASSES: Record<TransportName, new (spec: PageClientSpec, host: ClientHost) => PageClient> = {
  ws: WsPageClient,
  sse: SsePageClient,
  'long-poll': LongPollPageClient,
};

export function isPageTransport(name: string): name is TransportName {
  return Object.hasOwn(CLIENT_CLASSES, name);
}

export class PageLab implements ClientHost {
  readonly webSockets = new WebSocketGate();
  private readonly clients: PageClient[];
  private readonly recorder: PageRecorder;
  private readonly outcomes: ConnectOutcomes;
  private readonly payload: string;
  private stopSends: () => void = () => undefined;

  constructor(
    readonly plan: PagePlan,
    deliver: (batch: PageReportBatch) => void,
  ) {
    const Client = CLIENT_CLASSES[plan.transport];
    this.clients = plan.clients.map((spec) => new Client(spec, this));
    this.recorder = new PageRecorder(this.clients, plan.originUs, deliver);
    this.outcomes = new ConnectOutcomes(this.clients.length);
    this.payload = textPayload(plan.payloadBytes);
  }

  /** Opens every client at once; resolves with the first attempts' outcome, then starts the plan's chat sends. */
  async start(): Promise<PageConnectReport> {
    const connected = new Promise<PageConnectReport>((resolve) => (this.outcomes.onAllSettled = resolve));
    for (const client of this.clients) client.connect();
    if (this.clients.length === 0) return this.outcomes.report();
    const report = await connected;
    if (this.plan.sendRatePerMember > 0) this.setSendRate(this.plan.sendRatePerMember, nowMicros());
    return report;
  }

  firstOutcome(client: PageClient, failure: string | null, connectUs: number): void {
    this.outcomes.record(client.id, failure, connectUs);
  }

  lost(client: PageClient, detail: string): ReconnectEvent {
    return this.recorder.lost(client, detail);
  }

  problem(client: PageClient, kind: ProblemKind, detail: string): void {
    this.recorder.problem(client, kind, detail);
  }

  data(client: PageClient, m: PeekedData, atUs: number): void {
    this.recorder.data(client, m, atUs);
  }

  /** Open-loop chat sends from every member open now, round-robin. */
  setSendRate(perMemberPerSec: number, startUs: number): void {
    this.stopSends();
    this.stopSends = startOpenLoopSends({
      members: this.clients.filter((client) => client.spec.rooms.length > 0 && client.open),
      slotOf: (client) => client.slot,
      perMemberPerSec,
      startUs,
      wakeMs: SEND_WAKE_MS,
      sent: (dueUs, lagUs) => this.recorder.sent(dueUs, lagUs),
      send: (client, mid) => client.send(client.spec.rooms[0]!, mid, this.payload),
    });
  }

  startWindow(startUs: number, endUs: number): void {
    this.recorder.startWindow(startUs, endUs);
  }

  markDrop(atUs: number): void {
    this.recorder.markDrop(atUs);
  }

  get windowDeliveries(): number {
    return this.recorder.windowDeliveries;
  }

  positions(): Record<string, Record<string, number>> {
    return Object.fromEntries(this.clients.map((client) => [client.id, Object.fromEntries(client.position)]));
  }

  collect(): PageWindowReport {
    return this.recorder.collect();
  }

  connectReport(): PageConnectReport {
    return this.outcomes.report();
  }

  /** Closes every client deliberately (no reconnect), then hands the driver what is left. */
  close(): void {
    this.stopSends();
    for (const client of this.clients) client.close();
    this.recorder.close();
  }
}

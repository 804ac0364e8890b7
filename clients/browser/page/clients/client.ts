/**
 * What every page client shares, whatever its transport: the position it holds (its resume
 * cursor), the reconnect policy (clients/reconnect-policy.ts), the life of its connection, and
 * decoding what arrives. The transports (ws.ts, sse.ts, long-poll.ts) open and close the browser's
 * own WebSocket, EventSource or fetch and call opened(), ended(), message() and data().
 */
import { encodeClientJson } from '../../../../scenarios/codec-json.ts';
import { nowMicros, type Timer } from '../../../../scenarios/clock.ts';
import { PATHS } from '../../../../scenarios/constants.ts';
import { connectQuery } from '../../../../scenarios/connect-query.ts';
import { formatCursor, parseCursor, type Position } from '../../../../scenarios/names.ts';
import { newClientSlot, type ClientSlot, type ProblemKind } from '../../../load/recorder-core.ts';
import { BackoffPolicy, DEFAULT_RECONNECT } from '../../../reconnect-policy.ts';
import type { PageClientSpec, PagePlan } from '../../page-protocol.ts';
import { excerpt, isDataMessage, isJsonObject, peekedOf } from '../messages.ts';
import type { PeekedData } from '../../../../scenarios/peek.ts';
import type { ReconnectEvent } from '../reconnect-events.ts';
import type { WebSocketGate } from '../websocket-gate.ts';

/** What a client reports to, and needs from, the page it lives in (page/lab.ts). */
export interface ClientHost {
  readonly plan: PagePlan;
  readonly webSockets: WebSocketGate;
  /** The client's first attempt: `failure` null when it opened after `connectUs`. */
  firstOutcome(client: PageClient, failure: string | null, connectUs: number): void;
  /** An open connection ended without close(); returns the reconnect event it opens. */
  lost(client: PageClient, detail: string): ReconnectEvent;
  problem(client: PageClient, kind: ProblemKind, detail: string): void;
  data(client: PageClient, m: PeekedData, atUs: number): void;
}

export abstract class PageClient {
  readonly slot: ClientSlot;
  /** The last seq held per channel, from the welcome (or handshake) and every data message: the resume cursor. */
  readonly position: Position = new Map();
  reconnect: ReconnectEvent | null = null;
  protected closing = false;
  private everOpened = false;
  private attemptAtUs = 0;
  private readonly backoff: BackoffPolicy;
  private retryTimer: Timer | undefined;

  constructor(
    readonly spec: PageClientSpec,
    protected readonly host: ClientHost,
  ) {
    this.slot = newClientSlot(spec);
    this.backoff = new BackoffPolicy({ ...DEFAULT_RECONNECT, ...host.plan.backoff });
  }

  get id(): string {
    return this.spec.id;
  }

  get open(): boolean {
    return this.slot.open;
  }

  /** Opens the transport (or opens it again after a loss). */
  connect(): void {
    this.retryTimer = undefined;
    if (this.closing) return;
    this.attemptAtUs = nowMicros();
    if (this.reconnect !== null) this.reconnect.attempts++;
    this.openTransport();
  }

  protected abstract openTransport(): void;
  abstract send(room: string, mid: number, payload: string): void;

  /** Connect time starts here: the WebSocket is created only once a handshake slot is free. */
  protected restartConnectTime(): void {
    this.attemptAtUs = nowMicros();
  }

  /** The connect query; a WebSocket resumes from the position it holds (the EventSource sends Last-Event-ID by itself, long-poll its own cursor). */
  protected connectQuery(options: { withClientId: boolean; resume?: boolean }): URLSearchParams {
    return connectQuery({
      topics: this.spec.topics,
      rooms: this.spec.rooms,
      client: options.withClientId ? this.spec.id : undefined,
      encoding: this.host.plan.encoding,
      cursor: options.resume === true && this.position.size > 0 ? formatCursor(this.position) : undefined,
      token: this.host.plan.token,
    });
  }

  /** The transport is open: WebSocket welcomed, EventSource open, first poll answered. */
  protected opened(atUs = nowMicros()): void {
    this.slot.open = true;
    this.backoff.reset();
    if (!this.everOpened) {
      this.everOpened = true;
      this.host.firstOutcome(this, null, atUs - this.attemptAtUs);
    } else if (this.reconnect !== null && this.reconnect.reopenedAtUs === null) this.reconnect.reopenedAtUs = atUs;
  }

  /** The transport ended or failed without close(). retry: schedule the next attempt with the backoff. */
  protected ended(detail: string, retry: boolean): void {
    if (this.closing) return;
    const wasOpen = this.slot.open;
    this.slot.open = false;
    if (wasOpen) this.reconnect = this.host.lost(this, detail);
    // A first attempt that fails is a failed connect, not retried (as the Node load worker).
    if (!this.everOpened) {
      this.host.firstOutcome(this, detail, 0);
      return;
    }
    if (!retry || !this.host.plan.reconnect) return;
    const delay = this.backoff.next();
    if (delay !== undefined) this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** One JSON text from the server: a data message or a control message. */
  protected message(text: string, atUs: number): void {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch (err) {
      this.host.problem(this, 'decode', (err as Error).message);
      return;
    }
    if (!isJsonObject(m)) this.host.problem(this, 'decode', 'not a JSON object: ' + text.slice(0, 80));
    else if (isDataMessage(m)) this.data(m, atUs);
    else if (m.type === 'welcome') {
      if (!this.holdCursor(m.cursor)) return;
      // A WebSocket is usable once welcomed: the server accepts every upgrade and refuses a bad token
      // with a 4001 close right after, so the open event alone proves nothing (docs/PROTOCOL.md §7).
      if (!this.slot.open) this.opened(atUs);
    } else if (m.type === 'error') this.host.problem(this, 'server-error', `${String(m.code)}: ${String(m.message)}`);
  }

  /** One data message (a parsed JSON object, or one item of a long-poll batch). */
  protected data(m: unknown, atUs: number): void {
    const peeked = peekedOf(m);
    if (peeked === undefined) {
      this.host.problem(this, 'decode', 'not a data message: ' + excerpt(m));
      return;
    }
    if (!((this.position.get(peeked.channel) ?? -1) >= peeked.seq)) this.position.set(peeked.channel, peeked.seq);
    this.host.data(this, peeked, atUs);
  }

  /** Takes a server cursor (welcome, poll handshake) as held; false, and a decode problem, when it is not one. */
  protected holdCursor(cursor: unknown): boolean {
    let position: Position;
    try {
      position = parseCursor(typeof cursor === 'string' ? cursor : '');
    } catch (err) {
      this.host.problem(this, 'decode', (err as Error).message);
      return false;
    }
    for (const [channel, seq] of position) if (!((this.position.get(channel) ?? -1) >= seq)) this.position.set(channel, seq);
    return true;
  }

  /** SSE and long-poll send through POST /messages; text/plain keeps it a simple request (no preflight). `key`: SSE, the stream's (§6.4). */
  protected post(room: string, mid: number, payload: string, key?: string): void {
    const query = new URLSearchParams({ client: this.spec.id });
    if (key !== undefined) query.set('key', key);
    if (this.host.plan.token !== null) query.set('token', this.host.plan.token);
    fetch(`${this.spec.url}${PATHS.messages}?${query.toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: encodeClientJson({ type: 'send', room, mid, payload }),
    }).then(
      async (response) => {
        if (response.status === 204) return;
        const text = await response.text();
        this.host.problem(this, 'send', `POST /messages answered ${response.status}: ${text.slice(0, 200)}`);
      },
      (err: Error) => this.host.problem(this, 'send', `POST /messages failed: ${err.message}`),
    );
  }

  /** A deliberate close: no reconnect, and a pending retry is cancelled. */
  close(): void {
    this.closing = true;
    this.slot.open = false;
    clearTimeout(this.retryTimer);
  }
}

/**
 * What crosses between a browser worker (Node) and the page code it bundles (clients/browser/page/):
 * the plan a page starts with, the page's API on `window.pushbench`, and what it reports. Types only,
 * so both sides import them and neither imports the other.
 */
import type { ReconnectOptions } from '../reconnect-policy.ts';
import type { ConnectReport, PageReconnect, TimelineTick, WindowReport } from '../load/worker-protocol.ts';
import type { TransportName } from '../../scenarios/constants.ts';

export interface PageClientSpec {
  id: string;
  /** http://host:port of the server origin this client uses. */
  url: string;
  topics: string[];
  rooms: string[];
}

export interface PagePlan {
  transport: TransportName;
  clients: PageClientSpec[];
  encoding: 'json';
  token: string | null;
  /** WebSocket and long-poll: reconnect with `backoff`; SSE: let the EventSource reconnect. */
  reconnect: boolean;
  /** The page's reconnect delays (clients/reconnect-policy.ts); absent: the seed policy, 1 s, 2 s, 4 s ... 30 s. */
  backoff?: Pick<ReconnectOptions, 'initialDelayMs' | 'maxDelayMs'>;
  /** Chat sends per second per member (a client with a room); 0: none. */
  sendRatePerMember: number;
  payloadBytes: number;
  /** Host-clock µs that timeline second 0 starts at. */
  originUs: number;
}

export interface PageWindowReport extends WindowReport {
  reconnects: PageReconnect[];
  /** After markDrop(): per client, µs from the drop to its first message published after it (encoded HDR). */
  resume: string;
  /** Clients that have had no message published after the drop (0 without markDrop()). */
  notResumed: number;
}

export type PageErrorKind = 'decode' | 'server-error' | 'send' | 'disconnect';

export interface PageError {
  atUs: number;
  client: string;
  kind: PageErrorKind;
  detail: string;
}

/** What the page pushes through `window.pushbenchReport` every 250 ms (only when there is something). */
export interface PageReportBatch {
  ticks: TimelineTick[];
  errors: PageError[];
  /** Errors not sent because a batch holds at most 100. */
  errorsDropped: number;
}

export type PageConnectReport = ConnectReport;

/** `window.pushbench`, what the driver calls through page.evaluate. */
export interface PageApi {
  /** Opens every client with the browser's own API; resolves with the first attempts' outcome, then starts the plan's chat sends. */
  start(plan: PagePlan): Promise<PageConnectReport>;
  /** Starts a measurement window: messages published in [startUs, endUs) count. */
  window(startUs: number, endUs: number): void;
  /** Chat: open-loop sends from every open member from startUs on (0 stops). */
  setSendRate(perMemberPerSec: number, startUs: number): void;
  /** The server cut every connection at atUs: time each client's first message published after it. */
  markDrop(atUs: number): void;
  /** In-window deliveries so far (the drain check). */
  deliveries(): number;
  /** Per client, the last seq it holds per channel (its resume position). */
  positions(): Record<string, Record<string, number>>;
  /** The window's report, plus every reconnect event so far. */
  collect(): PageWindowReport;
  /** The first attempts' outcome so far. */
  connectReport(): PageConnectReport;
  /** Closes every client deliberately: no reconnect. */
  close(): void;
  /** The page's reading of the lab clock (scenarios/clock.ts), for the driver's clock check. */
  nowMicros(): number;
}

/** The page's globals: its API, and the driver's batch sink (page.exposeFunction). */
export interface PageGlobals {
  pushbench?: PageApi;
  pushbenchReport?: (batch: PageReportBatch) => Promise<void>;
}

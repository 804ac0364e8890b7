/**
 * Messages between the bench coordinator and its load worker processes (IPC). Browser workers
 * (clients/browser/browser-worker.ts) speak the same protocol, so the coordinator runs either
 * without knowing which.
 */
import type { LoadConnectionSpec, LoadEndpoint } from './load-connection.ts';
import type { ChannelTally } from '../../metrics/integrity.ts';

/** How a browser worker lays its clients out in Chromium. */
export interface BrowserPlan {
  /** The server's origins (http://host:port, one server on several ports); WebSocket clients use the first. */
  origins: string[];
  /** SSE and long-poll clients per origin: Chromium opens at most 6 HTTP/1.1 connections per host:port. */
  streamsPerOrigin: number;
  clientsPerPage: number;
}

export interface WorkerPlan {
  index: number;
  endpoint: LoadEndpoint;
  connections: LoadConnectionSpec[];
  /** Connection attempts started per second by this worker, and at most this many handshakes in flight. */
  connectRatePerSec: number;
  maxConnectsInFlight: number;
  /** Chat payload size. */
  payloadBytes: number;
  /** Host-clock µs that timeline second 0 starts at. */
  originUs: number;
  /** Browser workers only. */
  browser?: BrowserPlan;
}

export type ToWorker =
  | { type: 'plan'; plan: WorkerPlan }
  | { type: 'clock'; sentUs: number }
  /** Starts a measurement window: messages published in [startUs, endUs) count. */
  | { type: 'window'; startUs: number; endUs: number }
  /** Chat: every connection that sends does so at this rate from startUs on (0 stops). */
  | { type: 'send-rate'; perConnectionPerSec: number; startUs: number }
  /** The server cut every connection at atUs (POST /drop): time how long until each client hears from it again. */
  | { type: 'drop'; atUs: number }
  | { type: 'drain-status' }
  | { type: 'collect' }
  | { type: 'close' };

export interface ConnectReport {
  opened: number;
  failed: number;
  /** Up to five distinct failure messages. */
  failures: string[];
  /** Encoded HDR histogram of connect times, µs. */
  connect: string;
  /** Bytes read + written by all connections until they were open. */
  handshakeBytes: number;
  /** Clocks the worker checked itself (a browser worker: its pages' clocks against its own). */
  clocks?: { process: string; offsetUs: number; uncertaintyUs: number }[];
}

export interface TimelineTick {
  second: number;
  deliveries: number;
  latency: string | null;
  connections: number;
  cpuUs: number;
  loopDelayP99Ms: number;
}

export interface WindowReport {
  /** Arrivals of in-window messages, duplicates included. */
  deliveries: number;
  latency: string;
  rtt: string;
  /**
   * The lab's own read queueing of the deliveries in `latency` (encoded HDR, µs): how long each read
   * waited behind this worker's earlier reads of the same burst (clients/load/read-queue.ts). null
   * where not measured (browser pages); absent from workers that predate it.
   */
  readQueue?: string | null;
  /** This worker's event-loop utilization between the window's marks, 0 to 1; absent where not measured. */
  eventLoopUtilization?: number;
  tallies: [string, ChannelTally][];
  /** Measured between the window's start and end by this worker's clock. */
  bytesRead: number;
  bytesWritten: number;
  arrivalsBetweenMarks: number;
  cpuUs: number;
  loopDelayP99MaxMs: number;
  sendsDue: number;
  sendsUnanswered: number;
  /** p99 of how late sends left after their due time, ms. */
  sendLagP99Ms: number;
  decodeErrors: number;
  serverErrors: number;
  sendFailures: number;
  disconnects: number;
  problems: string[];
  /** Browser workers only. */
  browser?: BrowserWindowReport;
}

export interface BrowserWindowReport {
  version: string;
  pages: number;
  clients: number;
  /** Chromium processes at the window's end. */
  processes: number;
  /** Chromium's CPU between the window's marks (all its processes), and that of its busiest process, µs. */
  chromiumCpuUs: number;
  busiestProcessCpuUs: number;
  /** PSS summed over Chromium's processes at the window's end. */
  pssBytes: number;
  /** Every drop a page saw, and what its reconnect brought back. */
  reconnects: PageReconnect[];
  /** After a 'drop': µs from the drop to each client's first message published after it (encoded HDR). */
  resume: string;
  notResumed: number;
}

/** One drop of one browser client and what its reconnect brought back. Times are host-clock µs, durations ms. */
export interface PageReconnect {
  client: string;
  reason: string;
  lostAtUs: number;
  /** Connection attempts made by the page (WebSocket, long-poll); 0 for SSE, whose EventSource retries by itself. */
  attempts: number;
  /** From the loss to the reopen; null while not reopened. */
  reopenMs: number | null;
  /** From the reopen to the first data message after it; null while none came. */
  firstMessageMs: number | null;
  /** Messages published before the reopen that never arrived: the seq gap between what the client held and the first live message, less what the resume brought. */
  missed: number;
  /** Messages published before the reopen that arrived after it, i.e. through the resume (WS cursor, SSE Last-Event-ID, long-poll cursor). */
  recovered: number;
  /** Messages that arrived again after the reopen. */
  duplicates: number;
  /** Every channel has seen a live message since the reopen, so `missed` is final. */
  settled: boolean;
}

export type FromWorker =
  | { type: 'connect-progress'; opened: number; failed: number }
  | ({ type: 'connected' } & ConnectReport)
  | { type: 'clock'; sentUs: number; workerUs: number }
  | ({ type: 'tick' } & TimelineTick)
  | { type: 'drain-status'; inWindow: number }
  | ({ type: 'window-result' } & WindowReport)
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

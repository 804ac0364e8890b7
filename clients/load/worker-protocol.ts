/** Messages between the bench coordinator and its load worker processes (IPC). */
import type { LoadConnectionSpec, LoadEndpoint } from './load-connection.ts';
import type { ChannelTally } from '../../metrics/integrity.ts';

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
}

export type ToWorker =
  | { type: 'plan'; plan: WorkerPlan }
  | { type: 'clock'; sentUs: number }
  /** Starts a measurement window: messages published in [startUs, endUs) count. */
  | { type: 'window'; startUs: number; endUs: number }
  /** Chat: every connection that sends does so at this rate from startUs on (0 stops). */
  | { type: 'send-rate'; perConnectionPerSec: number; startUs: number }
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

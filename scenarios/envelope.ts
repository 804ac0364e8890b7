/**
 * The logical messages of the protocol, independent of encoding and transport.
 * docs/PROTOCOL.md is the normative description; these types mirror it.
 */

export type DataKind = 'feed' | 'chat';

/** A message the hub published on a channel (a feed topic or a chat room), as a client decodes it. */
export interface Envelope {
  kind: DataKind;
  /** Topic (feed) or room (chat). */
  channel: string;
  /** Per-channel sequence number assigned by the hub, from 1. */
  seq: number;
  /** Publish time in microseconds on the host clock (see scenarios/clock.ts). */
  ts: number;
  /** Chat only: the sender's client id and its own message id. */
  from?: string;
  mid?: number;
  /** UTF-8 text, or raw bytes when the sender sent binary data. */
  payload: string | Uint8Array;
}

/** Messages a client sends to the server (WS frames, or POST /messages bodies for SSE and long-poll). */
export type ClientMessage =
  | { type: 'send'; room: string; mid: number; payload: string | Uint8Array }
  | { type: 'join'; room: string }
  | { type: 'leave'; room: string };

/** Control messages from the server; always JSON, whatever the data encoding. */
export type ControlMessage =
  /** key: SSE only, the stream's secret for POST /messages (docs/PROTOCOL.md §6.4). */
  | { type: 'welcome'; client: string; cursor: string; key?: string }
  | { type: 'joined'; room: string; cursor: string }
  | { type: 'left'; room: string }
  | { type: 'error'; code: string; message: string };

export function payloadByteLength(payload: string | Uint8Array): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}

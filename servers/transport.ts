/** The seam between the shared server and one transport's wire. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WireError } from '../scenarios/errors.ts';
import type { BanList } from './access.ts';
import type { PublicHub } from './hub.ts';
import type { ServerLimits } from './limits/server-limits.ts';
import type { ServerOptions } from './options.ts';
import type { ServerCounters } from './stats.ts';

export interface TransportContext {
  options: ServerOptions;
  counters: ServerCounters;
  /** Rate limits and per-address bounds, one set per server (docs/PROTOCOL.md §9.1). */
  limits: ServerLimits;
  /** Banned client ids: a transport refuses their connects and POSTs. */
  bans: BanList;
}

export interface TransportAdapter {
  /** The hub, built by the adapter with its own fan-out. */
  readonly hub: PublicHub;
  /** The path a client connects to (its query is described in docs/PROTOCOL.md). */
  readonly connectPath: string;
  /**
   * Serves the transport's hot paths straight on node:http; returns false for anything else,
   * which the express app then serves (stats, health, errors).
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  openConnections(): number;
  /**
   * Ends every open connection of this client id with `error` (BANNED: WS close 4003, SSE error
   * event); returns how many. Long-poll has none to end: a poll carries no client id.
   */
  endClient?(client: string, error: WireError): number;
  /** Tells every client the server is going away and closes its connection. */
  shutdown(): void;
}

export type TransportFactory = (context: TransportContext) => TransportAdapter;

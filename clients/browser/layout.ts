/**
 * Where each browser client goes (pure): which page it runs in and which origin it connects to.
 * Chromium opens at most 6 HTTP/1.1 connections per host:port, browser-wide, and a 7th SSE stream
 * or long poll waits until one closes; so SSE and long-poll clients are spread over the server's
 * origins, at most `streamsPerOrigin` each. WebSocket connections are not pooled that way and all
 * use the first origin.
 */
import type { LoadConnectionSpec } from '../load/load-connection.ts';
import type { BrowserPlan } from '../load/worker-protocol.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import type { PageClientSpec } from './page-protocol.ts';

/** Origins one browser needs for `clients` SSE or long-poll clients (WebSocket: 1). */
export function originsNeeded(transport: TransportName, clients: number, streamsPerOrigin: number): number {
  return transport === 'ws' ? 1 : Math.max(1, Math.ceil(clients / streamsPerOrigin));
}

/** The clients of one browser, page by page. Throws when the origins cannot hold them within the limit. */
export function layoutPages(transport: TransportName, specs: readonly LoadConnectionSpec[], plan: BrowserPlan): PageClientSpec[][] {
  const needed = originsNeeded(transport, specs.length, plan.streamsPerOrigin);
  if (plan.origins.length < needed) {
    throw new Error(`${specs.length} ${transport} browser clients need ${needed} origins at ${plan.streamsPerOrigin} per origin, but the server offers ${plan.origins.length}`);
  }
  const clients = specs.map((spec, i) => ({
    id: spec.id,
    url: plan.origins[transport === 'ws' ? 0 : Math.floor(i / plan.streamsPerOrigin)]!,
    topics: spec.topics,
    rooms: spec.rooms,
  }));
  const pages: PageClientSpec[][] = [];
  for (let i = 0; i < clients.length; i += plan.clientsPerPage) pages.push(clients.slice(i, i + plan.clientsPerPage));
  return pages;
}

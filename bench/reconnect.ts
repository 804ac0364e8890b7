/**
 * What a drop of every connection cost browser clients (pure): from the reconnect events their pages
 * recorded and the time each took to hear from the server again. Definitions: docs/../metrics/result-types.ts
 * ReconnectMetrics.
 */
import type { WindowReport } from '../clients/load/worker-protocol.ts';
import { createHistogram, decodeHistogram, mergeHistograms, recordMicros, summarize } from '../metrics/histogram.ts';
import type { ReconnectMetrics } from '../metrics/result-types.ts';

export interface DropFacts {
  /** When the server answered POST /drop, ms after the window started. */
  dropAtMs: number;
  droppedConnections: number;
  clients: number;
}

export function reconnectMetrics(reports: readonly WindowReport[], drop: DropFacts): ReconnectMetrics {
  const browsers = reports.flatMap((r) => (r.browser === undefined ? [] : [r.browser]));
  const events = browsers.flatMap((b) => b.reconnects);
  // A client may drop more than once (a reconnect that fails again): its last event says whether it came back.
  const lastByClient = new Map(events.map((event) => [event.client, event]));
  const reopen = createHistogram();
  for (const event of events) if (event.reopenMs !== null) recordMicros(reopen, event.reopenMs * 1000);
  const resume = mergeHistograms(browsers.map((b) => decodeHistogram(b.resume)));
  const sum = (pick: (event: (typeof events)[number]) => number): number => events.reduce((total, event) => total + pick(event), 0);
  return {
    dropAtMs: drop.dropAtMs,
    droppedConnections: drop.droppedConnections,
    clients: drop.clients,
    sawDisconnect: lastByClient.size,
    reopened: [...lastByClient.values()].filter((event) => event.reopenMs !== null).length,
    reopen: summarize(reopen),
    resume: summarize(resume),
    notResumed: browsers.reduce((total, b) => total + b.notResumed, 0),
    attempts: sum((event) => event.attempts),
    missed: sum((event) => event.missed),
    recovered: sum((event) => event.recovered),
    duplicates: sum((event) => event.duplicates),
  };
}

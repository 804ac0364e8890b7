/** One browser worker's pages, merged into the reports every load worker gives (pure). */
import { decodeHistogram, encodeHistogram, mergeHistograms } from '../../metrics/histogram.ts';
import type { ConnectReport, PageReconnect, WindowReport } from '../load/worker-protocol.ts';
import type { PageConnectReport, PageWindowReport } from './page-protocol.ts';

const MAX_FAILURES = 5;
const MAX_PROBLEMS = 10;

const mergeEncoded = (encoded: readonly string[]): string => encodeHistogram(mergeHistograms(encoded.map(decodeHistogram)));
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function distinct(lists: readonly (readonly string[])[], max: number): string[] {
  const out: string[] = [];
  for (const list of lists) for (const item of list) if (out.length < max && !out.includes(item)) out.push(item);
  return out;
}

export function mergeConnectReports(pages: readonly PageConnectReport[]): ConnectReport {
  return {
    opened: sum(pages.map((p) => p.opened)),
    failed: sum(pages.map((p) => p.failed)),
    failures: distinct(pages.map((p) => p.failures), MAX_FAILURES),
    connect: mergeEncoded(pages.map((p) => p.connect)),
    // A page cannot see socket bytes.
    handshakeBytes: 0,
  };
}

export interface MergedPages {
  window: Omit<WindowReport, 'cpuUs' | 'browser'>;
  reconnects: PageReconnect[];
  resume: string;
  notResumed: number;
}

export function mergeWindowReports(pages: readonly PageWindowReport[], extraProblems: readonly string[] = []): MergedPages {
  return {
    window: {
      deliveries: sum(pages.map((p) => p.deliveries)),
      latency: mergeEncoded(pages.map((p) => p.latency)),
      rtt: mergeEncoded(pages.map((p) => p.rtt)),
      // Tallies of the same channel from several pages are merged by the coordinator, as across workers.
      tallies: pages.flatMap((p) => p.tallies),
      bytesRead: 0,
      bytesWritten: 0,
      arrivalsBetweenMarks: sum(pages.map((p) => p.arrivalsBetweenMarks)),
      loopDelayP99MaxMs: Math.max(0, ...pages.map((p) => p.loopDelayP99MaxMs)),
      sendsDue: sum(pages.map((p) => p.sendsDue)),
      sendsUnanswered: sum(pages.map((p) => p.sendsUnanswered)),
      sendLagP99Ms: Math.max(0, ...pages.map((p) => p.sendLagP99Ms)),
      decodeErrors: sum(pages.map((p) => p.decodeErrors)),
      serverErrors: sum(pages.map((p) => p.serverErrors)),
      sendFailures: sum(pages.map((p) => p.sendFailures)),
      disconnects: sum(pages.map((p) => p.disconnects)),
      problems: distinct([extraProblems, ...pages.map((p) => p.problems)], MAX_PROBLEMS),
    },
    reconnects: pages.flatMap((p) => p.reconnects),
    resume: mergeEncoded(pages.map((p) => p.resume)),
    notResumed: sum(pages.map((p) => p.notResumed)),
  };
}

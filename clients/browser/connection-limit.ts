/**
 * The connections-per-origin finding. Chromium opens at most 6 HTTP/1.1 connections per host:port,
 * browser-wide, and an EventSource or a held long poll keeps its connection for as long as it lives:
 * a 7th stream to the same origin does not fail, it silently waits for one of the 6 to close. That is
 * why the lab spreads browser SSE and long-poll clients over several ports of one server
 * (`extraPorts`), and this measurement shows it in a fresh Chromium, next to the remedy.
 *
 * Only EventSources are used: a long poll would be answered and re-sent, which blurs when it held a
 * connection; an event stream never ends on its own.
 */
import type { ConnectionLimitFinding } from '../../metrics/result-types.ts';
import { PATHS } from '../../scenarios/constants.ts';
import { launchChromium } from './chromium.ts';
import { startDriverPage } from './driver-page.ts';
import { buildPageBundle } from './page-bundle.ts';
import type { LimitTarget, OpenSummary } from './page/connection-limit.ts';

export interface ConnectionLimitOptions {
  /** Origins (http://127.0.0.1:port) of one running pushbench sse server; two or more for the spread part. */
  baseUrls: readonly string[];
  token: string | null;
  /** Streams opened to the first origin at once. */
  streams?: number;
  /** How long each step waits for streams to open, ms. */
  waitMs?: number;
}

const DEFAULT_STREAMS = 7;
const DEFAULT_WAIT_MS = 1500;
const PER_ORIGIN_LIMIT = 6;
const MAX_STREAMS = 60;
/** Launching Chromium, loading a blank page and its bundle, on a busy 2-core machine, on top of the three waits. */
const SETUP_ALLOWANCE_MS = 10_000;

function checkOptions(options: ConnectionLimitOptions): { origins: string[]; streams: number; waitMs: number } {
  const streams = options.streams ?? DEFAULT_STREAMS;
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  if (!Number.isInteger(streams) || streams < 2 || streams > MAX_STREAMS) {
    throw new Error(`measureConnectionLimit: streams must be an integer from 2 to ${MAX_STREAMS} (one to close, one to wait), got ${streams}`);
  }
  if (!Number.isFinite(waitMs) || waitMs < 0 || waitMs > 60_000) {
    throw new Error(`measureConnectionLimit: waitMs must be from 0 to 60000 ms, got ${waitMs}`);
  }
  if (options.baseUrls.length === 0) throw new Error('measureConnectionLimit: baseUrls is empty; pass the origins of a running pushbench sse server');
  const origins = options.baseUrls.map((baseUrl) => {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new Error(`measureConnectionLimit: ${JSON.stringify(baseUrl)} is not a URL; pass origins such as http://127.0.0.1:8080`);
    }
    if (url.protocol !== 'http:') throw new Error(`measureConnectionLimit: ${baseUrl} is not an http:// origin (the limit measured is HTTP/1.1's)`);
    return url.origin;
  });
  if (new Set(origins).size !== origins.length) {
    throw new Error(`measureConnectionLimit: baseUrls name the same origin twice (${origins.join(', ')}); the spread needs distinct ports`);
  }
  return { origins, streams, waitMs };
}

/** A stream to open; its label names it in messages without its token. */
function streamTarget(origin: string, id: string, token: string | null): LimitTarget {
  let query = `topic=ticks&client=${id}`;
  if (token !== null) query += `&token=${encodeURIComponent(token)}`;
  return { url: `${origin}${PATHS.sse}?${query}`, label: `${id} (${origin})` };
}

function refused(step: string, summary: OpenSummary): Error {
  return new Error(
    `measureConnectionLimit: the server refused ${summary.failed.length} stream(s) while ${step}: ${summary.failed.join(', ')}; ` +
      'check that the baseUrls are a pushbench sse server and that the token is its token',
  );
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

export async function measureConnectionLimit(options: ConnectionLimitOptions): Promise<ConnectionLimitFinding> {
  const { origins, streams, waitMs } = checkOptions(options);
  const first = origins[0]!;
  const limitMs = SETUP_ALLOWANCE_MS + 3 * waitMs;

  // Whatever happens (an error, the time bound), everything opened here is closed before returning;
  // a resource that arrives after the bound struck closes itself.
  const closers: (() => Promise<void>)[] = [];
  let released = false;
  const hold = async (close: () => Promise<void>): Promise<void> => {
    if (released) {
      await close().catch(() => undefined);
      throw new Error('measureConnectionLimit: gave up (time bound reached)');
    }
    closers.unshift(close);
  };

  const measure = async (): Promise<ConnectionLimitFinding> => {
    const driver = await startDriverPage();
    await hold(() => driver.close());
    const chromium = await launchChromium();
    await hold(() => chromium.close());
    const browser = chromium.browser;
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push((err as Error).message));
    // Served from its own port, so the page's own connection never counts toward the streams' origin.
    await page.goto(driver.url);
    await page.addScriptTag({ content: await buildPageBundle('connection-limit') });

    const atOnce = Array.from({ length: streams }, (_, i) => streamTarget(first, `limit-${i + 1}`, options.token));
    const initial = (await page.evaluate(`window.pushbenchLimit.open(${JSON.stringify(atOnce)}, ${waitMs})`)) as OpenSummary;
    if (initial.failed.length > 0) throw refused(`opening ${streams} streams to ${first}`, initial);
    if (initial.opened === 0) {
      throw new Error(`measureConnectionLimit: no stream to ${first} opened within ${waitMs} ms; is a pushbench sse server listening there?`);
    }
    const waitingOpenedAfterCloseMs = (await page.evaluate(`window.pushbenchLimit.closeFirst(${waitMs})`)) as number | null;
    const openMs = (await page.evaluate('window.pushbenchLimit.openMs()')) as (number | null)[];
    await page.evaluate('window.pushbenchLimit.closeAll()');

    let spread: ConnectionLimitFinding['spread'] = null;
    if (origins.length > 1) {
      const spreadStreams = Math.min(streams, PER_ORIGIN_LIMIT * origins.length);
      const spreadTargets = Array.from({ length: spreadStreams }, (_, i) => streamTarget(origins[i % origins.length]!, `spread-${i + 1}`, options.token));
      const spreadSummary = (await page.evaluate(`window.pushbenchLimit.open(${JSON.stringify(spreadTargets)}, ${waitMs})`)) as OpenSummary;
      if (spreadSummary.failed.length > 0) throw refused(`spreading ${spreadStreams} streams over ${origins.length} origins`, spreadSummary);
      await page.evaluate('window.pushbenchLimit.closeAll()');
      spread = { streams: spreadStreams, origins: Math.min(origins.length, spreadStreams), opened: spreadSummary.opened };
    }
    if (pageErrors.length > 0) throw new Error(`measureConnectionLimit: the page threw: ${pageErrors.join('; ')}`);

    return {
      kind: 'connections-per-origin',
      transport: 'sse',
      browserVersion: await browser.version(),
      attempted: streams,
      openedAtOnce: initial.opened,
      waitMs,
      waitingOpenedAfterCloseMs: waitingOpenedAfterCloseMs === null ? null : round(waitingOpenedAfterCloseMs),
      openMs: openMs.map((ms) => (ms === null ? null : round(ms))),
      spread,
    };
  };

  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`measureConnectionLimit: did not finish within ${limitMs} ms (Chromium launch, page load and three waits of ${waitMs} ms); is the machine overloaded?`)),
      limitMs,
    );
  });
  const work = measure();
  // Once the bound has struck, closing the browser makes the measurement fail too: nobody listens.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
    released = true;
    for (const close of closers) await close().catch(() => undefined);
  }
}

/**
 * The page clients' reconnect policy, in real Chromium against real servers, with every attempt
 * timed inside the page: a small script injected before the page bundle wraps the page's
 * WebSocket, EventSource and fetch (the bundle itself is untouched) and logs when each one is
 * created, so the backoff steps are measured rather than inferred from counters.
 *
 * WebSocket and long-poll: 1 s, 2 s, 4 s ... after the loss while the server is down, back on the
 * next attempt once it listens again on the same port, 1 s again after a success; nothing after a
 * deliberate close (even with a retry pending) nor after a final close code (4001 on a reconnect
 * to a server whose token changed). SSE: the EventSource comes back after the server's retry:
 * and resumes with Last-Event-ID.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../clients/browser/chromium.ts';
import { startDriverPage, type DriverPageServer } from '../../clients/browser/driver-page.ts';
import { PAGE_CLIENT_SOURCE, pageLibrarySources, type PageConnectReport, type PagePlan, type PageReconnect, type PageWindowReport } from '../../clients/browser/page-client.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import { survivors } from '../support/bench-run.ts';

let chromium: LaunchedChromium | undefined;
let driver: DriverPageServer | undefined;
const libraries = pageLibrarySources();

beforeAll(async () => {
  driver = await startDriverPage();
  chromium = await launchChromium();
}, 30_000);

afterAll(async () => {
  const pid = chromium?.browser.process()?.pid;
  await chromium?.close();
  await driver?.close();
  if (pid !== undefined) expect(await survivors([pid]), 'Chromium is still running').toEqual([]);
});

/**
 * Runs before the bundle: subclasses of WebSocket and EventSource and a wrapped fetch that log each
 * creation (host-clock µs, the bundle's own clock) and keep the instances. Plain JavaScript, no backtick.
 */
const TRACE_SOURCE = String.raw`(function () {
'use strict';
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const trace = (window.__trace = { ws: [], sse: [], polls: [], sockets: [], sources: [] });
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url, protocols) {
    trace.ws.push({ url: String(url), atUs: nowUs() });
    super(url, protocols);
    trace.sockets.push(this);
  }
};
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(url, init) {
    trace.sse.push({ url: String(url), atUs: nowUs() });
    super(url, init);
    trace.sources.push(this);
  }
};
const nativeFetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const url = String(input);
  if (url.indexOf('/poll?') >= 0) trace.polls.push({ url, atUs: nowUs() });
  return nativeFetch(input, init);
};
})();`;

interface Creation {
  url: string;
  atUs: number;
}

interface Trace {
  ws: Creation[];
  sse: Creation[];
  polls: Creation[];
  /** readyState of every EventSource created, in order. */
  sourceStates: number[];
}

const readTrace = (page: Page): Promise<Trace> =>
  page.evaluate(`({ ws: __trace.ws, sse: __trace.sse, polls: __trace.polls, sourceStates: __trace.sources.map((s) => s.readyState) })`) as Promise<Trace>;

/** Connection attempts the page itself made: WebSockets, EventSources, and long-poll handshakes (wait=0; later polls are not attempts). */
function attemptsIn(trace: Trace, transport: TransportName): Creation[] {
  if (transport === 'ws') return trace.ws;
  if (transport === 'sse') return trace.sse;
  return trace.polls.filter((poll) => poll.url.includes('wait=0'));
}

function planFor(transport: TransportName, baseUrl: string, count: number, token: string | null = null): PagePlan {
  return {
    transport,
    clients: Array.from({ length: count }, (_, i) => ({ id: `b${i}`, url: baseUrl, topics: ['ticks'], rooms: [] })),
    encoding: 'json',
    token,
    reconnect: true,
    sendRatePerMember: 0,
    payloadBytes: 64,
    originUs: nowMicros(),
  };
}

async function openPage(plan: PagePlan): Promise<{ page: Page; connect: PageConnectReport; pageErrors: string[] }> {
  const page = await chromium!.browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push((err as Error).message));
  await page.goto(driver!.url);
  for (const content of [TRACE_SOURCE, ...libraries, PAGE_CLIENT_SOURCE]) await page.addScriptTag({ content });
  const connect = (await page.evaluate(`pushbench.start(${JSON.stringify(plan)})`)) as PageConnectReport;
  return { page, connect, pageErrors };
}

const collect = (page: Page): Promise<PageWindowReport> => page.evaluate('pushbench.collect()') as Promise<PageWindowReport>;
/** The reconnect events so far (no window is open: collecting changes nothing that matters here). */
const events = async (page: Page): Promise<PageReconnect[]> => (await collect(page)).reconnects;

/** Sleeps until `ms` after the host-clock instant `fromUs`. */
const sleepUntil = (fromUs: number, ms: number): Promise<void> => sleep(Math.max(0, (fromUs + ms * 1000 - nowMicros()) / 1000));

/** Waits (up to `ms`) for a condition polled every 50 ms; returns whether it held. */
async function waitFor(condition: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Waits until the server holds `count` connections (long-poll: held polls), so a close or a drop reaches every client at once. */
async function held(server: RunningServer, count: number): Promise<void> {
  expect(await waitFor(() => server.stats().connections.open === count, 2000), `the server never held ${count} connections`).toBe(true);
}

/** Each attempt's offset in ms from `lostAtUs`, for the attempts made after it. */
const offsetsAfter = (attempts: Creation[], lostAtUs: number): number[] => attempts.filter((a) => a.atUs > lostAtUs).map((a) => (a.atUs - lostAtUs) / 1000);

/** Attempts per client (WebSocket and EventSource URLs carry client=; long-poll ones do not, so they are one group). */
function byClient(attempts: Creation[]): Map<string, Creation[]> {
  const groups = new Map<string, Creation[]>();
  for (const attempt of attempts) {
    const client = new URL(attempt.url).searchParams.get('client') ?? '*';
    groups.set(client, [...(groups.get(client) ?? []), attempt]);
  }
  return groups;
}

/** Logged so the timings observed on this machine are visible in the run. */
const observed = (label: string, value: unknown): void => console.log(`[page-reconnect] ${label}: ${JSON.stringify(value)}`);

const COUNT = 2;

describe.each(['ws', 'long-poll'] as TransportName[])('%s page clients: the seed backoff, timed in the page', (transport) => {
  it('retries at 1 s and 3 s while the server is down, is back on the attempt at 7 s once it listens again on the same port, and waits 1 s again after that success', { timeout: 30_000 }, async () => {
    let server = await startServer({ transport, port: 0, feedRate: 0 });
    const port = server.port;
    const { page, connect, pageErrors } = await openPage(planFor(transport, server.baseUrl, COUNT));
    try {
      expect(connect).toMatchObject({ opened: COUNT, failed: 0 });
      expect(attemptsIn(await readTrace(page), transport)).toHaveLength(COUNT);
      await held(server, COUNT);

      // The server goes away entirely (WebSocket: 1001 close; long-poll: the held polls answered 503) and its port stays closed.
      const closedAt = nowMicros();
      await server.close();
      observed(`${transport} server.close() took ms`, (nowMicros() - closedAt) / 1000);
      expect(await waitFor(async () => (await events(page)).length === COUNT, 1500)).toBe(true);
      const lost = await events(page);
      const lostAtUs = Math.min(...lost.map((e) => e.lostAtUs));
      expect(Math.max(...lost.map((e) => e.lostAtUs)) - lostAtUs).toBeLessThan(200_000);

      await sleepUntil(lostAtUs, 2200);
      // One attempt, at 1 s.
      expect((await events(page)).map((e) => e.attempts)).toEqual([1, 1]);
      await sleepUntil(lostAtUs, 3600);
      // The second at 1 + 2 = 3 s.
      const down = await events(page);
      expect(down.map((e) => e.attempts)).toEqual([2, 2]);
      expect(down.map((e) => e.reopenMs)).toEqual([null, null]);

      // Back on the same port, well before the third attempt (at 1 + 2 + 4 = 7 s).
      server = await startServer({ transport, port, feedRate: 0 });
      expect(server.port).toBe(port);
      expect(nowMicros() - lostAtUs).toBeLessThan(6_000_000);
      await sleepUntil(lostAtUs, 6500);
      // Nothing reached the new server before the third attempt.
      expect(server.counters.connectionsTotal).toBe(0);
      await sleepUntil(lostAtUs, 8500);

      const back = await events(page);
      observed(`${transport} reopenMs after 1+2+4 s`, back.map((e) => e.reopenMs));
      expect(back).toHaveLength(COUNT);
      expect(back.map((e) => e.attempts)).toEqual([3, 3]);
      for (const event of back) {
        expect(event.reopenMs).not.toBeNull();
        expect(event.reopenMs!).toBeGreaterThan(7000 - 800);
        expect(event.reopenMs!).toBeLessThan(7000 + 800);
      }
      // The page's own attempts, timed: 1 s, 3 s, 7 s after the loss, per client.
      const afterLoss = offsetsAfter(attemptsIn(await readTrace(page), transport), lostAtUs);
      observed(`${transport} attempt offsets after the loss (ms)`, afterLoss);
      expect(afterLoss).toHaveLength(3 * COUNT);
      const steps = [1000, 3000, 7000];
      for (const [i, offset] of afterLoss.sort((a, b) => a - b).entries()) {
        const step = steps[Math.floor(i / COUNT)]!;
        expect(offset).toBeGreaterThanOrEqual(step - 50);
        expect(offset).toBeLessThan(step + 300);
      }
      // The reopened server saw one successful connection per client (long-poll: the handshake, then held polls).
      if (transport === 'ws') expect(server.stats().connections).toEqual({ open: COUNT, total: COUNT });
      else expect(server.counters.connectionsTotal).toBeGreaterThanOrEqual(COUNT);

      // A success resets the backoff: after the next loss the first retry waits 1 s again (not 8 s).
      const before = attemptsIn(await readTrace(page), transport).length;
      if (transport === 'ws') expect(server.dropConnections()).toBe(COUNT);
      else {
        // Chromium silently retries a held poll whose reused keep-alive connection dies, so a drop may
        // never reach the page; a server that goes away answers the held polls 503, which it cannot hide.
        await server.close();
        server = await startServer({ transport, port, feedRate: 0 });
      }
      expect(await waitFor(async () => (await events(page)).length === 2 * COUNT, 900)).toBe(true);
      const secondLossUs = Math.min(...(await events(page)).slice(COUNT).map((e) => e.lostAtUs));
      await sleepUntil(secondLossUs, 2500);
      const again = (await events(page)).slice(COUNT);
      observed(`${transport} reopenMs after a reset`, again.map((e) => e.reopenMs));
      expect(again).toHaveLength(COUNT);
      for (const event of again) {
        expect(event.attempts).toBe(1);
        expect(event.reopenMs).not.toBeNull();
        expect(event.reopenMs!).toBeGreaterThan(900);
        expect(event.reopenMs!).toBeLessThan(1800);
      }
      const afterReset = offsetsAfter(attemptsIn(await readTrace(page), transport).slice(before), secondLossUs);
      observed(`${transport} attempt offsets after the reset (ms)`, afterReset);
      expect(afterReset).toHaveLength(COUNT);
      for (const offset of afterReset) {
        expect(offset).toBeGreaterThanOrEqual(950);
        expect(offset).toBeLessThan(1300);
      }
      await page.evaluate('pushbench.close()');
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });
});

describe('nothing reconnects after a deliberate close', () => {
  it.each(['ws', 'sse', 'long-poll'] as TransportName[])('%s: after pushbench.close() the server sees no new connection', { timeout: 15_000 }, async (transport) => {
    const server = await startServer({ transport, port: 0, feedRate: 0 });
    const { page, connect, pageErrors } = await openPage(planFor(transport, server.baseUrl, 3));
    try {
      expect(connect.opened).toBe(3);
      await held(server, 3);
      const created = attemptsIn(await readTrace(page), transport).length;
      await page.evaluate('pushbench.close()');
      expect(await waitFor(() => server.stats().connections.open === 0, 1000)).toBe(true);
      const total = server.counters.connectionsTotal;
      const sockets = server.counters.sockets.openCount;
      await sleep(1500);
      // Past the first backoff step (1 s) and the EventSource's retry: (1 s): nothing came back.
      expect(server.counters.connectionsTotal).toBe(total);
      expect(server.stats().connections.open).toBe(0);
      expect(server.counters.sockets.openCount).toBeLessThanOrEqual(sockets);
      const trace = await readTrace(page);
      expect(attemptsIn(trace, transport)).toHaveLength(created);
      if (transport === 'sse') expect(trace.sourceStates).toEqual([2, 2, 2]); // EventSource.CLOSED: it will not retry by itself either
      const report = await collect(page);
      expect(report.disconnects).toBe(0);
      expect(report.reconnects).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });

  it.each(['ws', 'long-poll'] as TransportName[])('%s: pushbench.close() while a retry is pending cancels it, even once the server is back', { timeout: 15_000 }, async (transport) => {
    let server = await startServer({ transport, port: 0, feedRate: 0 });
    const port = server.port;
    const { page, connect } = await openPage(planFor(transport, server.baseUrl, COUNT));
    try {
      expect(connect.opened).toBe(COUNT);
      await held(server, COUNT);
      await server.close();
      expect(await waitFor(async () => (await events(page)).length === COUNT, 1500)).toBe(true);
      const lostAtUs = Math.min(...(await events(page)).map((e) => e.lostAtUs));
      // The attempt at 1 s failed; the next one is due at 3 s.
      await sleepUntil(lostAtUs, 1400);
      expect((await events(page)).map((e) => e.attempts)).toEqual([1, 1]);
      await page.evaluate('pushbench.close()');
      server = await startServer({ transport, port, feedRate: 0 });
      await sleepUntil(lostAtUs, 3800);
      expect(server.counters.connectionsTotal).toBe(0);
      expect(server.counters.sockets.openCount).toBe(0);
      expect(offsetsAfter(attemptsIn(await readTrace(page), transport), lostAtUs)).toHaveLength(COUNT);
      expect((await events(page)).map((e) => e.attempts)).toEqual([1, 1]);
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });
});

describe('ws: nothing reconnects after a final close code', () => {
  // The protocol sends a final code only while a connection is being opened (4001 bad token, 4400 bad
  // connect request, both right after the upgrade; 4002 and 4003 are reserved, never sent): nothing
  // closes a connection already open with one. The realistic way to meet one is a reconnect: the
  // server restarts with another token, and the client's next attempt is refused with 4001.
  let rotatedReport: PageWindowReport | undefined;
  let wrongTokenRun: { connect: PageConnectReport; report: PageWindowReport } | undefined;

  it('a reconnect refused with 4001 (the server came back with a new token) is the last attempt', { timeout: 20_000 }, async () => {
    let server = await startServer({ transport: 'ws', port: 0, feedRate: 0, token: 'secret' });
    const port = server.port;
    const { page, connect } = await openPage(planFor('ws', server.baseUrl, COUNT, 'secret'));
    try {
      expect(connect).toMatchObject({ opened: COUNT, failed: 0 });
      await held(server, COUNT);
      await server.close();
      server = await startServer({ transport: 'ws', port, feedRate: 0, token: 'rotated' });
      expect(await waitFor(async () => (await events(page)).length >= COUNT, 1500)).toBe(true);
      const lostAtUs = Math.min(...(await events(page)).map((e) => e.lostAtUs));
      // The new server listens before the first retry (1 s after the loss), which it refuses.
      expect(nowMicros() - lostAtUs).toBeLessThan(900_000);
      expect(await waitFor(() => (server.counters.errors.UNAUTHORIZED ?? 0) === COUNT, 2500)).toBe(true);
      const refusedAtUs = nowMicros();
      // Were it retried, the next attempt would come 1 s later (the refused upgrade fires open, which resets the backoff) or 2 s later.
      await sleepUntil(refusedAtUs, 3500);
      expect(server.counters.errors.UNAUTHORIZED).toBe(COUNT);
      expect(server.counters.connectionsTotal).toBe(0);
      const trace = await readTrace(page);
      const attempts = offsetsAfter(attemptsIn(trace, 'ws'), lostAtUs);
      observed('ws attempts after the loss, refused with 4001 (ms)', attempts);
      expect(attempts).toHaveLength(COUNT);
      for (const offset of attempts) {
        expect(offset).toBeGreaterThanOrEqual(950);
        expect(offset).toBeLessThan(1300);
      }
      // Per client: the first connect and the refused reconnect, nothing since.
      for (const [, perClient] of byClient(attemptsIn(trace, 'ws'))) expect(perClient).toHaveLength(2);
      const report = await collect(page);
      observed('ws reconnect events around a 4001', report.reconnects);
      expect(report.reconnects.every((e) => e.attempts <= 1)).toBe(true);
      rotatedReport = report;
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });

  // The server accepts the upgrade before refusing it with 4001 (docs/PROTOCOL.md §7), so Chromium fires
  // open first: a page counts a WebSocket as open only once welcomed, or this refusal would pass for a reopen.
  it('the refused reconnect is reported as one event per client that never reopened', () => {
    expect(rotatedReport).toBeDefined();
    expect(rotatedReport!.reconnects).toHaveLength(COUNT);
    for (const event of rotatedReport!.reconnects) {
      expect({ reason: event.reason, attempts: event.attempts, reopenMs: event.reopenMs }).toEqual({ reason: 'closed with code 1001 (SHUTTING_DOWN)', attempts: 1, reopenMs: null });
    }
  });

  it('a client started with a wrong token is refused with 4001 and never retried', { timeout: 15_000 }, async () => {
    const server = await startServer({ transport: 'ws', port: 0, feedRate: 0, token: 'secret' });
    const { page, connect } = await openPage(planFor('ws', server.baseUrl, COUNT, 'wrong'));
    try {
      await sleep(1500);
      // Past the first backoff step: one attempt per client, both refused.
      expect(attemptsIn(await readTrace(page), 'ws')).toHaveLength(COUNT);
      expect(server.counters.errors.UNAUTHORIZED).toBe(COUNT);
      expect(server.counters.connectionsTotal).toBe(0);
      const report = await collect(page);
      observed('ws wrong token: connect report, reconnect events', { connect: { opened: connect.opened, failed: connect.failed, failures: connect.failures }, reconnects: report.reconnects });
      wrongTokenRun = { connect, report };
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });

  // Likewise a first attempt refused with 4001 is a failed connect, not an opened connection then lost.
  it('the wrong-token clients are failed first attempts, not opened connections with a reconnect event', () => {
    expect(wrongTokenRun).toBeDefined();
    expect(wrongTokenRun!.connect).toMatchObject({ opened: 0, failed: COUNT });
    expect(wrongTokenRun!.report.reconnects).toEqual([]);
    expect(wrongTokenRun!.report.disconnects).toBe(0);
  });
});

describe('sse: the EventSource reconnects by itself', () => {
  it('after a drop it is back after the server retry: (300 ms here, not the 1000 ms default) and resumes with Last-Event-ID: nothing missed at 50 msg/s', { timeout: 15_000 }, async () => {
    const server = await startServer({ transport: 'sse', port: 0, feedRate: 50, sseRetryMs: 300 });
    const count = 3;
    const { page, connect, pageErrors } = await openPage(planFor('sse', server.baseUrl, count));
    try {
      expect(connect.opened).toBe(count);
      await sleep(500);
      expect(server.dropConnections()).toBeGreaterThanOrEqual(count);
      await sleep(1500);
      const report = await collect(page);
      observed('sse reconnect events (retry: 300)', report.reconnects.map((e) => ({ reopenMs: e.reopenMs, recovered: e.recovered, missed: e.missed })));
      expect(report.reconnects).toHaveLength(count);
      for (const event of report.reconnects) {
        expect(event.attempts).toBe(0); // the EventSource retried, not the page
        expect(event.reopenMs).not.toBeNull();
        expect(event.reopenMs!).toBeGreaterThanOrEqual(300);
        expect(event.reopenMs!).toBeLessThan(900);
        expect(event.settled).toBe(true);
        expect(event.missed).toBe(0);
        expect(event.recovered).toBeGreaterThan(0);
        expect(event.duplicates).toBe(0);
      }
      // The same EventSources, reconnected by the browser: the page made no new one.
      const trace = await readTrace(page);
      expect(trace.sse).toHaveLength(count);
      expect(trace.sourceStates).toEqual([1, 1, 1]); // EventSource.OPEN
      expect(server.stats().connections).toEqual({ open: count, total: 2 * count });
      await page.evaluate('pushbench.close()');
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });
});

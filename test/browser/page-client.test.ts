/**
 * The page bundle in a real Chromium against real servers: a blank page served from another port
 * than the streams opens clients with the browser's own WebSocket, EventSource and fetch, records
 * what arrives, and reports the same figures as the Node load workers. Chromium is closed, and
 * proved gone, whatever the tests did.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../clients/browser/chromium.ts';
import { PAGE_CLIENT_SOURCE, pageLibrarySources, type PageConnectReport, type PagePlan, type PageReportBatch, type PageWindowReport } from '../../clients/browser/page-client.ts';
import { decodeHistogram } from '../../metrics/histogram.ts';
import { integrityOf } from '../../metrics/integrity.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import { isAlive } from '../support/bench-run.ts';

/** WebSocket has no per-origin limit; SSE and long-poll stay under Chromium's 6 connections per host:port. */
const CLIENTS: Record<TransportName, number> = { ws: 20, sse: 5, 'long-poll': 5 };
const TRANSPORTS: TransportName[] = ['ws', 'sse', 'long-poll'];

let chromium: LaunchedChromium | undefined;
let driver: Server | undefined;
let driverUrl = '';
const libraries = pageLibrarySources();

beforeAll(async () => {
  driver = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>pushbench driver</title>'));
  await new Promise<void>((resolve) => driver!.listen(0, '127.0.0.1', resolve));
  driverUrl = `http://127.0.0.1:${(driver.address() as AddressInfo).port}/`;
  chromium = await launchChromium();
}, 30_000);

afterAll(async () => {
  const pid = chromium?.browser.process()?.pid;
  await chromium?.close();
  await new Promise((resolve) => driver?.close(resolve));
  if (pid !== undefined) expect(isAlive(pid), 'Chromium is still running').toBe(false);
});

interface DriverPage {
  page: Page;
  batches: PageReportBatch[];
  pageErrors: string[];
}

async function openPage(): Promise<DriverPage> {
  const page = await chromium!.browser.newPage();
  const batches: PageReportBatch[] = [];
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push((err as Error).message));
  await page.exposeFunction('pushbenchReport', (batch: PageReportBatch) => void batches.push(batch));
  await page.goto(driverUrl);
  for (const content of [...libraries, PAGE_CLIENT_SOURCE]) await page.addScriptTag({ content });
  return { page, batches, pageErrors };
}

function planFor(server: RunningServer, count: number, channels: { topics: string[]; rooms: string[] }, sendRatePerMember = 0): PagePlan {
  return {
    transport: server.transport,
    clients: Array.from({ length: count }, (_, i) => ({ id: `b${i}`, url: server.baseUrl, ...channels })),
    encoding: 'json',
    token: null,
    reconnect: true,
    sendRatePerMember,
    payloadBytes: 64,
    originUs: nowMicros(),
  };
}

const start = (page: Page, plan: PagePlan): Promise<PageConnectReport> => page.evaluate(`pushbench.start(${JSON.stringify(plan)})`) as Promise<PageConnectReport>;
const collect = (page: Page): Promise<PageWindowReport> => page.evaluate('pushbench.collect()') as Promise<PageWindowReport>;

/** Opens a window of `ms` starting 200 ms from now, runs `during` inside it, and collects after a drain. */
async function measure(page: Page, ms: number, during: () => Promise<void> = async () => undefined): Promise<PageWindowReport> {
  const startUs = nowMicros() + 200_000;
  const endUs = startUs + ms * 1000;
  await page.evaluate(`pushbench.window(${startUs}, ${endUs})`);
  await during();
  await sleep(Math.max(0, (endUs - nowMicros()) / 1000) + 300);
  return collect(page);
}

async function withServerAndPage(transport: TransportName, body: (server: RunningServer, driverPage: DriverPage) => Promise<void>): Promise<void> {
  const server = await startServer({ transport, port: 0, feedRate: 0 });
  let driverPage: DriverPage | undefined;
  try {
    driverPage = await openPage();
    await body(server, driverPage);
    await driverPage.page.evaluate('pushbench.close()');
    expect(driverPage.pageErrors).toEqual([]);
  } finally {
    await driverPage?.page.close().catch(() => undefined);
    await server.close();
  }
}

function expectNoLoss(report: PageWindowReport, recipients: number): void {
  const integrity = integrityOf(report.tallies.map(([, tally]) => tally));
  expect(report.tallies.every(([, tally]) => tally.recipients === recipients)).toBe(true);
  expect(integrity.expected).toBeGreaterThan(0);
  expect(integrity.received).toBe(integrity.expected);
  expect(integrity.lost).toBe(0);
  expect(integrity.duplicated).toBe(0);
  expect(integrity.reordered).toBe(0);
}

describe('browser page clients', () => {
  it.each(TRANSPORTS)('%s: every client connects, receives every feed message in order, and records latency and ticks', { timeout: 30_000 }, async (transport) => {
    await withServerAndPage(transport, async (server, { page, batches }) => {
      const count = CLIENTS[transport];
      const connect = await start(page, planFor(server, count, { topics: ['ticks'], rooms: [] }));
      expect(connect).toMatchObject({ opened: count, failed: 0, failures: [] });
      expect(decodeHistogram(connect.connect).totalCount).toBe(count);

      server.publisher.configure(50, 64);
      const report = await measure(page, 1500);
      server.publisher.configure(0, 64);

      expect(report.deliveries).toBeGreaterThan(count * 60);
      expectNoLoss(report, count);
      const latency = decodeHistogram(report.latency);
      expect(latency.totalCount).toBe(report.deliveries);
      expect(latency.getValueAtPercentile(50)).toBeLessThan(100_000);
      expect(report.arrivalsBetweenMarks).toBeGreaterThan(0);
      expect({ disconnects: report.disconnects, decodeErrors: report.decodeErrors, serverErrors: report.serverErrors, problems: report.problems }).toEqual({ disconnects: 0, decodeErrors: 0, serverErrors: 0, problems: [] });
      expect(report.reconnects).toEqual([]);

      const ticks = batches.flatMap((batch) => batch.ticks);
      expect(ticks.some((tick) => tick.deliveries > 0 && tick.latency !== null && tick.connections === count)).toBe(true);
      expect(batches.flatMap((batch) => batch.errors)).toEqual([]);
    });
  });

  it.each(TRANSPORTS)('%s: chat echoes give round trips from the open-loop due time', { timeout: 30_000 }, async (transport) => {
    await withServerAndPage(transport, async (server, { page }) => {
      const count = 4;
      const connect = await start(page, planFor(server, count, { topics: [], rooms: ['lobby'] }, 10));
      expect(connect.opened).toBe(count);

      const report = await measure(page, 1500);

      expect(report.sendsDue).toBeGreaterThanOrEqual(50);
      expect(report.sendsUnanswered).toBe(0);
      expect(report.sendFailures).toBe(0);
      expect(decodeHistogram(report.rtt).totalCount).toBe(report.sendsDue);
      // Every member receives every message: its own echoes are round trips, the others' are latencies.
      expectNoLoss(report, count);
      expect(decodeHistogram(report.latency).totalCount).toBe((report.deliveries * (count - 1)) / count);
    });
  });

  it.each(TRANSPORTS)('%s: after the server drops every connection, clients reconnect and the resume brings back what they missed', { timeout: 30_000 }, async (transport) => {
    await withServerAndPage(transport, async (server, { page }) => {
      const count = CLIENTS[transport];
      const connect = await start(page, planFor(server, count, { topics: ['ticks'], rooms: [] }));
      expect(connect.opened).toBe(count);

      server.publisher.configure(50, 64);
      const report = await measure(page, 3500, async () => {
        await sleep(1000);
        // Long-poll: Chromium retries a GET whose reused keep-alive connection dies before any answer,
        // so pages may not see this drop at all (test/browser/page-reconnect.test.ts covers the page's
        // own long-poll reconnect with a server that goes away); either way nothing may be lost.
        expect(server.dropConnections()).toBeGreaterThanOrEqual(count);
        await sleep(3000);
      });
      server.publisher.configure(0, 64);

      if (transport === 'long-poll') expect(report.disconnects).toBeLessThanOrEqual(count);
      else expect(report.disconnects).toBe(count);
      expect(report.reconnects).toHaveLength(report.disconnects);
      for (const event of report.reconnects) {
        // Back after the server's retry: (SSE) or the first backoff step (WebSocket, long-poll), both 1 s.
        expect(event.reopenMs).not.toBeNull();
        expect(event.reopenMs!).toBeGreaterThanOrEqual(900);
        expect(event.reopenMs!).toBeLessThan(2500);
        expect(event.firstMessageMs).not.toBeNull();
        expect(event.settled).toBe(true);
        expect(event.missed).toBe(0);
        if (transport !== 'long-poll') expect(event.recovered).toBeGreaterThan(0);
        expect(event.duplicates).toBe(0);
        if (transport !== 'sse') expect(event.attempts).toBe(1);
      }
      // The resume filled the outage: the window has no loss at all.
      expectNoLoss(report, count);
    });
  });
});

/**
 * The seed reconnect policy as browser pages follow it, in real Chromium against real servers:
 * WebSocket and long-poll page code back off 1 s, 2 s, 4 s ... and reset after a success; nothing
 * reconnects after a deliberate close; the EventSource honours the server's retry:.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../clients/browser/chromium.ts';
import { startDriverPage, type DriverPageServer } from '../../clients/browser/driver-page.ts';
import { PAGE_CLIENT_SOURCE, pageLibrarySources, type PagePlan, type PageReconnect, type PageWindowReport } from '../../clients/browser/page-client.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import { survivors } from '../support/bench-run.ts';

let chromium: LaunchedChromium | undefined;
let driver: DriverPageServer | undefined;

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

async function openPage(server: RunningServer, count: number): Promise<Page> {
  const page = await chromium!.browser.newPage();
  await page.goto(driver!.url);
  for (const content of [...pageLibrarySources(), PAGE_CLIENT_SOURCE]) await page.addScriptTag({ content });
  const plan: PagePlan = {
    transport: server.transport,
    clients: Array.from({ length: count }, (_, i) => ({ id: `b${i}`, url: server.baseUrl, topics: ['ticks'], rooms: [] })),
    encoding: 'json',
    token: null,
    reconnect: true,
    sendRatePerMember: 0,
    payloadBytes: 64,
    originUs: nowMicros(),
  };
  const connect = (await page.evaluate(`pushbench.start(${JSON.stringify(plan)})`)) as { opened: number };
  expect(connect.opened).toBe(count);
  return page;
}

/** The reconnect events so far (no window is open, so collecting changes nothing that matters here). */
const events = async (page: Page): Promise<PageReconnect[]> => ((await page.evaluate('pushbench.collect()')) as PageWindowReport).reconnects;

describe.each(['ws', 'long-poll'] as TransportName[])('%s page clients follow the seed backoff', (transport) => {
  it('retry 1 s, then 2 s, then 4 s after the loss while the server is down, then 1 s again after a success', { timeout: 40_000 }, async () => {
    let server = await startServer({ transport, port: 0, feedRate: 0 });
    const port = server.port;
    const page = await openPage(server, 2);
    try {
      await server.close();
      const lost = Date.now();
      await sleep(lost + 2200 - Date.now());
      // One attempt, at 1 s.
      expect((await events(page)).map((e) => e.attempts)).toEqual([1, 1]);
      await sleep(lost + 3600 - Date.now());
      // The second at 1 + 2 = 3 s.
      expect((await events(page)).map((e) => e.attempts)).toEqual([2, 2]);
      await sleep(lost + 5000 - Date.now());
      expect((await events(page)).every((e) => e.reopenMs === null)).toBe(true);
      // Back on the same port: the third attempt, at 1 + 2 + 4 = 7 s, succeeds.
      server = await startServer({ transport, port: port, feedRate: 0 });
      await sleep(lost + 8500 - Date.now());
      const back = await events(page);
      expect(back.map((e) => e.attempts)).toEqual([3, 3]);
      for (const event of back) {
        expect(event.reopenMs).not.toBeNull();
        expect(event.reopenMs!).toBeGreaterThan(6500);
        expect(event.reopenMs!).toBeLessThan(8000);
      }
      // A success resets the backoff: after the next loss the first retry waits 1 s again.
      if (transport === 'long-poll') {
        // Chromium silently retries a held poll whose reused connection dies; a closed server it cannot retry.
        await server.close();
        server = await startServer({ transport, port: port, feedRate: 0 });
      } else server.dropConnections();
      await sleep(2500);
      const again = (await events(page)).slice(2);
      expect(again).toHaveLength(2);
      for (const event of again) {
        expect(event.attempts).toBe(1);
        expect(event.reopenMs!).toBeGreaterThan(800);
        expect(event.reopenMs!).toBeLessThan(1800);
      }
      await page.evaluate('pushbench.close()');
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });
});

describe('deliberate closes and the EventSource retry', () => {
  it.each(['ws', 'sse', 'long-poll'] as TransportName[])('%s: nothing reconnects after pushbench.close()', { timeout: 20_000 }, async (transport) => {
    const server = await startServer({ transport, port: 0, feedRate: 0 });
    const page = await openPage(server, 3);
    try {
      await page.evaluate('pushbench.close()');
      await sleep(300);
      const total = server.stats().connections.total;
      await sleep(1800);
      expect(server.stats().connections.total).toBe(total);
      expect(server.stats().connections.open).toBe(0);
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });

  it('sse: the EventSource comes back after the server retry: (300 ms here), resuming with Last-Event-ID', { timeout: 20_000 }, async () => {
    const server = await startServer({ transport: 'sse', port: 0, feedRate: 50, sseRetryMs: 300 });
    const page = await openPage(server, 3);
    try {
      await sleep(500);
      server.dropConnections();
      await sleep(1500);
      const report = (await page.evaluate('pushbench.collect()')) as PageWindowReport;
      expect(report.reconnects).toHaveLength(3);
      for (const event of report.reconnects) {
        expect(event.reopenMs!).toBeGreaterThan(250);
        expect(event.reopenMs!).toBeLessThan(900);
        expect(event.missed).toBe(0);
        expect(event.recovered).toBeGreaterThan(0);
        expect(event.duplicates).toBe(0);
      }
      await page.evaluate('pushbench.close()');
    } finally {
      await page.close().catch(() => undefined);
      await server.close();
    }
  });
});

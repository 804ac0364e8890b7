/**
 * The page clients stop for good when the server says retrying cannot help (docs/PROTOCOL.md §7.1,
 * §7.2, §8): a token that expires (WS 4002, SSE `event: error` TOKEN_EXPIRED, a held poll 401) and
 * a ban (WS 4003, SSE `event: error` BANNED). The EventSource would reconnect by itself after its
 * stream ends; the page closes it. Seen from the server: nothing comes back, so no new connection
 * and no refusal of one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import { launchChromium, type LaunchedChromium } from '../../clients/browser/chromium.ts';
import { startDriverPage, type DriverPageServer } from '../../clients/browser/driver-page.ts';
import { buildPageBundle } from '../../clients/browser/page-bundle.ts';
import type { PageConnectReport, PagePlan } from '../../clients/browser/page-protocol.ts';
import { waitFor } from '../../conformance/wait.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import { TRANSPORTS, type TransportName } from '../../scenarios/constants.ts';
import { mintToken } from '../../scenarios/tokens.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';

const SECRET = 'page-secret';
const COUNT = 2;
/** The backoff and the server's retry: (SSE); the quiet period that shows nothing comes back is 16 of them. */
const STEP_MS = 50;
const QUIET_MS = 16 * STEP_MS;
/** Long enough for Chromium to open the clients on a busy machine; the test waits for the expiry, not through it. */
const TOKEN_LIFETIME_MS = 1000;

let chromium: LaunchedChromium | undefined;
let driver: DriverPageServer | undefined;
let bundle = '';

beforeAll(async () => {
  [driver, chromium, bundle] = await Promise.all([startDriverPage(), launchChromium(), buildPageBundle()]);
}, 30_000);

afterAll(async () => {
  await chromium?.close();
  await driver?.close();
});

function planFor(transport: TransportName, baseUrl: string, token: string): PagePlan {
  return {
    transport,
    clients: Array.from({ length: COUNT }, (_, i) => ({ id: `b${i}`, url: baseUrl, topics: ['ticks'], rooms: [] })),
    encoding: 'json',
    token,
    reconnect: true,
    backoff: { initialDelayMs: STEP_MS, maxDelayMs: 4 * STEP_MS },
    sendRatePerMember: 0,
    payloadBytes: 64,
    originUs: nowMicros(),
  };
}

/** `plan` is made once the page is loaded, so a token's lifetime starts when the clients connect. */
async function openPage(plan: () => PagePlan): Promise<{ page: Page; connect: PageConnectReport }> {
  const page = await chromium!.browser.newPage();
  await page.goto(driver!.url);
  await page.addScriptTag({ content: bundle });
  const connect = (await page.evaluate(`pushbench.start(${JSON.stringify(plan())})`)) as PageConnectReport;
  return { page, connect };
}

async function withServer(transport: TransportName, body: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await startServer({ transport, port: 0, feedRate: 0, token: SECRET, sseRetryMs: STEP_MS, pollTimeoutMs: 60_000, heartbeatMs: 60_000 });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe('page clients after a final error', () => {
  it.each(TRANSPORTS)('%s: a token that expires ends every client, and none comes back', { timeout: 30_000 }, async (transport) => {
    await withServer(transport, async (server) => {
      const { page, connect } = await openPage(() => planFor(transport, server.baseUrl, mintToken(SECRET, Date.now() + TOKEN_LIFETIME_MS)));
      try {
        expect(connect).toMatchObject({ opened: COUNT, failed: 0 });
        await waitFor(() => server.stats().connections.open === COUNT, 'every client held by the server', 10_000);
        await waitFor(() => server.stats().disconnects.tokenExpired === COUNT, 'the expiry to end every client', TOKEN_LIFETIME_MS + 10_000);
        const total = server.stats().connections.total;
        await sleep(QUIET_MS);
        const stats = server.stats();
        // A reconnect would be a new connection, or (with the expired token) a TOKEN_EXPIRED refusal.
        expect({ total: stats.connections.total, refused: stats.errors.TOKEN_EXPIRED ?? 0, open: stats.connections.open }).toEqual({ total, refused: 0, open: 0 });
      } finally {
        await page.close().catch(() => undefined);
      }
    });
  });

  it.each(['ws', 'sse'] as const)('%s: a ban ends the banned client, which does not come back; the other stays', { timeout: 30_000 }, async (transport) => {
    await withServer(transport, async (server) => {
      const { page, connect } = await openPage(() => planFor(transport, server.baseUrl, SECRET));
      try {
        expect(connect).toMatchObject({ opened: COUNT, failed: 0 });
        await waitFor(() => server.stats().connections.open === COUNT, 'every client held by the server', 10_000);
        expect(await new ServerApi(server.baseUrl, SECRET, server.controlToken).ban('b0')).toBe(1);
        const total = server.stats().connections.total;
        await sleep(QUIET_MS);
        const stats = server.stats();
        expect({ total: stats.connections.total, refused: stats.errors.BANNED ?? 0, open: stats.connections.open }).toEqual({ total, refused: 0, open: COUNT - 1 });
      } finally {
        await page.close().catch(() => undefined);
      }
    });
  });
});

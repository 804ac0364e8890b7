/**
 * 4002 token expired (docs/PROTOCOL.md §7.1): a token minted from the server token with an expiry is
 * refused once expired (WS close 4002, HTTP 401 TOKEN_EXPIRED), and ends an open connection at its
 * expiry (WS 4002, SSE `event: error` TOKEN_EXPIRED then the end, a held poll 401). The client does
 * not come back by itself; given a fresh token, it connects again.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClientError, type CloseInfo } from '../../../clients/client.ts';
import { holdsSteady } from '../../../conformance/wait.ts';
import { TRANSPORTS } from '../../../scenarios/constants.ts';
import { mintToken, verifyToken } from '../../../scenarios/tokens.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { Cleanup, makeClient, startTestServer, waitFor } from '../../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SECRET = 'expiry-secret';
const LIFETIME_MS = 150;
const RECONNECT_MS = 10;

const serverFor = async (transport: (typeof TRANSPORTS)[number]): Promise<RunningServer> =>
  // A poll held far longer than the token lives: a 401 before then is the expiry's.
  cleanup.add(await startTestServer(transport, { token: SECRET, pollTimeoutMs: 10_000, sseRetryMs: RECONNECT_MS }));

describe('an expired token at connect', () => {
  it.each(TRANSPORTS)('%s: refused with TOKEN_EXPIRED, final; a forged or tampered one is UNAUTHORIZED', async (transport) => {
    const server = await serverFor(transport);
    const refusal = async (token: string): Promise<unknown> => {
      const c = makeClient(server, 'json', { topics: ['ticks'], token });
      cleanup.add(c.client);
      return c.client.connect().then(() => 'connected', (err: unknown) => (err instanceof ClientError ? { code: err.code, fatal: err.fatal, status: err.status } : String(err)));
    };
    const expired = mintToken(SECRET, Date.now() - 1);
    const httpStatus = transport === 'ws' ? undefined : 401;
    expect(await refusal(expired)).toEqual({ code: 'TOKEN_EXPIRED', fatal: true, status: httpStatus });
    expect(await refusal(mintToken('another-secret', Date.now() + 60_000))).toEqual({ code: 'UNAUTHORIZED', fatal: true, status: httpStatus });
    expect(await refusal(expired.replace(/\.(\d+)\./, (_m, ms: string) => `.${Number(ms) + 120_000}.`))).toEqual({ code: 'UNAUTHORIZED', fatal: true, status: httpStatus });
    expect(await refusal(mintToken(SECRET, Date.now() + 60_000))).toBe('connected');
    expect(server.stats().errors).toMatchObject({ TOKEN_EXPIRED: 1, UNAUTHORIZED: 2 });
    expect(server.stats().connections.open).toBe(transport === 'long-poll' ? 0 : 1);
  });

  it('ws: the upgrade is accepted, then closed 4002 TOKEN_EXPIRED with nothing before it', async () => {
    const server = await serverFor('ws');
    const token = mintToken(SECRET, Date.now() - 1);
    const closed = await new Promise<{ code: number; reason: string; messages: number }>((resolve, reject) => {
      const ws = new WebSocket(`${server.connectUrl}?topic=ticks&token=${token}`, { perMessageDeflate: false });
      let messages = 0;
      ws.on('message', () => messages++);
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), messages }));
      ws.on('error', reject);
    });
    expect(closed).toEqual({ code: 4002, reason: 'TOKEN_EXPIRED', messages: 0 });
  });
});

describe('a token that expires during the session', () => {
  it.each(TRANSPORTS)('%s: the connection ends at the expiry with TOKEN_EXPIRED and is not retried; a fresh token connects again', async (transport) => {
    const server = await serverFor(transport);
    const expiresAtMs = Date.now() + LIFETIME_MS;
    const c = makeClient(server, 'json', { topics: ['ticks'], token: mintToken(SECRET, expiresAtMs), reconnect: { initialDelayMs: RECONNECT_MS } });
    cleanup.add(c.client);
    const closes: (CloseInfo & { atMs: number })[] = [];
    c.client.on('close', (info) => closes.push({ ...info, atMs: Date.now() }));
    await c.client.connect();
    server.hub.publish('ticks', Buffer.from('before'));
    await waitFor(() => c.messages.length === 1, 'a message while the token is valid');

    await waitFor(() => closes.length === 1, 'the connection to end at the expiry', 5000);
    expect(closes[0]).toMatchObject({ code: 'TOKEN_EXPIRED', willReconnect: false });
    // Not before the expiry (a timer may round a millisecond), and long before the poll's hold or any heartbeat.
    expect(closes[0]!.atMs).toBeGreaterThanOrEqual(expiresAtMs - 2);
    if (transport === 'sse') expect(c.controls.at(-1)).toMatchObject({ type: 'error', code: 'TOKEN_EXPIRED' });
    expect(server.stats().disconnects.tokenExpired).toBe(1);
    expect(server.stats().connections.open).toBe(0);
    // Ten reconnect delays without an attempt.
    await holdsSteady(() => server.stats().connections.total, 'connections.total', 10 * RECONNECT_MS);

    c.client.setToken(mintToken(SECRET, Date.now() + 60_000));
    await c.client.connect();
    server.hub.publish('ticks', Buffer.from('after'));
    await waitFor(() => c.messages.length === 2, 'a message with the fresh token');
    expect(c.messages.map((m) => m.payload)).toEqual(['before', 'after']);
  });
});

describe('npm run serve -- --mint-token', () => {
  it('prints a token of the server token (from --token or PUSHBENCH_TOKEN) that expires after the lifetime asked for', { timeout: 20_000 }, async () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', ...args], { env: { ...process.env, ...env } });
    const before = Date.now();
    const { stdout } = await run(['--mint-token', '90s'], { PUSHBENCH_TOKEN: SECRET });
    const token = stdout.trim();
    const check = verifyToken(SECRET, token);
    expect(check.ok).toBe(true);
    expect(check.expiresAtMs).toBeGreaterThanOrEqual(before + 90_000);
    expect(check.expiresAtMs).toBeLessThanOrEqual(Date.now() + 90_000);
    await expect(run(['--mint-token', '90s'], { PUSHBENCH_TOKEN: '' })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--mint-token signs with the server's token/) });
    await expect(run(['--mint-token', 'soon', '--token', SECRET])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--mint-token takes a lifetime/) });
  });
});

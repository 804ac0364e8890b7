/**
 * 4003 banned (docs/PROTOCOL.md §7.2): a client id banned by --ban or POST /ban is refused at connect
 * (WS close 4003, HTTP 403 BANNED) and on POST /messages; a ban closes its open connections (WS 4003,
 * SSE `event: error` BANNED then the end), its clients do not come back, and /unban lifts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ServerApi } from '../../../bench/server-api.ts';
import { ClientError, type CloseInfo } from '../../../clients/client.ts';
import { TRANSPORTS } from '../../../scenarios/constants.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { Cleanup, makeClient, startTestServer, waitFor } from '../../support/harness.ts';
import { holdsSteady } from '../../../conformance/wait.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const RECONNECT_MS = 10;

async function post(server: RunningServer, client: string): Promise<{ status: number; code: unknown }> {
  const response = await fetch(`${server.baseUrl}/messages?client=${client}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"send","room":"lobby","mid":1,"payload":"x"}' });
  const text = await response.text();
  return { status: response.status, code: text === '' ? undefined : (JSON.parse(text) as { code?: unknown }).code };
}

/** The refusal a connect of this client id gets. */
async function refusal(server: RunningServer, clientId: string): Promise<unknown> {
  const c = makeClient(server, 'json', { clientId, rooms: ['lobby'] });
  cleanup.add(c.client);
  return c.client.connect().then(() => 'connected', (err: unknown) => (err instanceof ClientError ? { code: err.code, fatal: err.fatal, status: err.status } : String(err)));
}

function rawWsClose(server: RunningServer, query: string): Promise<{ code: number; reason: string; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.connectUrl}?${query}`, { perMessageDeflate: false });
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(data.toString()));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), messages }));
    ws.on('error', reject);
  });
}

describe('--ban: refused at connect', () => {
  it('ws: the upgrade is accepted, then closed 4003 BANNED with nothing before it', async () => {
    const server = cleanup.add(await startTestServer('ws', { ban: ['mallory'] }));
    expect(await rawWsClose(server, 'client=mallory&topic=ticks')).toEqual({ code: 4003, reason: 'BANNED', messages: [] });
    expect(await refusal(server, 'mallory')).toEqual({ code: 'BANNED', fatal: true, status: undefined });
    expect(server.stats().rooms, 'a refused connect creates no room').toBe(0);
    expect(await refusal(server, 'alice')).toBe('connected');
    expect(server.stats().errors.BANNED).toBe(2);
  });

  it('sse: 403 BANNED before the stream starts; its POSTs too', async () => {
    const server = cleanup.add(await startTestServer('sse', { ban: ['mallory'] }));
    expect(await refusal(server, 'mallory')).toEqual({ code: 'BANNED', fatal: true, status: 403 });
    expect(server.stats().rooms, 'a refused connect creates no room').toBe(0);
    expect(await post(server, 'mallory')).toEqual({ status: 403, code: 'BANNED' });
    expect(await refusal(server, 'alice')).toBe('connected');
    expect(server.stats().connections.total).toBe(1);
  });

  it('long-poll: its POSTs are 403 BANNED (a poll carries no client id)', async () => {
    const server = cleanup.add(await startTestServer('long-poll', { ban: ['mallory'] }));
    expect(await post(server, 'mallory')).toEqual({ status: 403, code: 'BANNED' });
    expect(await post(server, 'alice')).toEqual({ status: 204, code: undefined });
    expect(server.hub.latestSeq('lobby')).toBe(1);
  });
});

describe('POST /ban and /unban', () => {
  it.each(TRANSPORTS)('%s: a ban closes the id\'s open connections for good, counts them, refuses it since; /unban lifts it', async (transport) => {
    const server = cleanup.add(await startTestServer(transport, { sseRetryMs: RECONNECT_MS }));
    const api = new ServerApi(server.baseUrl, null, server.controlToken);
    const open = (clientId: string) => {
      const c = makeClient(server, 'json', { clientId, rooms: ['lobby'], reconnect: { initialDelayMs: RECONNECT_MS } });
      const closes: CloseInfo[] = [];
      c.client.on('close', (info) => closes.push(info));
      cleanup.add(c.client);
      return { ...c, closes };
    };
    const victims = transport === 'long-poll' ? [] : [open('victim'), open('victim')];
    const bystander = open('bystander');
    await Promise.all([...victims, bystander].map((c) => c.client.connect()));

    expect(await api.ban('victim')).toBe(victims.length);
    await waitFor(() => victims.every((v) => v.closes.length === 1), 'the banned connections to close');
    for (const v of victims) {
      expect(v.closes[0]).toMatchObject({ code: 'BANNED', willReconnect: false });
      if (transport === 'sse') expect(v.controls.at(-1)).toMatchObject({ type: 'error', code: 'BANNED' });
    }
    const before = server.stats();
    expect(before.disconnects.banned).toBe(victims.length);
    expect(before.connections.open).toBe(1);
    // Ten reconnect delays: none of them comes back.
    await holdsSteady(() => server.stats().connections.total, 'connections.total', 10 * RECONNECT_MS);
    // The ban is checked before the stream key: a banned SSE id learns it is banned.
    if (transport !== 'ws') expect(await post(server, 'victim')).toEqual({ status: 403, code: 'BANNED' });
    if (transport !== 'long-poll') expect(await refusal(server, 'victim')).toMatchObject({ code: 'BANNED', fatal: true });
    // The others go on.
    await bystander.client.send({ type: 'send', room: 'lobby', mid: 1, payload: 'still here' });
    await waitFor(() => bystander.messages.length === 1, 'the bystander to receive');
    expect(bystander.closes).toEqual([]);

    expect(await api.ban('victim', false)).toBe(0);
    if (transport === 'long-poll') expect((await post(server, 'victim')).status).toBe(204);
    else expect(await refusal(server, 'victim')).toBe('connected');
  });

  it('refuses bodies that name no client id', async () => {
    const server = cleanup.add(await startTestServer('ws'));
    const ban = async (body: string, contentType = 'application/json') => {
      const response = await fetch(`${server.baseUrl}/ban?token=${server.controlToken}`, { method: 'POST', headers: { 'content-type': contentType }, body });
      return [response.status, ((await response.json()) as { code?: unknown }).code];
    };
    expect(await ban('{}')).toEqual([400, 'BAD_FIELD']);
    expect(await ban('{"client":"has space"}')).toEqual([400, 'INVALID_NAME']);
    expect(await ban('[1]')).toEqual([400, 'BAD_JSON']);
    expect(await ban('{"client":"x"}', 'text/plain')).toEqual([400, 'BAD_JSON']);
    expect(await ban(`{"client":"${'x'.repeat(2000)}"}`)).toEqual([413, 'MESSAGE_TOO_LARGE']);
    expect(await refusal(server, 'x')).toBe('connected');
  });
});

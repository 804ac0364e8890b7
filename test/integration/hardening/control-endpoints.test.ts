/**
 * Control calls are never open (docs/PROTOCOL.md §10.1, §10.2, §10.3): PUT /feed, POST /drop, /ban,
 * /unban and /stats?reset=1 need the control token, which every server has (given, the client
 * token, or a random one), and refuse any request from a web page, even of an allowed origin.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServerApi } from '../../../bench/server-api.ts';
import { TRANSPORTS } from '../../../scenarios/constants.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { Cleanup, makeClient, startTestServer, waitFor } from '../../support/harness.ts';
import { codeInBody } from '../../../conformance/probes.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const LOOPBACK_PAGE = 'http://127.0.0.1:5173';
const FOREIGN_PAGE = 'https://evil.example';

interface ControlCall {
  name: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

const CALLS: ControlCall[] = [
  { name: 'PUT /feed', method: 'PUT', path: '/feed', body: '{"rate":0}', contentType: 'application/json' },
  { name: 'PUT /feed (huge)', method: 'PUT', path: '/feed', body: '{"rate":1000000,"payloadBytes":16777216}', contentType: 'application/json' },
  // A text/plain POST is a "simple" request: a page of any site can send it without a preflight.
  { name: 'POST /drop (text/plain)', method: 'POST', path: '/drop', body: 'x', contentType: 'text/plain' },
  { name: 'POST /ban', method: 'POST', path: '/ban', body: '{"client":"victim"}', contentType: 'application/json' },
  { name: 'POST /unban', method: 'POST', path: '/unban', body: '{"client":"victim"}', contentType: 'application/json' },
  { name: 'GET /stats?reset=1', method: 'GET', path: '/stats?reset=1' },
];

async function call(server: RunningServer, c: ControlCall, query: string, headers: Record<string, string> = {}): Promise<{ status: number; code: unknown; acao: string | null }> {
  const separator = c.path.includes('?') ? '&' : '?';
  const response = await fetch(`${server.baseUrl}${c.path}${query === '' ? '' : separator + query}`, {
    method: c.method,
    headers: { ...(c.contentType === undefined ? {} : { 'content-type': c.contentType }), ...headers },
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  const text = await response.text();
  const code = codeInBody(text);
  return { status: response.status, code, acao: response.headers.get('access-control-allow-origin') };
}

describe('control calls without a --token', () => {
  it.each(TRANSPORTS)('%s: every server has a random control token; without it each control call is 401 and changes nothing', async (transport) => {
    const server = cleanup.add(await startTestServer(transport, { feedRate: 5 }));
    expect(server.controlToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const subscriber = makeClient(server, 'json', { topics: ['ticks'] });
    cleanup.add(subscriber.client);
    await subscriber.client.connect();
    for (const c of CALLS) {
      for (const query of ['', 'token=guess', `token=${server.controlToken}x`]) {
        expect(await call(server, c, query), `${c.name} ${query}`).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      }
    }
    expect(server.publisher.rate).toBe(5);
    expect(server.publisher.payloadBytes).toBe(server.options.payloadBytes);
    expect(server.stats().disconnects.dropped).toBe(0);
    // A long-poll subscriber is between two polls for a moment after each tick (longer on a busy
    // machine): still connected means its next poll is held again.
    await waitFor(() => server.stats().connections.open === 1, 'the subscriber still connected');
    expect(server.stats().errors.UNAUTHORIZED).toBe(CALLS.length * 3);
  });

  it('with the control token each call works, as query or Bearer header; plain /stats still needs no token', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    const token = server.controlToken;
    expect(await call(server, CALLS[0]!, `token=${token}`)).toMatchObject({ status: 200 });
    expect(await call(server, CALLS[2]!, '', { authorization: `Bearer ${token}` })).toMatchObject({ status: 200 });
    expect(await call(server, CALLS[3]!, `token=${token}`)).toMatchObject({ status: 200 });
    expect(await call(server, CALLS[4]!, `token=${token}`)).toMatchObject({ status: 200 });
    expect(await call(server, CALLS[5]!, `token=${token}`)).toMatchObject({ status: 200 });
    expect((await fetch(`${server.baseUrl}/stats`)).status).toBe(200);
    // The bench's view: plain /stats with the client token (none here), the rest with the control token.
    const api = new ServerApi(server.baseUrl, null, token);
    expect(await api.stats(true)).not.toBeNull();
    expect(await api.setFeed(7, 8)).toBe(true);
    expect(server.publisher.rate).toBe(7);
    expect(await api.drop()).toBeGreaterThanOrEqual(0);
    await expect(new ServerApi(server.baseUrl, null).setFeed(0, 8)).rejects.toThrow(/PUT \/feed answered 401/);
  });
});

describe('control calls with --token and --control-token', () => {
  it('the control token defaults to the client token (one token, as a --target has)', async () => {
    const server = cleanup.add(await startTestServer('ws', { token: 'shared-secret' }));
    expect(server.controlToken).toBe('shared-secret');
    expect(await new ServerApi(server.baseUrl, 'shared-secret').setFeed(3, 8)).toBe(true);
  });

  it('a separate control token: the client token steers nothing, and the control token is no client token', async () => {
    const server = cleanup.add(await startTestServer('sse', { token: 'client-secret', controlToken: 'control-secret' }));
    for (const c of CALLS) expect(await call(server, c, 'token=client-secret'), c.name).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect((await fetch(`${server.baseUrl}/stats?token=client-secret`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/stats?token=control-secret`)).status).toBe(401);
    expect(await call(server, CALLS[0]!, 'token=control-secret')).toMatchObject({ status: 200 });
  });
});

describe('control calls from web pages', () => {
  it.each(TRANSPORTS)('%s: a request with any Origin is refused with 403 FORBIDDEN_ORIGIN, with the right token and preflights included', async (transport) => {
    const server = cleanup.add(await startTestServer(transport, { feedRate: 5 }));
    for (const origin of [FOREIGN_PAGE, LOOPBACK_PAGE, 'null']) {
      for (const c of CALLS) {
        const answer = await call(server, c, `token=${server.controlToken}`, { origin });
        expect(answer, `${c.name} from ${origin}`).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN', acao: null });
        const preflight = await fetch(`${server.baseUrl}${c.path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': c.method, 'access-control-request-headers': 'content-type' } });
        await preflight.arrayBuffer();
        expect(preflight.status, `preflight of ${c.name} from ${origin}`).toBe(403);
        expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      }
    }
    expect(server.publisher.rate).toBe(5);
    expect(server.stats().disconnects.dropped).toBe(0);
    expect(server.stats().errors.FORBIDDEN_ORIGIN).toBe(3 * CALLS.length * 2);
  });
});

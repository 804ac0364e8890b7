/** POST /drop (docs/PROTOCOL.md §10.2): the server cuts every connection as a network failure would; clients come back by themselves. */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import type { CloseInfo } from '../../clients/client.ts';
import { createClient } from '../../clients/create-client.ts';
import { TRANSPORTS } from '../../scenarios/constants.ts';
import { Cleanup, publishMany, range, record, sleep, startTestServer, waitFor, type Recorder } from '../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function post(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('POST /drop', () => {
  it.each(TRANSPORTS)('%s: drops every client connection on every port; the clients reconnect and resume without loss', async (transport) => {
    const server = cleanup.add(await startTestServer(transport, { extraPorts: 1, sseRetryMs: 50 }));
    const clients: (Recorder & { closes: CloseInfo[] })[] = [];
    for (let i = 0; i < 4; i++) {
      const url = server.baseUrls[i % 2]!;
      const recorder = record(createClient(transport, { url, topics: ['ticks'], rooms: ['lobby'], reconnect: { initialDelayMs: 50 } }));
      const closes: CloseInfo[] = [];
      recorder.client.on('close', (info) => closes.push(info));
      cleanup.add(recorder.client);
      clients.push({ ...recorder, closes });
    }
    await Promise.all(clients.map((c) => c.client.connect()));
    await publishMany(server, 20);
    server.hub.send('x', 'lobby', 1, Buffer.from('before'), false);
    await waitFor(() => clients.every((c) => c.messages.length === 21), 'the first 21 messages on every client');
    // TCP connections the clients hold: WS and SSE one each (the SSE client's second one is opened for
    // POSTs only); the long-poll client usually two, because its undici pool opens a second one when the
    // next poll follows the handshake before the first connection is released, and keeps it alive.
    await waitFor(() => server.stats().connections.open === clients.length, 'every client connected');
    await sleep(50);
    const held = server.stats().sockets;
    if (transport === 'long-poll') expect(held).toBeGreaterThanOrEqual(clients.length);
    else expect(held).toBe(clients.length);
    expect(held).toBeLessThanOrEqual(clients.length * 2);

    const dropped = await new ServerApi(server.baseUrl, null, server.controlToken).drop();
    expect(dropped).toBe(held);
    // Published while the clients are away: they must get it on resume.
    await publishMany(server, 30);
    server.hub.send('x', 'lobby', 2, Buffer.from('during'), false);
    await waitFor(() => clients.every((c) => c.client.reconnects === 1 && c.messages.length === 52), 'every client to reconnect and catch up');
    await publishMany(server, 5);
    await waitFor(() => clients.every((c) => c.messages.length === 57), 'live messages after the resume');

    for (const c of clients) {
      expect(c.seqs('ticks')).toEqual(range(1, 55));
      expect(c.seqs('lobby')).toEqual([1, 2]);
      // A network failure, not a goodbye: no close frame (1006), no error event, no 503.
      expect(c.closes).toHaveLength(1);
      expect(c.closes[0]!.willReconnect).toBe(true);
      expect(c.closes[0]!.code).toBe(transport === 'ws' ? 'CLOSE_1006' : 'NETWORK');
      expect(c.controls.filter((m) => m.type === 'error')).toEqual([]);
    }
    const stats = server.stats();
    expect(stats.disconnects.dropped).toBe(held);
    expect(stats.disconnects).toMatchObject({ slowConsumer: 0, heartbeat: 0 });
  });

  it('answers on its own connection, which it neither drops nor counts', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    // One keep-alive socket for both requests: the second one proves the first left it open.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanup.add({ close: async () => agent.destroy() });
    const drop = (): Promise<{ status: number; body: string; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = request(`${server.baseUrl}/drop?token=${server.controlToken}`, { method: 'POST', agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await drop()).toEqual({ status: 200, body: '{"dropped":0}', reused: false });
    expect(await drop()).toEqual({ status: 200, body: '{"dropped":0}', reused: true });
    expect(server.stats().disconnects.dropped).toBe(0);
    expect(server.stats().sockets).toBe(1);
  });

  it('needs the token when the server has one', async () => {
    const server = cleanup.add(await startTestServer('sse', { token: 'sesame', sseRetryMs: 50 }));
    const client = createClient('sse', { url: server.baseUrl, topics: ['ticks'], token: 'sesame', reconnect: { initialDelayMs: 50 } });
    cleanup.add(client);
    await client.connect();
    const refused = await post(`${server.baseUrl}/drop`);
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('UNAUTHORIZED');
    expect((await post(`${server.baseUrl}/drop?token=wrong`)).status).toBe(401);
    await sleep(50);
    expect(client.reconnects).toBe(0);
    expect(server.stats().disconnects.dropped).toBe(0);
    // The stream, and the idle keep-alive connection fetch() left behind.
    expect(await new ServerApi(server.baseUrl, 'sesame').drop()).toBeGreaterThanOrEqual(1);
    await waitFor(() => client.reconnects === 1, 'the client to reconnect');
    expect((await post(`${server.baseUrl}/drop`, { authorization: 'Bearer sesame' })).status).toBe(200);
    await waitFor(() => client.reconnects === 2, 'the client to reconnect again');
  });

  it.each(['GET', 'PUT', 'DELETE'])('%s /drop is 404 NOT_FOUND', async (method) => {
    const server = cleanup.add(await startTestServer('ws'));
    const response = await fetch(`${server.baseUrl}/drop`, { method });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: string }).code).toBe('NOT_FOUND');
    expect(server.stats().disconnects.dropped).toBe(0);
  });

  it('ServerApi.drop() is null when the server has no /drop', async () => {
    const other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"NOT_FOUND","message":"no"}'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    cleanup.add({ close: () => new Promise<void>((resolve) => other.close(() => resolve())) });
    other.on('connection', (socket) => cleanup.add({ close: async () => socket.destroy() }));
    expect(await new ServerApi(`http://127.0.0.1:${(other.address() as AddressInfo).port}`, null).drop()).toBeNull();
  });
});

/** Extra listening ports (docs/PROTOCOL.md §2): one server on several ports, so browsers can spread their connections over origins. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import { startServerProcess } from '../../bench/server-process.ts';
import { createClient } from '../../clients/create-client.ts';
import { TRANSPORTS } from '../../scenarios/constants.ts';
import { Cleanup, publishMany, range, record, startTestServer, waitFor } from '../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const portOf = (url: string): number => Number(new URL(url).port);

/** Resolves true when nothing listens on the port any more: it can be bound again. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('extra ports', () => {
  it.each(TRANSPORTS)('%s: a client on an extra port gets the same feed as one on the main port; /stats on any port counts both', async (transport) => {
    const server = cleanup.add(await startTestServer(transport, { extraPorts: 2 }));
    expect(server.baseUrls).toHaveLength(3);
    expect(server.baseUrls[0]).toBe(server.baseUrl);
    expect(new Set(server.baseUrls.map(portOf)).size).toBe(3);
    expect(server.baseUrls.every((url) => url.startsWith('http://127.0.0.1:'))).toBe(true);

    const main = record(createClient(transport, { url: server.baseUrls[0]!, topics: ['ticks'], reconnect: false }));
    const extra = record(createClient(transport, { url: server.baseUrls[2]!, topics: ['ticks'], reconnect: false }));
    cleanup.add(main.client);
    cleanup.add(extra.client);
    await main.client.connect();
    await extra.client.connect();
    await publishMany(server, 20);
    await waitFor(() => main.messages.length === 20 && extra.messages.length === 20, 'twenty ticks on both ports');
    expect(main.seqs('ticks')).toEqual(range(1, 20));
    expect(extra.seqs('ticks')).toEqual(range(1, 20));
    expect(extra.messages.map((m) => m.ts)).toEqual(main.messages.map((m) => m.ts));

    // Long-poll counts held polls: wait until both are held again after the burst.
    await waitFor(() => server.stats().connections.open === 2, 'both connections open');
    for (const url of server.baseUrls) {
      const stats = await new ServerApi(url, null).stats();
      expect(stats?.connections.open, url).toBe(2);
      expect(stats?.connections.total, url).toBeGreaterThanOrEqual(2);
      expect(stats?.messages.delivered, url).toBe(40);
      expect(stats?.sockets, url).toBeGreaterThanOrEqual(3);
    }
  });

  it.each(TRANSPORTS)('%s: close() stops listening on every port', async (transport) => {
    const server = await startTestServer(transport, { extraPorts: 3 });
    const client = createClient(transport, { url: server.baseUrls[3]!, topics: ['ticks'], reconnect: false });
    await client.connect();
    const ports = server.baseUrls.map(portOf);
    expect(await Promise.all(ports.map(isFree))).toEqual([false, false, false, false]);
    await server.close();
    await client.close();
    expect(await Promise.all(ports.map(isFree))).toEqual([true, true, true, true]);
  });

  it('no extra ports by default: baseUrls holds the main one only', async () => {
    const server = cleanup.add(await startTestServer('ws'));
    expect(server.baseUrls).toEqual([server.baseUrl]);
    expect(server.options.extraPorts).toBe(0);
  });

  it('the bench starts a server process with extra ports and learns them all', { timeout: 30_000 }, async () => {
    const registry = new Set<ChildProcess>();
    const server = await startServerProcess({ transport: 'sse', payloadBytes: 8, token: null, extraPorts: 2, registry });
    cleanup.add({ close: () => server.stop() });
    expect(server.baseUrls).toHaveLength(3);
    expect(server.baseUrls[0]).toBe(server.baseUrl);
    for (const url of server.baseUrls) expect(await new ServerApi(url, null).transport()).toBe('sse');
    await server.stop();
    expect(registry.size).toBe(0);
    expect(await Promise.all(server.baseUrls.map((url) => isFree(portOf(url))))).toEqual([true, true, true]);
  });
});

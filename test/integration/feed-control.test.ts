/** PUT /feed (docs/PROTOCOL.md §10.1): the bench steps the feed rate while subscribers stay connected. */
import { afterEach, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import { TRANSPORTS } from '../../scenarios/constants.ts';
import type { RunningServer } from '../../servers/server.ts';
import { Cleanup, makeClient, startTestServer, waitFor } from '../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function put(server: RunningServer | string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; json: Record<string, unknown> }> {
  // A server's own control token, or only its URL (no token).
  const url = typeof server === 'string' ? `${server}/feed` : `${server.baseUrl}/feed?token=${server.controlToken}`;
  const response = await fetch(url, { method: 'PUT', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('PUT /feed', () => {
  it.each(TRANSPORTS)('%s: starts, changes and stops the feed while a subscriber stays connected', async (transport) => {
    const server = await startTestServer(transport);
    cleanup.add(server);
    const subscriber = makeClient(server, 'json', { topics: ['ticks'] });
    cleanup.add(subscriber.client);
    await subscriber.client.connect();

    const started = await put(server, JSON.stringify({ rate: 200, payloadBytes: 12 }));
    expect(started).toEqual({ status: 200, json: { topics: ['ticks'], rate: 200, payloadBytes: 12 } });
    await waitFor(() => subscriber.messages.length >= 20, '20 feed messages');
    expect(subscriber.messages[0]!.payload).toHaveLength(12);
    const stats = await new ServerApi(server.baseUrl, null).stats();
    expect(stats?.feed).toMatchObject({ topics: ['ticks'], rate: 200, payloadBytes: 12 });
    // The publisher's lateness since the server started (this /stats reset nothing): one value per scheduled message.
    expect(stats?.feed.lateness?.count).toBeGreaterThanOrEqual(20);

    expect(await new ServerApi(server.baseUrl, null, server.controlToken).setFeed(0, 12)).toBe(true);
    // Stopped means nothing is published after the answer. What was published before it may still be
    // on its way (a long poll can carry several), so wait for the last of it rather than for a fixed time.
    const lastSeq = server.hub.latestSeq('ticks')!;
    await waitFor(() => subscriber.messages.at(-1)?.seq === lastSeq, `the last message published before the stop (seq ${lastSeq})`);
    // A quiet period of 20 publisher intervals at the old rate: a busy machine can only make a
    // running publisher late, never make a stopped one publish.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.hub.latestSeq('ticks')).toBe(lastSeq);
    expect(subscriber.messages.at(-1)?.seq).toBe(lastSeq);
    expect(subscriber.client.reconnects).toBe(0);
  });

  it('refuses bad bodies with the field and its range, and keeps the feed as it was', async () => {
    const server = await startTestServer('ws');
    cleanup.add(server);
    const outOfRange = await put(server, JSON.stringify({ rate: -1 }));
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.json.code).toBe('BAD_FIELD');
    expect(outOfRange.json.message).toMatch(/"rate" must be an integer from 0 to 1000000/);
    const notJson = await put(server, '{rate: 5');
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe('BAD_JSON');
    const notObject = await put(server, '[1]');
    expect(notObject.json.code).toBe('BAD_JSON');
    expect(server.publisher.rate).toBe(0);
  });

  it('needs the token when the server has one', async () => {
    const server = await startTestServer('sse', { token: 'sesame' });
    cleanup.add(server);
    expect((await put(server.baseUrl, '{"rate":5}')).status).toBe(401);
    expect(await new ServerApi(server.baseUrl, 'sesame').setFeed(5, 8)).toBe(true);
    expect(server.publisher.rate).toBe(5);
    await new ServerApi(server.baseUrl, 'sesame').setFeed(0, 8);
  });
});

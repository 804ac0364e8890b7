/** Each transport's keep-alive: WS ping/pong ends dead peers, SSE sends comments, a long poll times out empty. */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cleanup, sleep, startTestServer, waitFor } from '../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('keep-alive', () => {
  it('ws: a peer that stops answering pings is terminated and counted; a live one stays', async () => {
    const server = cleanup.add(await startTestServer('ws', { heartbeatMs: 100 }));
    const dead = new WebSocket(`${server.connectUrl}?topic=ticks`, { autoPong: false });
    const live = new WebSocket(`${server.connectUrl}?topic=ticks`);
    cleanup.add({ close: async () => (dead.terminate(), live.terminate()) });
    let pings = 0;
    dead.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => dead.on('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(server.stats().disconnects.heartbeat).toBe(1);
    expect(live.readyState).toBe(WebSocket.OPEN);
    expect(server.stats().connections.open).toBe(1);
  });

  it('sse: comment lines keep an idle stream alive', async () => {
    const server = cleanup.add(await startTestServer('sse', { heartbeatMs: 50 }));
    const abort = new AbortController();
    cleanup.add({ close: async () => abort.abort() });
    const response = await fetch(`${server.connectUrl}?topic=ticks`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes(': ping\n\n')) text += decoder.decode((await reader.read()).value);
    expect(text.startsWith('retry: 1000\n\nid: ticks:0\nevent: welcome\ndata: {"type":"welcome"')).toBe(true);
  });

  it('sse: a bogus Last-Event-ID is refused with BAD_CURSOR, and it wins over the query', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    for (const id of ['garbage', 'ticks:-1', 'ticks:5', 'ticks:1,ticks:2']) {
      const response = await fetch(`${server.connectUrl}?topic=ticks&cursor=ticks:0`, { headers: { 'last-event-id': id } });
      expect(response.status, id).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('BAD_CURSOR');
    }
  });

  it('long-poll: a poll with nothing new waits for the timeout and returns an empty batch with the same cursor', async () => {
    const server = cleanup.add(await startTestServer('long-poll', { pollTimeoutMs: 150 }));
    const started = performance.now();
    const response = await fetch(`${server.connectUrl}?topic=ticks&cursor=ticks:0`);
    const waited = performance.now() - started;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    expect(response.headers.get('pushbench-cursor')).toBe('ticks:0');
    expect(waited).toBeGreaterThanOrEqual(140);
    const wait = await fetch(`${server.connectUrl}?topic=ticks&cursor=ticks:0&wait=500`);
    expect(wait.status).toBe(400);
    expect(((await wait.json()) as { code: string }).code).toBe('BAD_QUERY');
  });

  it('long-poll: a held poll is answered as soon as a message is published', async () => {
    const server = cleanup.add(await startTestServer('long-poll', { pollTimeoutMs: 10_000 }));
    const pending = fetch(`${server.connectUrl}?topic=ticks&cursor=ticks:0`);
    await waitFor(() => server.stats().connections.open === 1, 'the poll to be held');
    await sleep(20);
    server.hub.publish('ticks', Buffer.from('now'));
    const response = await pending;
    expect(response.headers.get('pushbench-cursor')).toBe('ticks:1');
    const batch = (await response.json()) as { seq: number; payload: string }[];
    expect(batch.map((m) => [m.seq, m.payload])).toEqual([[1, 'now']]);
  });
});

/**
 * Clients we did not write, against our servers: curl, the eventsource package, and a plain ws
 * client that decodes frames by docs/PROTOCOL.md alone (not with our codecs).
 */
import { spawn } from 'node:child_process';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cleanup, publishMany, range, startTestServer, waitFor } from '../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

/** Binary data message as docs/PROTOCOL.md lays it out, read with a DataView. */
function decodeByTheDoc(bytes: Uint8Array): { type: number; channel: string; seq: number; ts: number; from?: string; mid?: number; payload: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number): number => view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
  const type = view.getUint8(0);
  const channelLength = view.getUint8(2);
  const payloadLength = view.getUint32(19);
  let at = 23;
  const channel = new TextDecoder().decode(bytes.subarray(at, at + channelLength));
  at += channelLength;
  const message: ReturnType<typeof decodeByTheDoc> = { type, channel, seq: u64(3), ts: u64(11), payload: '' };
  if (type === 2) {
    const fromLength = view.getUint8(at);
    message.from = new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + fromLength));
    at += 1 + fromLength;
    message.mid = view.getUint32(at);
    at += 4;
  }
  message.payload = new TextDecoder().decode(bytes.subarray(at, at + payloadLength));
  return message;
}

describe('third-party clients', () => {
  it('curl -N reads the SSE stream', async () => {
    const server = cleanup.add(await startTestServer('sse', { feedRate: 20, payloadBytes: 8 }));
    const out = await run('curl', ['-sN', '--max-time', '1', `${server.connectUrl}?topic=ticks`]);
    expect(out).toMatch(/^retry: 1000\n\nid: ticks:(\d+)\nevent: welcome\ndata: \{"type":"welcome","client":"c1","cursor":"ticks:\1","key":"[A-Za-z0-9_-]{22}"\}\n\n/);
    expect(out).toMatch(/\nid: ticks:\d+\ndata: \{"type":"feed","topic":"ticks","seq":\d+,"ts":\d+,"payload":"pushbenc"\}\n\n/);
  });

  it('the eventsource package receives events and resumes by itself with Last-Event-ID after a drop', async () => {
    const server = cleanup.add(await startTestServer('sse', { sseRetryMs: 50 }));
    const source = new EventSource(`${server.connectUrl}?topic=ticks`);
    cleanup.add({ close: async () => source.close() });
    const seqs: number[] = [];
    const ids: string[] = [];
    let opens = 0;
    source.onopen = () => opens++;
    source.onmessage = (event) => {
      seqs.push((JSON.parse(event.data as string) as { seq: number }).seq);
      ids.push(event.lastEventId);
    };
    await waitFor(() => opens === 1, 'the stream to open');
    await publishMany(server, 10);
    await waitFor(() => seqs.length === 10, 'ten events');
    server.dropConnections();
    await publishMany(server, 10);
    await waitFor(() => opens === 2 && seqs.length === 20, 'the reconnect and the missed events');
    expect(seqs).toEqual(range(1, 20));
    expect(ids.at(-1)).toBe('ticks:20');
  });

  it('the eventsource package resumes correctly even when the stream drops before its first event', async () => {
    const server = cleanup.add(await startTestServer('sse', { sseRetryMs: 50 }));
    await publishMany(server, 5);
    const source = new EventSource(`${server.connectUrl}?topic=ticks`);
    cleanup.add({ close: async () => source.close() });
    const seqs: number[] = [];
    let opens = 0;
    source.onopen = () => opens++;
    source.onmessage = (event) => seqs.push((JSON.parse(event.data as string) as { seq: number }).seq);
    await waitFor(() => opens === 1, 'the stream to open');
    server.dropConnections();
    await publishMany(server, 3);
    await waitFor(() => opens === 2 && seqs.length === 3, 'the reconnect and the three events published while it was down');
    expect(seqs).toEqual([6, 7, 8]);
  });

  it('a plain ws client following docs/PROTOCOL.md reads JSON and binary frames and sends chat', async () => {
    const server = cleanup.add(await startTestServer('ws'));
    const received: { json: unknown[]; binary: ReturnType<typeof decodeByTheDoc>[] } = { json: [], binary: [] };
    const open = (encoding: string): Promise<WebSocket> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${server.connectUrl}?topic=ticks&room=lobby&client=plain-${encoding}&encoding=${encoding}`);
        cleanup.add({ close: async () => ws.terminate() });
        ws.on('message', (data: Buffer, isBinary) => {
          if (isBinary) received.binary.push(decodeByTheDoc(new Uint8Array(data)));
          else {
            const message = JSON.parse(data.toString()) as { type: string };
            if (message.type === 'welcome') resolve(ws);
            else received.json.push(message);
          }
        });
      });
    const jsonClient = await open('json');
    await open('binary');
    server.hub.publish('ticks', Buffer.from('tick-1'));
    jsonClient.send(JSON.stringify({ type: 'send', room: 'lobby', mid: 42, payload: 'hi all' }));
    await waitFor(() => received.json.length === 2 && received.binary.length === 2, 'two messages on each client');
    expect(received.json).toEqual([
      { type: 'feed', topic: 'ticks', seq: 1, ts: expect.any(Number), payload: 'tick-1' },
      { type: 'chat', room: 'lobby', seq: 1, ts: expect.any(Number), from: 'plain-json', mid: 42, payload: 'hi all' },
    ]);
    expect(received.binary).toEqual([
      { type: 1, channel: 'ticks', seq: 1, ts: (received.json[0] as { ts: number }).ts, payload: 'tick-1' },
      { type: 2, channel: 'lobby', seq: 1, ts: (received.json[1] as { ts: number }).ts, from: 'plain-json', mid: 42, payload: 'hi all' },
    ]);
  });

  it('plain fetch long-polls: handshake, held poll, cursor header', async () => {
    const server = cleanup.add(await startTestServer('long-poll'));
    const handshake = await fetch(`${server.connectUrl}?topic=ticks`);
    const cursor = handshake.headers.get('pushbench-cursor')!;
    expect(cursor).toBe('ticks:0');
    const held = fetch(`${server.connectUrl}?topic=ticks&cursor=${cursor}`);
    await waitFor(() => server.stats().connections.open === 1, 'the poll to be held');
    server.hub.publish('ticks', Buffer.from('a'));
    server.hub.publish('ticks', Buffer.from('b'));
    const response = await held;
    expect(((await response.json()) as { payload: string }[]).map((m) => m.payload)).toEqual(['a', 'b']);
    expect(response.headers.get('pushbench-cursor')).toBe('ticks:2');
    const post = await fetch(`${server.baseUrl}/messages?client=fetcher`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'send', room: 'r', mid: 1, payload: 'p' }) });
    expect(post.status).toBe(204);
    expect(server.hub.latestSeq('r')).toBe(1);
  });
});

/**
 * SSE client ids cannot be taken over (docs/PROTOCOL.md §6.4): POST /messages acts for a client id
 * only with the key its open stream got in its welcome, and every wrong attempt gets one answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LoadContext, type LoadSink } from '../../../clients/load/load-connection.ts';
import { SseLoadConnection } from '../../../clients/load/transports/sse.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { Cleanup, makeClient, startTestServer, waitFor } from '../../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function post(server: RunningServer, query: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.baseUrl}/messages?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

function keyOf(recorder: ReturnType<typeof makeClient>): string {
  const welcome = recorder.controls.find((m) => m.type === 'welcome');
  if (welcome?.type !== 'welcome' || welcome.key === undefined) throw new Error('no key in the welcome');
  return welcome.key;
}

describe('SSE stream keys', () => {
  it('every wrong key, a missing key and an unknown client get the same answer, and nothing happens', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    const alice = makeClient(server, 'json', { clientId: 'alice', rooms: ['lobby'] });
    cleanup.add(alice.client);
    await alice.client.connect();
    const key = keyOf(alice);
    expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const send = { type: 'send', room: 'lobby', mid: 1, payload: 'as alice' };
    const join = { type: 'join', room: 'kitchen' };
    const answers = [
      await post(server, 'client=alice', send),
      await post(server, 'client=alice&key=wrong', send),
      // One character off (never the same one: a key ending in A would otherwise be right).
      await post(server, `client=alice&key=${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, join),
      await post(server, 'client=alice', { type: 'leave', room: 'lobby' }),
      await post(server, `client=mallory&key=${key}`, send),
      await post(server, 'client=nobody', join),
      await post(server, `key=${key}`, send),
    ];
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(404);
    expect(JSON.parse(answers[0]!.text)).toMatchObject({ code: 'UNKNOWN_CLIENT' });
    expect(server.hub.latestSeq('lobby')).toBe(0);
    expect(server.stats().rooms).toBe(1);
    expect(alice.controls.map((m) => m.type)).toEqual(['welcome']);
  });

  it('with the key: sends go out under the id, and join/leave apply to the one stream the key names', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    const first = makeClient(server, 'json', { clientId: 'bob', rooms: ['lobby'] });
    const second = makeClient(server, 'json', { clientId: 'bob', rooms: ['lobby'] });
    cleanup.add(first.client);
    cleanup.add(second.client);
    await Promise.all([first.client.connect(), second.client.connect()]);
    expect(keyOf(first)).not.toBe(keyOf(second));
    expect((await post(server, `client=bob&key=${keyOf(first)}`, { type: 'join', room: 'kitchen' })).status).toBe(200);
    await waitFor(() => first.controls.some((m) => m.type === 'joined'), 'the joined event');
    // The library client sends with its stream's key by itself.
    await second.client.send({ type: 'send', room: 'lobby', mid: 7, payload: 'hi' });
    await waitFor(() => first.messages.length === 1 && second.messages.length === 1, 'the chat message at both streams');
    expect(first.messages[0]).toMatchObject({ channel: 'lobby', from: 'bob', mid: 7 });
    server.hub.send('x', 'kitchen', 1, Buffer.from('k'), false);
    await waitFor(() => first.messages.length === 2, 'the kitchen message at the stream that joined');
    expect(second.controls.map((m) => m.type)).toEqual(['welcome']);
    expect(second.messages.map((m) => m.channel)).toEqual(['lobby']);
    // Anonymous sends need no stream.
    expect((await post(server, '', { type: 'send', room: 'lobby', mid: 8, payload: 'anon' })).status).toBe(204);
  });

  it("a key is worth nothing once its stream has closed, and a reconnect's stream has a new one", async () => {
    const server = cleanup.add(await startTestServer('sse'));
    const carol = makeClient(server, 'json', { clientId: 'carol', rooms: ['lobby'] });
    cleanup.add(carol.client);
    await carol.client.connect();
    const key = keyOf(carol);
    await carol.client.close();
    await waitFor(() => server.stats().connections.open === 0, 'the stream to close');
    expect((await post(server, `client=carol&key=${key}`, { type: 'send', room: 'lobby', mid: 1, payload: 'x' })).status).toBe(404);
    const again = makeClient(server, 'json', { clientId: 'carol', rooms: ['lobby'] });
    cleanup.add(again.client);
    await again.client.connect();
    expect(keyOf(again)).not.toBe(key);
  });

  it('the load connection sends with its stream key', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    const problems: string[] = [];
    const received: number[] = [];
    const sink: LoadSink = { data: (_c, m) => received.push(m.seq), problem: (_c, kind, detail) => problems.push(`${kind}: ${detail}`), lost: () => undefined };
    const context = new LoadContext({ transport: 'sse', baseUrl: server.baseUrl, encoding: 'json', token: null }, sink);
    cleanup.add(context);
    const connection = new SseLoadConnection({ id: 'r0m0', topics: [], rooms: ['room0'] }, context);
    cleanup.add(connection);
    await connection.open();
    // A first message proves the welcome (which comes before it) has been read.
    await waitFor(() => server.stats().connections.open === 1, 'the stream');
    server.hub.send('x', 'room0', 1, Buffer.from('first'), false);
    await waitFor(() => received.length === 1, 'the first message');
    connection.send('room0', 1, 'hello');
    await waitFor(() => received.length === 2 || problems.length > 0, 'the sender to receive its own message');
    expect(problems).toEqual([]);
    expect(received).toEqual([1, 2]);
  });

  it('long-poll takes no key: its POSTs have no stream to prove', async () => {
    const server = cleanup.add(await startTestServer('long-poll'));
    const answer = await post(server, 'client=dave&key=abc', { type: 'send', room: 'lobby', mid: 1, payload: 'x' });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 'BAD_QUERY' });
    expect((await post(server, 'client=dave', { type: 'send', room: 'lobby', mid: 1, payload: 'x' })).status).toBe(204);
  });
});

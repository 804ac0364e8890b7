/**
 * Rate limits and per-address bounds (docs/PROTOCOL.md §9.1) on real servers, with small limits:
 * floods are refused as the seed notes teach (WS `error` then close 1008; HTTP 429 with Retry-After),
 * well-behaved clients keep being served, and the defaults never refuse a load like the bench's.
 * Clients from 127.0.0.2 (loopback too) show that limits are per address.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_CODES, PATHS, RATE_LIMIT_CLOSE_REASON } from '../../../scenarios/constants.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { Cleanup, makeClient, startTestServer, waitFor, type Recorder } from '../../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const OTHER_ADDRESS = '127.0.0.2';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection, optionally from another loopback address. */
function httpRequest(server: RunningServer, path: string, options: { method?: string; body?: string; localAddress?: string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', agent: options.agent ?? false, localAddress: options.localAddress, headers: options.body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The answer's head (and body, when it is not a stream): an SSE stream is closed once it has started. */
function streamHead(server: RunningServer, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, agent: false }, (res) => {
      if (res.statusCode === 200) {
        resolve({ status: 200, headers: res.headers, body: '' });
        res.destroy();
        return;
      }
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const send = (room: string, mid: number): string => JSON.stringify({ type: 'send', room, mid, payload: 'x' });
const codeOf = (answer: Answer): unknown => (JSON.parse(answer.body) as { code?: unknown }).code;

/** Asserts a 429 as §9.1 has it: the code, and a Retry-After in whole seconds, at least 1. */
function expectRefusal(answer: Answer, code: string): void {
  expect(answer.status).toBe(429);
  expect(codeOf(answer)).toBe(code);
  expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/);
}

/** A subscriber to the feed (published at 50/s), to show that it is served throughout. */
async function feedSubscriber(server: RunningServer): Promise<Recorder> {
  server.publisher.configure(50, 8);
  const subscriber = makeClient(server, 'json', { topics: ['ticks'] });
  cleanup.add(subscriber.client);
  await subscriber.client.connect();
  return subscriber;
}

async function keepsReceiving(subscriber: Recorder): Promise<void> {
  const before = subscriber.messages.length;
  await waitFor(() => subscriber.messages.length >= before + 5, 'the subscriber to keep receiving the feed');
}

interface RawWs {
  ws: WebSocket;
  received: string[];
  closed: Promise<{ code: number; reason: string }>;
}

async function openWs(server: RunningServer, query: string): Promise<RawWs> {
  const ws = new WebSocket(`${server.connectUrl}?${query}`);
  const received: string[] = [];
  ws.on('message', (data: Buffer) => received.push(data.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  cleanup.add({ close: async () => ws.terminate() });
  await waitFor(() => received.some((m) => m.startsWith('{"type":"welcome"')), 'the welcome');
  return { ws, received, closed };
}

describe('WebSocket: messages per connection', () => {
  it('a flood gets RATE_LIMITED errors, then close 1008; other clients are served throughout', async () => {
    const server = cleanup.add(await startTestServer('ws', { rateLimitMessages: 20, rateLimitBurst: 5, rateLimitCloseAfter: 10 }));
    const subscriber = await feedSubscriber(server);
    const flooder = await openWs(server, 'room=lobby&client=flooder');
    const polite = await openWs(server, 'room=lobby&client=polite');

    for (let mid = 0; mid < 100; mid++) flooder.ws.send(send('lobby', mid));
    const closed = await flooder.closed;

    expect(closed).toEqual({ code: CLOSE_CODES.rateLimited, reason: RATE_LIMIT_CLOSE_REASON });
    const errors = flooder.received.filter((m) => m.startsWith('{"type":"error"'));
    // The tolerated refusals, then the one that closes: each answered, the rest dropped silently.
    expect(errors).toHaveLength(11);
    for (const error of errors) expect(JSON.parse(error)).toMatchObject({ code: 'RATE_LIMITED' });
    const delivered = polite.received.filter((m) => m.includes('"from":"flooder"')).length;
    // The burst of 5, and at most one more token refilled while the flood was read (20/s).
    expect(delivered).toBeGreaterThanOrEqual(5);
    expect(delivered).toBeLessThanOrEqual(6);

    // A client under its limit: nothing refused.
    for (let mid = 0; mid < 5; mid++) polite.ws.send(send('lobby', mid));
    await waitFor(() => polite.received.filter((m) => m.includes('"from":"polite"')).length === 5, "the polite client's own 5 messages");
    expect(polite.received.filter((m) => m.startsWith('{"type":"error"'))).toEqual([]);
    await keepsReceiving(subscriber);

    const stats = server.stats();
    expect(stats.limits).toMatchObject({ messagesRefused: 11, connectsRefused: 0 });
    expect(stats.disconnects.rateLimited).toBe(1);
    expect(stats.errors.RATE_LIMITED).toBe(11);
    expect(stats.messages.chatIn).toBe(delivered + 5);
  });

  it('--rate-limit-close-after 0 refuses a flood without closing', async () => {
    const server = cleanup.add(await startTestServer('ws', { rateLimitMessages: 20, rateLimitBurst: 5, rateLimitCloseAfter: 0 }));
    const flooder = await openWs(server, 'room=lobby');
    for (let mid = 0; mid < 300; mid++) flooder.ws.send(send('lobby', mid));
    await waitFor(() => flooder.received.filter((m) => m.startsWith('{"type":"error"')).length >= 290, 'an error for every refused message');
    expect(flooder.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.stats().disconnects.rateLimited).toBe(0);
  });

  it('with the defaults, a burst of 500 messages from one client is never refused', async () => {
    const server = cleanup.add(await startTestServer('ws'));
    const sender = await openWs(server, 'room=lobby');
    for (let mid = 0; mid < 500; mid++) sender.ws.send(send('lobby', mid));
    await waitFor(() => sender.received.filter((m) => m.startsWith('{"type":"chat"')).length === 500, 'all 500 messages back');
    expect(sender.received.filter((m) => m.startsWith('{"type":"error"'))).toEqual([]);
    expect(server.stats().limits?.messagesRefused).toBe(0);
  });
});

/**
 * The query that sends under client id `id`: on SSE only with the key of an open stream of that id
 * (docs/PROTOCOL.md §6.4), so one is opened; long-poll has no streams and takes the id as it is.
 */
async function clientQuery(server: RunningServer, id: string): Promise<string> {
  if (server.transport !== 'sse') return `?client=${id}`;
  const stream = makeClient(server, 'json', { clientId: id, rooms: ['lobby'] });
  cleanup.add(stream.client);
  await stream.client.connect();
  const welcome = stream.controls.find((m) => m.type === 'welcome');
  if (welcome?.type !== 'welcome' || welcome.key === undefined) throw new Error(`no key in the welcome of ${id}`);
  return `?client=${id}&key=${welcome.key}`;
}

describe.each(['sse', 'long-poll'] as const)('%s: POST /messages per client', (transport) => {
  it('over the limit: 429 RATE_LIMITED with Retry-After, per client id at its address; other clients are served', async () => {
    // 1/s, bursts of 5: the burst goes at once, then a token comes back each second. A busy machine
    // may take more than a second over the ten sends, so the refill they saw is counted, not assumed away.
    const server = cleanup.add(await startTestServer(transport, { rateLimitMessages: 1, rateLimitBurst: 5 }));
    const subscriber = await feedSubscriber(server);
    const post = (query: string, mid: number, localAddress?: string): Promise<Answer> => httpRequest(server, `${PATHS.messages}${query}`, { method: 'POST', body: send('lobby', mid), localAddress });

    const [alice, bob] = [await clientQuery(server, 'alice'), await clientQuery(server, 'bob')];
    const answers: Answer[] = [];
    const startedAt = performance.now();
    for (let mid = 0; mid < 10; mid++) answers.push(await post(alice, mid));
    const refilled = Math.floor((performance.now() - startedAt) / 1000);
    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, 5)).toEqual([204, 204, 204, 204, 204]);
    const refused = answers.filter((a) => a.status === 429);
    expect(statuses.filter((status) => status !== 204 && status !== 429)).toEqual([]);
    expect(refused.length).toBeGreaterThanOrEqual(5 - refilled);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expectRefusal(answer, 'RATE_LIMITED');

    // Another id at the same address, no id (the address's own bucket), and alice elsewhere: each its own client.
    expect((await post(bob, 0)).status).toBe(204);
    expect((await post('', 0)).status).toBe(204);
    expect((await post(alice, 0, OTHER_ADDRESS)).status).toBe(204);
    await keepsReceiving(subscriber);

    const stats = server.stats();
    expect(stats.limits?.messagesRefused).toBe(refused.length);
    expect(stats.errors.RATE_LIMITED).toBe(refused.length);
    expect(stats.messages.chatIn).toBe(10 - refused.length + 3);
  });

  it('with the defaults, 500 sends at once from one client are never refused', async () => {
    const server = cleanup.add(await startTestServer(transport));
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    cleanup.add({ close: async () => agent.destroy() });
    const busy = await clientQuery(server, 'busy');
    const answers = await Promise.all(Array.from({ length: 500 }, (_, mid) => httpRequest(server, `${PATHS.messages}${busy}`, { method: 'POST', body: send('lobby', mid), agent })));
    expect(answers.filter((a) => a.status !== 204)).toEqual([]);
    expect(server.stats().limits?.messagesRefused).toBe(0);
  });
});

describe('connection attempts per address', () => {
  it('ws: upgrades over the rate get an HTTP 429 on the raw socket; another address still connects', async () => {
    const server = cleanup.add(await startTestServer('ws', { connectRateLimit: 2, connectBurst: 5 }));
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        new Promise<{ status: number; retryAfter?: string; body?: string }>((resolve, reject) => {
          const ws = new WebSocket(`${server.connectUrl}?topic=ticks`);
          cleanup.add({ close: async () => ws.terminate() });
          ws.once('message', () => resolve({ status: 101 }));
          ws.once('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
          });
          ws.once('error', (err) => (err.message.includes('429') ? undefined : reject(err)));
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 101)).toHaveLength(5);
    const refused = outcomes.filter((o) => o.status !== 101);
    expect(refused).toHaveLength(3);
    for (const o of refused) {
      expect(o.status).toBe(429);
      expect(o.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(JSON.parse(o.body!)).toMatchObject({ code: 'CONNECT_RATE_LIMITED' });
    }
    const elsewhere = new WebSocket(`${server.connectUrl}?topic=ticks`, { localAddress: OTHER_ADDRESS });
    cleanup.add({ close: async () => elsewhere.terminate() });
    await new Promise((resolve, reject) => {
      elsewhere.once('message', resolve);
      elsewhere.once('error', reject);
    });
    expect(server.stats().limits).toMatchObject({ connectsRefused: 3 });
    expect(server.stats().errors.CONNECT_RATE_LIMITED).toBe(3);
  });

  it('sse: stream opens over the rate get 429 CONNECT_RATE_LIMITED; long-poll polls are not connection attempts', async () => {
    const sse = cleanup.add(await startTestServer('sse', { connectRateLimit: 2, connectBurst: 5 }));
    const heads = await Promise.all(Array.from({ length: 8 }, () => streamHead(sse, `${PATHS.sse}?topic=ticks`)));
    expect(heads.filter((h) => h.status === 200)).toHaveLength(5);
    for (const h of heads.filter((h) => h.status !== 200)) expectRefusal(h, 'CONNECT_RATE_LIMITED');
    expect(sse.stats().limits?.connectsRefused).toBe(3);

    const poll = cleanup.add(await startTestServer('long-poll', { connectRateLimit: 1, connectBurst: 1 }));
    const polls = await Promise.all(Array.from({ length: 10 }, () => httpRequest(poll, `${PATHS.poll}?topic=ticks&wait=0`)));
    expect(polls.map((p) => p.status)).toEqual(Array(10).fill(200));
  });

  // The bench opens up to 20,000 connections from 127.0.0.1 (test/unit/rate-limit.test.ts checks that many
  // against the defaults without sockets); 500 real ones at once keep this file within a few seconds.
  it('with the defaults, 500 WebSocket connects from one address at once are all accepted', async () => {
    const server = cleanup.add(await startTestServer('ws'));
    const sockets: WebSocket[] = [];
    cleanup.add({ close: async () => sockets.forEach((ws) => ws.terminate()) });
    await Promise.all(
      Array.from({ length: 500 }, () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`${server.connectUrl}?topic=ticks`);
          sockets.push(ws);
          ws.once('message', resolve);
          ws.once('error', reject);
        }),
      ),
    );
    expect(server.stats().connections.open).toBe(500);
    expect(server.stats().limits?.connectsRefused).toBe(0);
  });
});

describe('long-poll: held polls per address', () => {
  it('beyond --max-held-polls-per-ip: 429 TOO_MANY_POLLS; other addresses poll on; a slot frees when a poll is answered', async () => {
    const server = cleanup.add(await startTestServer('long-poll', { maxHeldPollsPerIp: 3 }));
    server.hub.send('x', 'quiet', 1, Buffer.from('first'), false);
    const held = (localAddress?: string, seq = 1): Promise<Answer> => httpRequest(server, `${PATHS.poll}?room=quiet&cursor=quiet:${seq}`, { localAddress });

    const waiting = [held(), held(), held()];
    await waitFor(() => server.stats().connections.open === 3, 'three polls held');
    const refused = await Promise.all([held(), held()]);
    for (const answer of refused) expectRefusal(answer, 'TOO_MANY_POLLS');

    // Another address is not affected: its poll is held too, and a subscriber there keeps receiving.
    const elsewhere = held(OTHER_ADDRESS);
    await waitFor(() => server.stats().connections.open === 4, 'the poll from another address held');
    server.publisher.configure(50, 8);
    let feedMessages = 0;
    let cursor = (await httpRequest(server, `${PATHS.poll}?topic=ticks`, { localAddress: OTHER_ADDRESS })).headers['pushbench-cursor'] as string;
    while (feedMessages < 5) {
      const answer = await httpRequest(server, `${PATHS.poll}?topic=ticks&cursor=${cursor}`, { localAddress: OTHER_ADDRESS });
      expect(answer.status).toBe(200);
      feedMessages += (JSON.parse(answer.body) as unknown[]).length;
      cursor = answer.headers['pushbench-cursor'] as string;
    }

    // A message answers the held polls, which frees the address's slots.
    server.hub.send('x', 'quiet', 2, Buffer.from('second'), false);
    const answered = await Promise.all([...waiting, elsewhere]);
    expect(answered.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const again = held(undefined, 2);
    await waitFor(() => server.stats().connections.open === 1, 'a new poll held from the first address');
    server.hub.send('x', 'quiet', 3, Buffer.from('third'), false);
    expect((await again).status).toBe(200);
    expect(server.stats().limits?.pollsRefused).toBe(2);
    expect(server.stats().errors.TOO_MANY_POLLS).toBe(2);
  });
});

describe('slow uploads (slowloris)', () => {
  /** A POST whose body never comes whole: headers, then one byte of a 100-byte body. */
  async function trickle(server: RunningServer): Promise<{ socket: Socket; answer: Promise<string> }> {
    const socket = connect(server.port, '127.0.0.1');
    cleanup.add({ close: async () => socket.destroy() });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST ${PATHS.messages}?client=slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
    return { socket, answer };
  }

  it.each(['sse', 'long-poll'] as const)('%s: bodies beyond --max-uploads-per-ip get 429; --request-timeout-ms ends the slow ones with 408', async (transport) => {
    const server = cleanup.add(await startTestServer(transport, { maxUploadsPerIp: 3, requestTimeoutMs: 300 }));
    const subscriber = await feedSubscriber(server);
    const slow = [await trickle(server), await trickle(server), await trickle(server)];
    // Anonymous: uploads are bounded per address, whoever sends them.
    const postFrom = (localAddress?: string): Promise<Answer> => httpRequest(server, PATHS.messages, { method: 'POST', body: send('lobby', 1), localAddress });

    // The three slow bodies hold every slot of 127.0.0.1 (slots are taken in arrival order: wait for the server to have them).
    await waitFor(async () => (await postFrom()).status === 429, 'the three slow uploads to hold their slots');
    const refused = await postFrom();
    expectRefusal(refused, 'TOO_MANY_UPLOADS');
    expect(refused.headers.connection).toBe('close');
    expect((await postFrom(OTHER_ADDRESS)).status).toBe(204);
    await keepsReceiving(subscriber);

    // The timeout cuts the slow bodies (408, then the connection ends), and their slots are free again.
    for (const { answer } of slow) {
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toContain('"code":"REQUEST_TIMEOUT"');
    }
    await waitFor(async () => (await postFrom()).status === 204, 'a slot of 127.0.0.1 to be free again');
    const stats = server.stats();
    expect(stats.limits?.requestTimeouts).toBe(3);
    expect(stats.errors.REQUEST_TIMEOUT).toBe(3);
    expect(stats.limits?.uploadsRefused).toBeGreaterThanOrEqual(2);
  });
});

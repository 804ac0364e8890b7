/** The token (§7), and the refusals after which a client must not come back (§8). */
import assert from 'node:assert/strict';
import { ClientError } from '../../clients/client.ts';
import { PATHS } from '../../scenarios/constants.ts';
import type { Check } from '../check.ts';
import { holdsSteady } from '../wait.ts';
import { codeInBody } from '../probes.ts';

export const tokenRequired: Check = {
  id: 'token',
  section: '§7',
  title: 'refuses a client without the token, and sends it no data',
  required: true,
  needs: ['token'],
  async run(ctx) {
    const { baseUrl, token } = ctx.target;
    const room = ctx.name('vault');
    const sender = await ctx.sender();
    await sender.send({ type: 'send', room, mid: 1, payload: 'secret data' });
    const stranger = ctx.client({ rooms: [room], token: undefined });
    const wrong = ctx.client({ rooms: [room], token: `not-${token}` });
    const friend = ctx.client({ rooms: [room] });
    const before = await ctx.stats();
    for (const [who, c] of [['without a token', stranger], ['with a wrong token', wrong]] as const) {
      const err = await c.client.connect().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ClientError && err.code === 'UNAUTHORIZED', `a client ${who} is refused with UNAUTHORIZED (got ${err === undefined ? 'a connection' : String(err)})`);
    }
    await friend.client.connect();
    await sender.send({ type: 'send', room, mid: 2, payload: 'more' });
    await ctx.wait(() => friend.messages.length >= 1, 'the client with the token to receive');
    assert.deepEqual(friend.messages.map((m) => [m.seq, m.payload]), [[2, 'more']], 'the client with the token receives live messages');
    assert.deepEqual([stranger.messages, wrong.messages], [[], []], 'refused clients receive nothing');
    assert.equal(await ctx.probe.connectRaw(`room=${room}&cursor=${room}:0`), 'UNAUTHORIZED', 'a raw connect without the token that asks for a replay is refused before any data');
    const stats = (headers: Record<string, string>): Promise<number> => fetch(`${baseUrl}${PATHS.stats}`, { headers }).then(async (r) => (await r.arrayBuffer(), r.status));
    assert.equal(await stats({}), 401, 'GET /stats without the token is 401');
    assert.equal(await stats({ authorization: `Bearer ${token}` }), 200, 'GET /stats with Authorization: Bearer <token> is 200');
    assert.equal((await fetch(`${baseUrl}${PATHS.health}`).then(async (r) => (await r.arrayBuffer(), r.status))), 200, 'GET /health never needs the token');
    const refusals = ((await ctx.stats()).errors.UNAUTHORIZED ?? 0) - (before.errors.UNAUTHORIZED ?? 0);
    assert.ok(refusals >= 3, `/stats errors.UNAUTHORIZED counts the refusals (grew by ${refusals}, expected at least 3)`);
  },
};

export const noReconnectAfterRefusal: Check = {
  id: 'no-reconnect',
  section: '§8',
  title: 'a refused client and one that closed never reconnect',
  required: true,
  async run(ctx) {
    const { topic, token, timing } = ctx.target;
    const reconnect = { initialDelayMs: timing.reconnectDelayMs };
    // With a token the refusal is UNAUTHORIZED (4001 / 401); without one, an unknown topic (4400 / 404): both final.
    const code = token !== null ? 'UNAUTHORIZED' : 'UNKNOWN_TOPIC';
    const refused = ctx.client(token !== null ? { topics: [topic], token: `not-${token}`, reconnect } : { topics: [ctx.name('nosuchtopic')], reconnect });
    const quitter = ctx.client({ topics: [topic], reconnect });
    const before = await ctx.stats();
    const err = await refused.client.connect().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ClientError && err.code === code && err.fatal, `a client ${token !== null ? 'with a wrong token' : 'of an unknown topic'} is refused with ${code}, final (got ${err === undefined ? 'a connection' : String(err)})`);
    await quitter.client.connect();
    await quitter.client.close();
    await ctx.wait(async () => (await ctx.stats()).connections.open === before.connections.open, '/stats connections.open to drop back once the client closed');
    // Ten reconnect delays without a new connection or a new refusal.
    await holdsSteady(
      async () => {
        const stats = await ctx.stats();
        return { 'connections.total': stats.connections.total, [`errors.${code}`]: stats.errors[code] ?? 0 };
      },
      '/stats (a reconnect would raise one of these)',
      10 * timing.reconnectDelayMs,
    );
    assert.deepEqual([refused.client.reconnects, quitter.client.reconnects], [0, 0], 'neither client reconnected');
    const counted = ((await ctx.stats()).errors[code] ?? 0) - (before.errors[code] ?? 0);
    assert.equal(counted, 1, `/stats errors.${code} counts the one refusal`);
  },
};

export const controlCallsClosed: Check = {
  id: 'control-calls',
  section: '§10.3',
  title: 'control calls need the control token and refuse any request from a web page',
  required: true,
  needs: ['feedControl'],
  async run(ctx) {
    const { baseUrl, token, topic } = ctx.target;
    const before = (await ctx.stats()).feed;
    const put = async (query: string, headers: Record<string, string> = {}): Promise<[number, unknown]> => {
      const response = await fetch(`${baseUrl}${PATHS.feed}${query}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ rate: 1000, payloadBytes: 1 }) });
      const text = await response.text();
      return [response.status, codeInBody(text)];
    };
    const withToken = token === null ? '' : `?token=${encodeURIComponent(token)}`;
    // A loopback page is one a lab server may allow for its streams; control calls take none.
    for (const origin of ['http://127.0.0.1:9', 'https://elsewhere.example']) {
      assert.deepEqual(await put(withToken, { origin }), [403, 'FORBIDDEN_ORIGIN'], `PUT /feed with the control token from a page of ${origin} is 403 FORBIDDEN_ORIGIN`);
    }
    if (token !== null) {
      assert.deepEqual(await put(''), [401, 'UNAUTHORIZED'], 'PUT /feed without the token is 401 UNAUTHORIZED');
      assert.deepEqual(await put(`?token=not-${encodeURIComponent(token)}`), [401, 'UNAUTHORIZED'], 'PUT /feed with a wrong token is 401 UNAUTHORIZED');
    }
    const reset = await fetch(`${baseUrl}${PATHS.stats}?reset=1${withToken.replace('?', '&')}`, { headers: { origin: 'http://127.0.0.1:9' } }).then(async (r) => (await r.arrayBuffer(), r.status));
    assert.equal(reset, 403, 'GET /stats?reset=1 (a control call) with the token from a page is 403');
    const after = (await ctx.stats()).feed;
    assert.deepEqual([after.rate, after.payloadBytes], [before.rate, before.payloadBytes], `the refused calls left the feed of ${topic} as it was`);
  },
};

/**
 * A client's mistakes are 4xx answers with their code, never 500 INTERNAL (which the bench reads in
 * /stats as a server bug): bodies the server will not decode, uploads the client abandons, a token
 * checked before any body is read, and error messages that quote at most a bounded part of the input
 * (docs/PROTOCOL.md §6.4, §7, §8, §10.1).
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { TRANSPORTS } from '../../../scenarios/constants.ts';
import { MAX_QUOTED_CHARS } from '../../../scenarios/errors.ts';
import { Cleanup, waitFor } from '../../support/harness.ts';
import { closed, rawRequest, startGuardedServer } from './crash-harness.ts';

const cleanup = new Cleanup();
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup.run();
});

const HTTP_TRANSPORTS = ['sse', 'long-poll'] as const;
/** Long enough that echoing it would show, short enough for node:http's 16 KiB header limit. */
const LONG = 'x'.repeat(10_240);
/** An error message quotes at most MAX_QUOTED_CHARS of the input, plus the message's own words and hint. */
const MESSAGE_BOUND = MAX_QUOTED_CHARS + 400;

async function answer(response: Response): Promise<{ status: number; code: unknown; message: string }> {
  const body = (await response.json()) as { code: unknown; message: string };
  return { status: response.status, code: body.code, message: body.message };
}

function put(baseUrl: string, headers: Record<string, string>, body: string, query = ''): Promise<Response> {
  return fetch(`${baseUrl}/feed${query}`, { method: 'PUT', headers, body });
}

/** Whether the server logged an unexpected error (a stack) while `run` ran. */
function watchServerLog(): { unexpected(): unknown[] } {
  const spy = vi.spyOn(console, 'error');
  return { unexpected: () => spy.mock.calls.filter((call) => String(call[0]).includes('unexpected error')) };
}

describe.each(TRANSPORTS)('%s: PUT /feed bodies the server does not decode', (transport) => {
  const REFUSED: [string, Record<string, string>, string][] = [
    ['an unknown charset', { 'content-type': 'application/json; charset=bogus' }, '{"rate":5}'],
    ['a UTF-looking charset iconv does not know', { 'content-type': 'application/json; charset=utf-bogus' }, '{"rate":5}'],
    ['an unknown content-encoding', { 'content-type': 'application/json', 'content-encoding': 'bogus' }, '{"rate":5}'],
    ['gzip that is not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'not gzip at all'],
  ];
  it.each(REFUSED)('%s: 415 UNSUPPORTED_MEDIA_TYPE, the feed unchanged', async (_label, headers, body) => {
    const guarded = await startGuardedServer(cleanup, transport);
    const log = watchServerLog();
    const refused = await answer(await put(guarded.server.baseUrl, headers, body, `?token=${guarded.server.controlToken}`));
    expect(refused).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(guarded.server.publisher.rate).toBe(0);
    expect(await guarded.errors()).toMatchObject({ UNSUPPORTED_MEDIA_TYPE: 1 });
    expect(log.unexpected()).toEqual([]);
    await guarded.expectStillServing();
  });
});

describe('PUT /feed checks the token before it reads the body', () => {
  it.each([
    ['a body that is not JSON', { 'content-type': 'application/json' }, '{rate: 5'],
    ['a body over 1 KiB', { 'content-type': 'application/json' }, JSON.stringify({ rate: 5, pad: 'x'.repeat(2000) })],
    ['an unknown charset', { 'content-type': 'application/json; charset=bogus' }, '{"rate":5}'],
  ])('%s without the token: 401', async (_label, headers, body) => {
    const guarded = await startGuardedServer(cleanup, 'ws', { token: 'secret' });
    expect(await answer(await put(guarded.server.baseUrl, headers, body))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    const withToken = await put(guarded.server.baseUrl, { 'content-type': 'application/json' }, '{"rate":0,"payloadBytes":8}', '?token=secret');
    expect(withToken.status).toBe(200);
    await guarded.expectStillServing();
  });
});

describe('a body refused by its declared length is answered at once, and its connection closed', () => {
  // The body is never sent: an answer that waited for it would never come.
  const CASES = [
    ...HTTP_TRANSPORTS.map((transport) => [transport, 'POST /messages'] as const),
    ...TRANSPORTS.map((transport) => [transport, 'PUT /feed'] as const),
  ];
  it.each(CASES)('%s: %s announcing 100 GB', async (transport, endpoint) => {
    const guarded = await startGuardedServer(cleanup, transport);
    const target = endpoint === 'PUT /feed' ? `${endpoint}?token=${guarded.server.controlToken}` : endpoint;
    const head = `${target} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100000000000\r\n\r\n{"rate":`;
    const refused = await rawRequest(guarded.server.port, head);
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await guarded.expectStillServing();
  });
});

describe.each(HTTP_TRANSPORTS)('%s: POST /messages bodies the server does not decode', (transport) => {
  it('a content-encoding: 415 UNSUPPORTED_MEDIA_TYPE, nothing sent', async () => {
    const guarded = await startGuardedServer(cleanup, transport);
    const response = await fetch(`${guarded.server.baseUrl}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: JSON.stringify({ type: 'send', room: 'lobby', mid: 1, payload: 'hi' }),
    });
    expect(await answer(response)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(guarded.server.hub.counters.chatMessagesIn).toBe(0);
    await guarded.expectStillServing();
  });
});

/** Announces 1000 bytes of body, sends 10, then goes away (closes, or resets the connection). */
async function abandonUpload(port: number, requestHead: string, how: 'close' | 'reset'): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`${requestHead}\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"type":"s`);
  if (how === 'close') socket.destroy();
  else socket.resetAndDestroy();
  await closed(socket);
}

describe('an upload the client abandons is counted as ABORTED, never INTERNAL, and logs nothing', () => {
  const CASES = [
    ...HTTP_TRANSPORTS.map((transport) => [transport, 'POST /messages HTTP/1.1'] as const),
    ...TRANSPORTS.map((transport) => [transport, 'PUT /feed HTTP/1.1'] as const),
  ].flatMap(([transport, head]) => (['close', 'reset'] as const).map((how) => [transport, head, how] as const));

  it.each(CASES)('%s: %s, then the client %ss the connection', async (transport, head, how) => {
    const guarded = await startGuardedServer(cleanup, transport);
    const log = watchServerLog();
    // PUT /feed reads its body only with the control token.
    const request = head.startsWith('PUT /feed') ? head.replace('PUT /feed', `PUT /feed?token=${guarded.server.controlToken}`) : head;
    await abandonUpload(guarded.server.port, request, how);
    // The count is taken when the server's read of the body settles: it must not wait forever.
    await waitFor(async () => (await guarded.errors()).ABORTED === 1, 'ABORTED counted once in /stats');
    expect(log.unexpected()).toEqual([]);
    await guarded.expectStillServing();
    expect(guarded.server.hub.counters.chatMessagesIn).toBe(0);
  });
});

describe('error messages quote a bounded part of the input', () => {
  const expectBounded = (message: string): void => {
    expect(message.length).toBeLessThan(MESSAGE_BOUND);
    expect(message).toContain(`… (${LONG.length} characters)`);
  };

  it.each(HTTP_TRANSPORTS)('%s: a 10 KB unknown query parameter name on connect and on POST /messages', async (transport) => {
    const guarded = await startGuardedServer(cleanup, transport);
    const connectPath = transport === 'sse' ? '/sse' : '/poll';
    const onConnect = await answer(await fetch(`${guarded.server.baseUrl}${connectPath}?topic=ticks&${LONG}=1`));
    expect(onConnect).toMatchObject({ status: 400, code: 'BAD_QUERY' });
    expectBounded(onConnect.message);
    const onPost = await answer(await fetch(`${guarded.server.baseUrl}/messages?${LONG}=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
    expect(onPost).toMatchObject({ status: 400, code: 'BAD_QUERY' });
    expectBounded(onPost.message);
    await guarded.expectStillServing();
  });

  it.each(HTTP_TRANSPORTS)('%s: a 10 KB room name, mid and content type on POST /messages', async (transport) => {
    const guarded = await startGuardedServer(cleanup, transport);
    const post = async (headers: Record<string, string>, body: unknown): Promise<{ status: number; code: unknown; message: string }> =>
      answer(await fetch(`${guarded.server.baseUrl}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
    const room = await post({}, { type: 'send', room: LONG, mid: 1, payload: 'hi' });
    expect(room).toMatchObject({ status: 400, code: 'INVALID_NAME' });
    expectBounded(room.message);
    const mid = await post({}, { type: 'send', room: 'lobby', mid: LONG, payload: 'hi' });
    expect(mid).toMatchObject({ status: 400, code: 'BAD_FIELD' });
    expectBounded(mid.message);
    const type = await post({}, { type: LONG });
    expect(type).toMatchObject({ status: 400, code: 'UNKNOWN_TYPE' });
    expectBounded(type.message);
    const contentType = await post({ 'content-type': `text/${LONG}` }, {});
    expect(contentType).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(contentType.message.length).toBeLessThan(MESSAGE_BOUND);
    await guarded.expectStillServing();
  });

  it('ws: a 10 KB unknown query parameter name, in the error message before the 4400 close', async () => {
    const guarded = await startGuardedServer(cleanup, 'ws');
    const ws = new WebSocket(`${guarded.server.connectUrl}?topic=ticks&${LONG}=1`);
    const message = await new Promise<{ code: string; message: string }>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as { code: string; message: string }));
      ws.once('error', reject);
    });
    await new Promise((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve(undefined) : ws.once('close', resolve)));
    expect(message.code).toBe('BAD_QUERY');
    expectBounded(message.message);
    await guarded.expectStillServing();
  });

  it('express 404: a 10 KB path', async () => {
    const guarded = await startGuardedServer(cleanup, 'ws');
    const notFound = await answer(await fetch(`${guarded.server.baseUrl}/${LONG}`));
    expect(notFound).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(notFound.message.length).toBeLessThan(MESSAGE_BOUND);
    await guarded.expectStillServing();
  });
});

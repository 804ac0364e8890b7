/**
 * Requests node:http can parse but WHATWG URL cannot (`//[`), requests it cannot parse at all, and
 * upgrade sockets reset before anyone has taken them: each is answered (or dropped) on its own
 * connection, and the server, on every transport, carries on (docs/PROTOCOL.md §2, §8).
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../../scenarios/constants.ts';
import { Cleanup } from '../../support/harness.ts';
import { closed, rawRequest, startGuardedServer, upgradeRequest } from './crash-harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const RESETS = 20;

describe.each(TRANSPORTS)('%s server', (transport) => {
  it('answers a request target that is not a URL (//[) with 400 BAD_REQUEST, token or not', async () => {
    const guarded = await startGuardedServer(cleanup, transport, { token: 'secret' });
    const answer = await rawRequest(guarded.server.port, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('"//["') });
    expect(await guarded.errors()).toMatchObject({ BAD_REQUEST: 1 });
    await guarded.expectStillServing();
  });

  it('answers an upgrade to //[ with 400 BAD_REQUEST on the raw socket, then closes it', async () => {
    const guarded = await startGuardedServer(cleanup, transport, { token: 'secret' });
    const answer = await rawRequest(guarded.server.port, upgradeRequest('//[?token=secret'));
    expect(answer.status).toBe(400);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await guarded.errors()).toMatchObject({ BAD_REQUEST: 1 });
    await guarded.expectStillServing();
  });

  it('answers a request it cannot parse with 400 BAD_REQUEST and a JSON body', async () => {
    const guarded = await startGuardedServer(cleanup, transport);
    const answer = await rawRequest(guarded.server.port, 'GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('could not be parsed') });
    expect(await guarded.errors()).toMatchObject({ BAD_REQUEST: 1 });
    await guarded.expectStillServing();
  });

  it('answers an upgrade on a path it does not upgrade with 404 NOT_FOUND and a JSON body', async () => {
    const guarded = await startGuardedServer(cleanup, transport);
    const answer = await rawRequest(guarded.server.port, upgradeRequest('/health'));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'NOT_FOUND' });
    await guarded.expectStillServing();
  });

  it.each(['/nowhere', '/ws?topic=ticks', '//['])('survives upgrade sockets to %s reset as soon as the request is sent', async (path) => {
    const guarded = await startGuardedServer(cleanup, transport);
    for (let i = 0; i < RESETS; i++) {
      const socket = connect(guarded.server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(upgradeRequest(path));
      socket.resetAndDestroy();
      await closed(socket);
    }
    await guarded.expectStillServing();
  });
});

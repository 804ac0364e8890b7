/** Browser pages are served from another origin than the streams: pages of allowed origins (loopback by default) get CORS headers; others are refused. */
import { afterEach, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../scenarios/constants.ts';
import { Cleanup, startTestServer } from '../support/harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const ORIGIN = 'http://127.0.0.1:1';

describe('CORS', () => {
  it.each(TRANSPORTS)('%s: answers with Access-Control-Allow-Origin when a request has an Origin, and not otherwise', async (transport) => {
    const server = cleanup.add(await startTestServer(transport));
    const withOrigin = await fetch(`${server.baseUrl}/health`, { headers: { origin: ORIGIN } });
    expect(withOrigin.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(withOrigin.headers.get('vary')).toBe('Origin');
    const error = await fetch(`${server.baseUrl}/nowhere`, { headers: { origin: ORIGIN } });
    expect(error.status).toBe(404);
    expect(error.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const withoutOrigin = await fetch(`${server.baseUrl}/health`);
    expect(withoutOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('long-poll exposes its cursor header to pages', async () => {
    const server = cleanup.add(await startTestServer('long-poll'));
    const poll = await fetch(`${server.baseUrl}/poll?topic=ticks&wait=0`, { headers: { origin: ORIGIN } });
    expect(poll.status).toBe(200);
    expect(poll.headers.get('access-control-expose-headers')).toContain('pushbench-cursor');
    expect(poll.headers.get('pushbench-cursor')).toBe('ticks:0');
  });

  it('answers preflights for POST /messages with JSON and a token header', async () => {
    const server = cleanup.add(await startTestServer('sse'));
    const preflight = await fetch(`${server.baseUrl}/messages`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-methods')).not.toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
  });
});

/**
 * Pages of other sites cannot use the lab (docs/PROTOCOL.md §2, CORS): only loopback origins by
 * default (the lab's own pages), or those of --allow-origin; every other Origin is refused with 403
 * FORBIDDEN_ORIGIN before the request does anything, WebSocket upgrades included (CORS does not
 * cover them: cross-site WebSocket hijacking).
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TRANSPORTS, type TransportName } from '../../../scenarios/constants.ts';
import type { RunningServer } from '../../../servers/server.ts';
import type { ServerOptionsInput } from '../../../servers/options.ts';
import { Cleanup, startTestServer } from '../../support/harness.ts';
import { codeInBody } from '../../../conformance/probes.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const LOOPBACK = ['http://127.0.0.1:5173', 'http://localhost:8000', 'http://[::1]:3000', 'http://localhost'];
const FOREIGN = ['https://evil.example', 'http://127.0.0.2:5173', 'https://127.0.0.1:5173', 'http://localhost.evil.example', 'null', 'http://127.0.0.1:5173/path'];

interface PageRequest {
  name: string;
  path: string;
  init: RequestInit;
}

/** The requests a page makes, per transport: its stream or poll, a send, and the preflight of a JSON send (ws: its upgrade, below). */
function pageRequests(transport: TransportName): PageRequest[] {
  const connect = transport === 'sse' ? '/sse?topic=ticks' : '/poll?topic=ticks&wait=0';
  const common: PageRequest[] = [
    { name: 'GET /health', path: '/health', init: {} },
    { name: 'GET /stats', path: '/stats', init: {} },
  ];
  if (transport === 'ws') return common;
  return [
    ...common,
    { name: `GET ${connect}`, path: connect, init: {} },
    { name: 'POST /messages (text/plain)', path: '/messages', init: { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"type":"send","room":"lobby","mid":1,"payload":"x"}' } },
    { name: 'preflight of POST /messages', path: '/messages', init: { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } } },
  ];
}

async function request(server: RunningServer, path: string, init: RequestInit, origin: string): Promise<{ status: number; code: unknown; acao: string | null }> {
  const controller = new AbortController();
  const response = await fetch(`${server.baseUrl}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), origin }, signal: controller.signal });
  const acao = response.headers.get('access-control-allow-origin');
  // An event stream never ends by itself: read its head only.
  if (response.headers.get('content-type') === 'text/event-stream') {
    controller.abort();
    return { status: response.status, code: undefined, acao };
  }
  const text = await response.text();
  const code = codeInBody(text);
  return { status: response.status, code, acao };
}

function upgrade(server: RunningServer, origin: string | undefined): Promise<{ opened: boolean; status?: number; body?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.connectUrl}?topic=ticks`, { perMessageDeflate: false, ...(origin === undefined ? {} : { origin }) });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
  });
}

async function server(transport: TransportName, options: Partial<ServerOptionsInput> = {}): Promise<RunningServer> {
  return cleanup.add(await startTestServer(transport, options));
}

describe('origins by default: loopback pages only', () => {
  it.each(TRANSPORTS)('%s: a loopback page gets its own origin back (not *); a page of any other origin is refused 403, without CORS headers', async (transport) => {
    const s = await server(transport);
    for (const { name, path, init } of pageRequests(transport)) {
      for (const origin of LOOPBACK) {
        const answer = await request(s, path, init, origin);
        expect(answer.status, `${name} from ${origin}`).toBeLessThan(400);
        expect(answer.acao, `${name} from ${origin}`).toBe(origin);
      }
      for (const origin of FOREIGN) {
        expect(await request(s, path, init, origin), `${name} from ${origin}`).toEqual({ status: 403, code: 'FORBIDDEN_ORIGIN', acao: null });
      }
    }
    // Nothing a refused page sent did anything.
    expect(s.hub.latestSeq('lobby') ?? 0).toBe(transport === 'ws' ? 0 : LOOPBACK.length);
    expect(s.stats().errors.FORBIDDEN_ORIGIN).toBe(pageRequests(transport).length * FOREIGN.length);
  });

  it('ws: an upgrade from a foreign page is refused with 403 FORBIDDEN_ORIGIN; loopback pages and Node clients (no Origin) connect', async () => {
    const s = await server('ws');
    for (const origin of FOREIGN) {
      const answer = await upgrade(s, origin);
      expect(answer, origin).toMatchObject({ opened: false, status: 403 });
      expect(JSON.parse(answer.body!)).toMatchObject({ code: 'FORBIDDEN_ORIGIN' });
    }
    for (const origin of [...LOOPBACK, undefined]) expect(await upgrade(s, origin), String(origin)).toEqual({ opened: true });
    expect(s.stats().connections.total).toBe(LOOPBACK.length + 1);
    expect(s.stats().errors.FORBIDDEN_ORIGIN).toBe(FOREIGN.length);
  });
});

describe('--allow-origin', () => {
  it('exact origins replace the loopback default', async () => {
    const s = await server('sse', { allowOrigins: ['https://lab.example:8443'] });
    expect((await request(s, '/health', {}, 'https://lab.example:8443')).acao).toBe('https://lab.example:8443');
    expect((await request(s, '/health', {}, 'http://127.0.0.1:5173')).status).toBe(403);
    expect((await request(s, '/health', {}, 'https://lab.example')).status).toBe(403);
  });

  it('* allows every page, but still none to make a control call', async () => {
    const s = await server('ws', { allowOrigins: ['*'] });
    expect((await request(s, '/health', {}, 'https://anyone.example')).acao).toBe('https://anyone.example');
    expect(await upgrade(s, 'https://anyone.example')).toEqual({ opened: true });
    const drop = await request(s, `/drop?token=${s.controlToken}`, { method: 'POST' }, 'https://anyone.example');
    expect(drop).toEqual({ status: 403, code: 'FORBIDDEN_ORIGIN', acao: null });
  });
});

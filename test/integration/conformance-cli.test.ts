/** `npm run conformance` as a user runs it: a real process against a lab server, a broken server, and bad flags. */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../../bench/server-process.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import { LAB_LIMITS, LAB_TOKEN, startLabServer } from '../contract/lab-target.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function conformance(args: string[], timeoutMs: number): Promise<Run> {
  const child = spawn('npm', ['run', '--silent', 'conformance', '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

/**
 * A server that looks like a pushbench SSE server from outside (/health, /stats, PUT /feed, a
 * stream that welcomes its client) and delivers nothing. It has no POST /drop, which is optional.
 */
function startBrokenServer(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const stats = () => ({
    transport: 'sse', now: nowMicros(), uptimeMs: 1000, connections: { open: 0, total: 0 },
    messages: { published: 0, chatIn: 0, delivered: 0 }, bytes: { written: 0, read: 0 },
    disconnects: { slowConsumer: 0, heartbeat: 0, dropped: 0 }, replayTruncations: 0, errors: {},
    cpu: { userUs: 1, systemUs: 1 }, memory: { rssBytes: 1, heapUsedBytes: 1 },
    eventLoopDelayMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0, count: 1 }, sockets: 1,
    feed: { topics: ['ticks'], rate: 0, payloadBytes: 16 }, rooms: 0,
  });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/health') return json(res, 200, { ok: true, transport: 'sse' });
    if (url.pathname === '/stats') return void res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(stats()));
    if (url.pathname === '/feed' && req.method === 'PUT') return json(res, 200, { topics: ['ticks'], rate: 0, payloadBytes: 16 });
    if (url.pathname === '/messages' && req.method === 'POST') return void res.writeHead(204).end();
    if (url.pathname === '/sse') {
      const cursor = [...url.searchParams.getAll('topic'), ...url.searchParams.getAll('room')].map((name) => `${name}:0`).join(',');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`retry: 50\n\nid: ${cursor}\nevent: welcome\ndata: {"type":"welcome","client":"c1","cursor":"${cursor}"}\n\n`);
      return;
    }
    json(res, 404, { code: 'NOT_FOUND', message: 'no such endpoint: see docs/PROTOCOL.md' });
  });
  server.on('connection', (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        baseUrl: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => (sockets.forEach((s) => s.destroy()), server.close(() => done()))),
      });
    }),
  );
}

let lab: ServerProcess | undefined;
afterAll(() => lab?.stop());

describe('npm run conformance', () => {
  it('passes the lab server of a transport, each behaviour with its section, and exits 0', { timeout: 120_000 }, async () => {
    lab = await startLabServer('sse');
    const run = await conformance(
      ['--target', lab.baseUrl, '--token', LAB_TOKEN, '--encoding', 'json', '--max-buffered-bytes', String(LAB_LIMITS.maxBufferedBytes), '--reconnect-delay', '10'],
      110_000,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`conformance of the sse server at ${lab.baseUrl} to docs/PROTOCOL.md: topic ticks; encodings json; token set; PUT /feed yes; POST /drop yes`);
    expect(lines).toContain('PASS  §1     json    feed delivers every message once and in order to every subscriber');
    expect(lines).toContain('PASS  §7     json    refuses a client without the token, and sends it no data');
    const results = lines.slice(1, -1);
    expect(results.length).toBeGreaterThanOrEqual(14);
    for (const line of results) expect(line).toMatch(/^PASS  §\d+(\.\d+)? +json +\S/);
    expect(lines.at(-1)).toBe(`${results.length} passed, 0 failed, 0 skipped`);
  });

  it('reports what a broken server gets wrong, with the section, skips what it may leave out, and exits 1', { timeout: 120_000 }, async () => {
    const broken = await startBrokenServer();
    try {
      const run = await conformance(['--target', broken.baseUrl, '--encoding', 'json', '--timeout', '500'], 110_000);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('PASS  §10    json    /health names the transport and /stats reports every field');
      expect(run.stdout).toMatch(/^FAIL  §1     json    chat reaches exactly the members of the room.*\n +timed out after 500 ms waiting for the first chat message at every member$/m);
      expect(run.stdout).toMatch(/^FAIL  §1     json    feed delivers every message once.*\n +timed out after 500 ms waiting for every subscriber to receive 300 feed messages$/m);
      expect(run.stdout).toMatch(/^SKIP  §3     json    resume after a forced disconnect.*\n +needs POST \/drop \(§10\.2\), which this server does not serve \(optional\)$/m);
      expect(run.stdout).toMatch(/^SKIP  §7     json    refuses a client without the token.*\n +needs a server started with a token/m);
      const count = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(run.stdout);
      expect(count).not.toBeNull();
      const [passed, failed, skipped] = count!.slice(1).map(Number) as [number, number, number];
      expect(failed).toBeGreaterThanOrEqual(5);
      const statusLines = run.stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line));
      expect(statusLines.length).toBe(passed + failed + skipped);
    } finally {
      await broken.close();
    }
  });

  it.each([
    [[], /--target URL is required/],
    [['--target', 'http://127.0.0.1:1', '--encoding', 'xml'], /--encoding takes one of json, binary, got "xml"/],
    [['--target', 'http://127.0.0.1:1/sse'], /--target takes an http:\/\/host:port URL of the server \(no path/],
    [['--target', 'http://192.168.1.20:8080'], /--target takes a server on this machine .*loopback only/],
    [['--target', 'http://127.0.0.1:1', '--checks', 'nonsense'], /--checks names no check nonsense: the ids are health-stats, /],
    [['--target', 'http://127.0.0.1:1'], /cannot reach --target http:\/\/127.0.0.1:1 .*start the server first.*\[TARGET_UNREACHABLE\]/],
  ])('%j: exits 2 with a message that says what to fix', { timeout: 30_000 }, async (args, message) => {
    const run = await conformance(args, 25_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('    at ');
    expect(run.stdout).toBe('');
  });
});

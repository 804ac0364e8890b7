/** --target: the bench measures a server it did not start (here one in this test process), found by its /health. */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../metrics/result-types.ts';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { PATHS } from '../../../scenarios/constants.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { startTestServer } from '../../support/harness.ts';
import { runBenchProcess } from '../../support/bench-run.ts';

let server: RunningServer | undefined;
let guarded: RunningServer | undefined;
let filtered: RunningServer | undefined;
let proxy: FilterProxy | undefined;
afterAll(async () => {
  await server?.close();
  await guarded?.close();
  await proxy?.close();
  await filtered?.close();
});

interface FilterProxy {
  baseUrl: string;
  /** GET /published requests answered 404. */
  refused: number;
  close(): Promise<void>;
}

/**
 * A lab server behind a path filter: every HTTP request is passed through but GET /published, which
 * answers 404, as a target that cannot say what it published. Hand-written (node:http, a few lines):
 * no proxy library is among the dependencies, and an SSE target needs no upgrades.
 */
async function withoutPublished(upstreamUrl: string): Promise<FilterProxy> {
  const upstream = new URL(upstreamUrl);
  const proxy: FilterProxy = { baseUrl: '', refused: 0, close: () => Promise.resolve() };
  const http = createServer((req, res) => {
    if (new URL(req.url ?? '/', upstream).pathname === PATHS.published) {
      proxy.refused++;
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NOT_FOUND' }));
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    // A client that leaves (an SSE stream it closes) ends the upstream request too.
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  proxy.baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return proxy;
}

describe('bench --target', () => {
  it('detects the transport, steps the feed through PUT /feed, and measures with the token', { timeout: 60_000 }, async () => {
    server = await startTestServer('sse', { token: 'open-sesame' });
    const run = await runBenchProcess(
      ['--target', server.baseUrl, '--token', 'open-sesame', '--profile', 'quick', '--scenarios', 'feed', '--connections', '50', '--rate', '40', '--warmup', '500ms', '--duration', '1500ms', '--capacity-steps', '80', '--step-duration', '1s'],
      { timeoutMs: 50_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const results = await readResultsFile(join(run.outDir, 'latest', 'results.json'));
    // The token is a secret: results record only that one was set.
    expect(results.config.token).toBe('(set)');
    expect(JSON.stringify(results)).not.toContain('open-sesame');
    expect(results.notices.join('\n')).toContain(`measuring the sse server at ${server.baseUrl}`);
    expect(results.runs.map((r) => [r.transport, r.kind, r.load.publishRatePerSec])).toEqual([
      ['sse', 'fixed', 40],
      ['sse', 'capacity-step', 80],
    ]);
    for (const r of results.runs) {
      // The bench asked the server what it published in the window (GET /published after the drain): expected is that times the recipients.
      const published = server.hub.publishedBetween(r.window.startUs, r.window.endUs);
      const messages = Object.values(published.channels).reduce((sum, c) => sum + c.count, 0);
      expect(messages, r.id).toBeGreaterThan(0);
      expect(r.metrics.integrity.expectedFrom, r.id).toBe('server');
      expect(r.metrics.integrity.expected, r.id).toBe(messages * r.load.connections);
      expect(r.metrics.integrity.lost).toBe(0);
      expect(r.metrics.throughput.deliveries).toBeGreaterThan(0);
      expect(r.notes.join('\n')).toContain('--target');
      // A target may publish at its own rate while the lab connects: no idle reading is taken of it.
      expect(r.metrics.server?.idleRssBytesPerConnection ?? null, r.id).toBeNull();
    }
    // The lab left the target as it found it: connected clients gone, feed stopped.
    expect(server.publisher.rate).toBe(0);
  });

  it('against a target whose GET /published answers 404, expected is inferred and the results and terminal say so', { timeout: 60_000 }, async () => {
    filtered = await startTestServer('sse', { token: 'open-sesame' });
    proxy = await withoutPublished(filtered.baseUrl);
    const run = await runBenchProcess(
      ['--target', proxy.baseUrl, '--token', 'open-sesame', '--profile', 'quick', '--scenarios', 'feed', '--connections', '20', '--rate', '20', '--warmup', '500ms', '--duration', '1s', '--no-capacity'],
      { timeoutMs: 50_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.refused).toBeGreaterThan(0);
    const results = await readResultsFile(join(run.outDir, 'latest', 'results.json'));
    expect(results.runs).toHaveLength(1);
    const [r] = results.runs as [RunRecord];
    expect(r.metrics.integrity).toMatchObject({ expectedFrom: 'inferred', lost: 0 });
    expect(r.metrics.integrity.expected % 20).toBe(0);
    expect(r.metrics.integrity.expected).toBeGreaterThan(0);
    expect(r.notes.join('\n')).toMatch(/expected was inferred from the seqs the recipients saw/);
    expect(run.stdout).toMatch(/0\/[\d,]+ inferred/);
  });

  it('refuses a target that is not running, naming it', { timeout: 30_000 }, async () => {
    const run = await runBenchProcess(['--target', 'http://127.0.0.1:1', '--profile', 'quick'], { timeoutMs: 25_000 });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/cannot reach --target http:\/\/127.0.0.1:1 .*start the server first.*\[TARGET_UNREACHABLE\]/);
    expect(run.stderr).not.toContain('    at ');
  });

  it('refuses, before opening any connection, a target whose control calls refuse the token given', { timeout: 30_000 }, async () => {
    // Started without --token: its control calls take only the control token it generated.
    guarded = await startTestServer('ws');
    const run = await runBenchProcess(['--target', guarded.baseUrl, '--profile', 'quick', '--no-browser'], { timeoutMs: 25_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/refuses the bench's control calls .*pass its control token as --token.*\[TARGET_REFUSED\]/);
    expect(guarded.counters.connectionsTotal).toBe(0);
  });
});

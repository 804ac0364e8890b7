/** --target: the bench measures a server it did not start (here one in this test process), found by its /health. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResultsFile } from '../../../metrics/results-io.ts';
import type { RunningServer } from '../../../servers/server.ts';
import { startTestServer } from '../../support/harness.ts';
import { runBenchProcess } from '../../support/bench-run.ts';

let server: RunningServer | undefined;
let guarded: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  await guarded?.close();
});

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
      expect(r.metrics.integrity.lost).toBe(0);
      expect(r.metrics.throughput.deliveries).toBeGreaterThan(0);
      expect(r.notes.join('\n')).toContain('--target');
    }
    // The lab left the target as it found it: connected clients gone, feed stopped.
    expect(server.publisher.rate).toBe(0);
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

/**
 * `--capacity-axis connections` at tiny scale, run for real: the search doubles the connection count
 * (50, 100, 200) with a fresh server and fresh connections per step, at 2 messages/s per connection,
 * and ends at the maximum count it may try. The SLO is loose (p99 2 s) so that a busy test machine
 * does not decide the answer: what is checked is the search, the results file and the summary.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { runBenchProcess } from '../../support/bench-run.ts';

describe('bench --capacity-axis connections', () => {
  it('searches connection counts on fresh servers up to --capacity-max-connections; a schema-valid file and a summary in connections', { timeout: 150_000 }, async () => {
    const args = ['--profile', 'quick', '--transports', 'ws', '--scenarios', 'feed', '--connections', '20', '--rate', '10', '--warmup', '0', '--duration', '500ms'];
    const axis = ['--capacity-axis', 'connections', '--capacity-start-connections', '50', '--capacity-max-connections', '200', '--capacity-conn-rate', '2', '--step-duration', '500ms', '--slo-p99-ms', '2000'];
    const run = await runBenchProcess([...args, ...axis], { timeoutMs: 140_000 });
    expect(run.code, run.stderr).toBe(0);

    const results = await readResultsFile(join(run.outDir, 'latest', 'results.json'));
    expect(results.complete).toBe(true);
    expect(results.capacity).toHaveLength(1);
    const search = results.capacity[0]!;
    expect(search).toMatchObject({ axis: 'connections', connectionRate: 2, searchEnd: 'max-rate', stopReason: 'all-steps-passed', broke: null });
    expect(search.sustained?.connectionCount).toBe(200);

    const steps = results.runs.filter((r) => r.kind === 'capacity-step');
    expect(steps.map((r) => r.id)).toEqual(search.steps);
    expect(steps.map((r) => [r.load.connections, r.load.publishRatePerSec, r.load.offeredDeliveriesPerSec])).toEqual([
      [50, 2, 100],
      [100, 2, 200],
      [200, 2, 400],
    ]);
    for (const step of steps) {
      expect(step.metrics.errors.connectFailures, step.id).toBe(0);
      expect(step.metrics.throughput.deliveries, step.id).toBeGreaterThan(0);
    }
    // A fresh server per step: one for the fixed run, one for each of the three steps.
    expect(run.stderr.match(/ws feed json: starting the server/g)).toHaveLength(4);

    expect(run.stdout).toContain('Capacity in connections (SLO: p99 <= 2000 ms, loss <= 0)');
    const row = run.stdout.split('\n').find((line) => /^\s+ws\s+feed\s+json\s+2\s+200\s/.test(line));
    expect(row, run.stdout).toBeDefined();
    expect(row).toContain('no step broke the SLO (holds at least 200 connections): the most connections the search may try held (--capacity-max-connections)');
    // The rate-axis table (deliveries/s) does not list it.
    expect(run.stdout).not.toContain('sustained/s');
  });
});

/**
 * The quick profile of `npm run bench`, run for real against one transport: the results file must
 * satisfy the schema, every run must have delivered with nothing lost, and no process may be left.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { TransportName } from '../../../scenarios/constants.ts';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { isAlive, runBenchProcess } from '../../support/bench-run.ts';

export function quickProfileSuite(transport: TransportName): void {
  it(`npm run bench -- --profile quick --transports ${transport}: schema-valid results, deliveries, no loss, nothing left running`, { timeout: 150_000 }, async () => {
    const run = await runBenchProcess(['--profile', 'quick', '--transports', transport, '--json'], { timeoutMs: 140_000 });
    expect(run.code, run.stderr).toBe(0);

    const latest = await readResultsFile(join(run.outDir, 'latest', 'results.json'));
    const printed: unknown = JSON.parse(run.stdout);
    expect(printed).toEqual(latest);
    const path = /^results: (.+)$/m.exec(run.stderr)![1]!;
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(latest);

    expect(latest.complete).toBe(true);
    expect(latest.environment.node).toBe(process.version);
    expect(latest.clock?.agreed).toBe(true);
    const fixed = latest.runs.filter((r) => r.kind === 'fixed');
    expect(fixed.map((r) => r.scenario).sort()).toEqual(['chat', 'feed']);
    for (const r of latest.runs) {
      expect(r.transport).toBe(transport);
      expect(r.client).toBe('node');
      expect(r.complete).toBe(true);
      expect(r.metrics.throughput.deliveries, r.id).toBeGreaterThan(0);
      expect(r.metrics.integrity.lost, r.id).toBe(0);
      expect(r.metrics.integrity.received, r.id).toBe(r.metrics.integrity.expected);
      expect(r.metrics.errors.connectFailures, r.id).toBe(0);
      expect(r.metrics.latency?.count ?? 0, r.id).toBeGreaterThan(0);
      expect(r.metrics.server?.cpuMsPer1kDeliveries, r.id).toBeGreaterThan(0);
      expect(r.timeline.some((p) => p.phase === 'measure' && p.deliveries > 0), r.id).toBe(true);
    }
    const chat = fixed.find((r) => r.scenario === 'chat')!;
    expect(chat.metrics.rtt?.count).toBeGreaterThan(0);
    expect(chat.metrics.errors.sendFailures).toBe(0);
    expect(latest.capacity).toHaveLength(1);
    expect(latest.capacity[0]!.steps.length).toBeGreaterThan(0);

    for (const pid of run.childPids) expect(isAlive(pid), `process ${pid} started by the bench is still running`).toBe(false);
    expect(run.childPids.size).toBeGreaterThanOrEqual(3);
  });
}

/**
 * The quick profile of `npm run bench`, run for real against one transport: the results file must
 * satisfy the schema, every run must have delivered with nothing lost, and no process may be left.
 * The capacity search steps to 40,000 deliveries/s rather than the profile's 200,000: a load this
 * machine sustains while other work runs beside the tests, so what the test sees is the product,
 * not a saturated machine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { TransportName } from '../../../scenarios/constants.ts';
import type { RunRecord } from '../../../metrics/result-types.ts';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { isAlive, runBenchProcess } from '../../support/bench-run.ts';

/** Feed publish rates of the capacity steps: 20,000 and 40,000 deliveries/s to the profile's 200 subscribers. */
const CAPACITY_STEPS = '100,200';

/** What the results say caused a run's loss: the server cutting clients it judged slow, or a drain that ran out of time. */
function lossAttributedTo(r: RunRecord): string | null {
  const cut = r.metrics.server?.slowConsumerDisconnects ?? 0;
  if (cut > 0) return `the server cut ${cut} slow consumers`;
  return r.notes.find((note) => note.startsWith('in-window arrivals had not settled')) ?? null;
}

export function quickProfileSuite(transport: TransportName): void {
  it(`npm run bench -- --profile quick --transports ${transport} --capacity-steps ${CAPACITY_STEPS}: schema-valid results, deliveries, no loss, nothing left running`, { timeout: 150_000 }, async () => {
    const run = await runBenchProcess(['--profile', 'quick', '--transports', transport, '--capacity-steps', CAPACITY_STEPS, '--json'], { timeoutMs: 140_000 });
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
      // Loss the results explain is the product reporting a busy machine honestly; any other loss is a failure.
      const attributed = lossAttributedTo(r);
      if (attributed === null) {
        expect(r.metrics.integrity.lost, r.id).toBe(0);
        expect(r.metrics.integrity.received, r.id).toBe(r.metrics.integrity.expected);
      }
      expect(r.metrics.errors.connectFailures, r.id).toBe(0);
      expect(r.metrics.latency?.count ?? 0, r.id).toBeGreaterThan(0);
      expect(r.metrics.server?.cpuMsPer1kDeliveries, r.id).toBeGreaterThan(0);
      // Read once every connection had opened (null only if the RSS fell below its baseline meanwhile).
      expect(r.metrics.server, r.id).toHaveProperty('idleRssBytesPerConnection');
      expect(r.timeline.some((p) => p.phase === 'measure' && p.deliveries > 0), r.id).toBe(true);
    }
    const chat = fixed.find((r) => r.scenario === 'chat')!;
    expect(chat.metrics.rtt?.count).toBeGreaterThan(0);
    if (lossAttributedTo(chat) === null) expect(chat.metrics.errors.sendFailures).toBe(0);
    expect(latest.capacity).toHaveLength(1);
    expect(latest.capacity[0]!.steps.length).toBeGreaterThan(0);

    for (const pid of run.childPids) expect(isAlive(pid), `process ${pid} started by the bench is still running`).toBe(false);
    expect(run.childPids.size).toBeGreaterThanOrEqual(3);
  });
}

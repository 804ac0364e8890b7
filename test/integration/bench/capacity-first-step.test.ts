/**
 * A rate search whose start rate is the fixed-load run's: that run is the search's first step, and
 * the search goes on from it (up when it held, down when it broke) instead of measuring it again.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { runBenchProcess } from '../../support/bench-run.ts';

it('the fixed run at the start rate is the first step: the first capacity step is at twice (or half) that rate', { timeout: 90_000 }, async () => {
  const run = await runBenchProcess(
    ['--profile', 'quick', '--transports', 'ws', '--scenarios', 'feed', '--no-browser', '--connections', '20', '--rate', '20', '--capacity-start', '20', '--capacity-max-steps', '3', '--warmup', '500ms', '--duration', '1s', '--step-duration', '1s'],
    { timeoutMs: 80_000 },
  );
  expect(run.code, run.stderr).toBe(0);
  const results = await readResultsFile(join(run.outDir, 'latest', 'results.json'));
  const fixed = results.runs.find((r) => r.kind === 'fixed')!;
  const steps = results.runs.filter((r) => r.kind === 'capacity-step');
  const search = results.capacity[0]!;
  expect(search.steps[0]).toBe(fixed.id);
  expect(search.steps.slice(1)).toEqual(steps.map((s) => s.id));
  // Three steps in all, the fixed run counted: two capacity steps, numbered from 1.
  expect(steps.map((s) => s.step?.index)).toEqual([1, 2]);
  // 20 messages/s to 20 subscribers holds here: the search doubles from it.
  expect(steps[0]!.load.publishRatePerSec).toBe(40);
  expect(search.sustained?.offeredDeliveriesPerSec).toBeGreaterThanOrEqual(400);
});

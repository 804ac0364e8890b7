/**
 * `npm run bench -- --clients browser` per transport, as a user runs it: real servers, real Chromium
 * with its own WebSocket, EventSource and fetch. Asserts delivery, order, the recorded metrics, the
 * reconnect run, and that no process the bench started (Chromium included) outlives it, whether
 * the test passed or failed.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { treePids } from '../../clients/browser/process-tree.ts';
import { readResultsFile } from '../../metrics/results-io.ts';
import { scratchPath } from '../support/scratch.ts';
import type { ResultsFile, RunRecord } from '../../metrics/result-types.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import { runBenchProcess, survivors } from '../support/bench-run.ts';

const TRANSPORTS: TransportName[] = ['ws', 'sse', 'long-poll'];
const CLIENTS = 12;
const seen = new Set<number>();

afterAll(async () => {
  // Whatever the tests did: nothing the bench started may still run.
  const alive = await survivors(seen);
  const described = alive.map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}`;
    } catch {
      return `${pid} (exited while being described)`;
    }
  });
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  expect(described, 'processes left behind by the bench').toEqual([]);
});

function run(results: ResultsFile, id: string): RunRecord {
  const found = results.runs.find((r) => r.id === id);
  expect(found, `run ${id} in ${results.runs.map((r) => r.id).join(', ')}`).toBeDefined();
  return found!;
}

describe.each(TRANSPORTS)('npm run bench -- --clients browser --transports %s', (transport) => {
  it('runs feed, chat and reconnect in Chromium with every message delivered once and in order', { timeout: 120_000 }, async () => {
    // Only one transport pays for the connection-limit finding.
    const scenarioFile = scratchPath(`pushbench-browser-${transport}-${process.pid}.json`);
    await writeFile(scenarioFile, JSON.stringify({ browser: { connectionLimit: transport === 'sse' } }));
    let rootPid = 0;
    const watch = setInterval(() => {
      if (rootPid !== 0) for (const pid of treePids(rootPid)) if (pid !== rootPid) seen.add(pid);
    }, 250);
    const outcome = await runBenchProcess(
      ['--profile', 'quick', '--clients', 'browser', '--transports', transport, '--scenarios', 'feed,chat', '--browser-clients', String(CLIENTS), '--duration', '2s', '--warmup', '500ms', '--scenario-file', scenarioFile],
      { timeoutMs: 110_000, onStart: (pid) => (rootPid = pid) },
    );
    clearInterval(watch);
    expect(outcome.code, outcome.stderr.slice(-3000)).toBe(0);
    expect(seen.size, 'the bench started a server, a browser worker and Chromium').toBeGreaterThanOrEqual(3);

    const results = await readResultsFile(join(outcome.outDir, 'latest', 'results.json'));
    expect(results.complete).toBe(true);
    expect(results.runs.every((r) => r.client === 'browser')).toBe(true);

    const feed = run(results, `${transport}/feed/json/browser`);
    expect(feed.load.connections).toBe(CLIENTS);
    expect(feed.metrics.connect?.count).toBe(CLIENTS);
    expect(feed.metrics.throughput.deliveries).toBeGreaterThan(0);
    expect(feed.metrics.latency?.count).toBe(feed.metrics.throughput.deliveries);
    expect(feed.metrics.integrity).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(feed.metrics.integrity.received).toBe(feed.metrics.integrity.expected);
    expect(feed.metrics.bytes.perMessage, 'a page cannot see socket bytes: not measured, not 0').toBeNull();
    const browser = feed.metrics.client.browser!;
    expect(browser.cpuCores).toBeGreaterThan(0);
    expect(browser.memoryBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(browser.processes).toBeGreaterThanOrEqual(2);
    expect(browser.version).toMatch(/Chrom/);
    expect(feed.timeline.some((point) => point.deliveries > 0 && point.connections === CLIENTS)).toBe(true);
    expect(results.clock?.samples.some((sample) => sample.process.startsWith('Chromium 1 page 1'))).toBe(true);

    const chat = run(results, `${transport}/chat/json/browser`);
    expect(chat.metrics.rtt?.count).toBeGreaterThan(0);
    expect(chat.metrics.integrity).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(chat.metrics.errors.sendFailures).toBe(0);

    const reconnect = run(results, `${transport}/feed/json/browser/reconnect`).reconnect!;
    expect(reconnect.droppedConnections).toBeGreaterThanOrEqual(CLIENTS);
    expect(reconnect.notResumed).toBe(0);
    expect(reconnect.resume?.count).toBe(CLIENTS);
    expect(reconnect.missed).toBe(0);
    expect(reconnect.duplicates).toBe(0);
    if (transport === 'long-poll') {
      // Chromium retries a poll whose idle keep-alive connection died, so pages may not see the drop at all.
      expect(reconnect.sawDisconnect).toBeLessThanOrEqual(CLIENTS);
    } else {
      expect(reconnect.sawDisconnect).toBe(CLIENTS);
      expect(reconnect.reopened).toBe(CLIENTS);
      // The first retry waits 1 s: the server's retry: (SSE) or the seed backoff (WebSocket).
      expect(reconnect.reopen!.p50).toBeGreaterThanOrEqual(900);
      expect(reconnect.recovered).toBeGreaterThan(0);
    }
    if (transport === 'ws') expect(reconnect.attempts).toBe(CLIENTS);

    if (transport === 'sse') {
      const finding = results.findings?.[0];
      expect(finding).toMatchObject({ kind: 'connections-per-origin', attempted: 7, openedAtOnce: 6 });
    } else expect(results.findings ?? []).toEqual([]);
    expect(existsSync(join(outcome.outDir, 'latest', 'report.html'))).toBe(true);
  });
});

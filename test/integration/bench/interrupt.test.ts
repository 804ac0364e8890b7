/** Ctrl-C mid-run: partial results are written and marked incomplete, and every child process stops. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResultsFile } from '../../../metrics/results-io.ts';
import { nowMicros } from '../../../scenarios/clock.ts';
import { PATHS } from '../../../scenarios/constants.ts';
import type { ServerStatsSnapshot } from '../../../servers/stats.ts';
import { childrenOf, commandLineOf, isAlive, listeningPortsOf, runBenchProcess, survivors } from '../../support/bench-run.ts';
import { labProcessOf } from '../../support/lab-processes.ts';

const WARMUP_MS = 1000;
const SUBSCRIBERS = 50;
const RATE_PER_SEC = 20;
/** Two seconds of the feed: enough that the load client has received some of it, however busy the machine. */
const DELIVERED_BEFORE_INTERRUPT = 2 * SUBSCRIBERS * RATE_PER_SEC;
const CONDITION_TIMEOUT_MS = 30_000;

describe('bench interrupted', () => {
  it('SIGINT during a window writes the partial run (incomplete, schema-valid), exits 130, and leaves no server or worker', { timeout: 60_000 }, async () => {
    let benchPid = 0;
    let armed = false;
    let processesAtInterrupt: number[] = [];
    let conditionFailure: Error | undefined;
    const run = await runBenchProcess(
      ['--profile', 'quick', '--transports', 'ws', '--scenarios', 'feed', '--connections', String(SUBSCRIBERS), '--rate', String(RATE_PER_SEC), '--warmup', `${WARMUP_MS}ms`, '--duration', '20s'],
      {
        timeoutMs: 50_000,
        onStart: (pid) => (benchPid = pid),
        onStderr: (text) => {
          if (armed || !/measuring 20 s/.test(text)) return;
          armed = true;
          // The bench prints this line, then starts the window WARMUP_MS later: no later than this.
          const windowStartUs = nowMicros() + WARMUP_MS * 1000;
          interruptOnceDelivered(benchPid, windowStartUs).then(
            (pids) => (processesAtInterrupt = pids),
            (err: Error) => {
              conditionFailure = err;
              process.kill(benchPid, 'SIGKILL');
            },
          );
        },
      },
    );
    expect(conditionFailure).toBeUndefined();
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('SIGINT');
    const dirs = (await readdir(run.outDir)).filter((d) => d !== 'latest');
    expect(dirs).toHaveLength(1);
    const results = await readResultsFile(join(run.outDir, dirs[0]!, 'results.json'));
    expect(results.complete).toBe(false);
    expect(results.interruption).toMatch(/SIGINT/);
    expect(results.runs).toHaveLength(1);
    expect(results.runs[0]!.complete).toBe(false);
    expect(results.runs[0]!.metrics.throughput.deliveries).toBeGreaterThan(0);
    // Expected from what the server published in the part that ran, and the loss figure said to be partial.
    expect(results.runs[0]!.metrics.integrity.expectedFrom).toBe('server');
    expect(results.runs[0]!.metrics.integrity.expected % SUBSCRIBERS).toBe(0);
    expect(results.runs[0]!.notes.join('\n')).toContain('its loss is partial (collected without a drain');
    expect(run.stdout).toContain('INCOMPLETE');
    // The server and both load workers were running when the bench was interrupted, and none is left.
    expect(processesAtInterrupt.length).toBeGreaterThanOrEqual(3);
    for (const pid of [...processesAtInterrupt, ...run.childPids]) expect(isAlive(pid), `process ${pid} is still running`).toBe(false);
  });
});

describe('bench terminated during set-up', () => {
  // 200 connections at 20 per second: a bench that waited for its set-up to finish would take more than 10 s to stop.
  const SLOW_SETUP = ['--profile', 'quick', '--transports', 'ws', '--scenarios', 'feed', '--no-capacity', '--connections', '200', '--connect-rate', '20'];
  const PROMPT_EXIT_MS = 5000;

  it('SIGTERM as soon as the server is forked: exits 143 within seconds, writes the results marked incomplete, and leaves no child', { timeout: 40_000 }, async () => {
    let benchPid = 0;
    let armed = false;
    let processesAtSignal: number[] = [];
    let signalledAt = 0;
    let conditionFailure: Error | undefined;
    const run = await runBenchProcess(SLOW_SETUP, {
      timeoutMs: 30_000,
      onStart: (pid) => (benchPid = pid),
      onStderr: (text) => {
        if (armed || !/starting the server/.test(text)) return;
        armed = true;
        terminateOnceForked(benchPid).then(
          (pids) => {
            processesAtSignal = pids;
            signalledAt = performance.now();
          },
          (err: Error) => {
            conditionFailure = err;
            process.kill(benchPid, 'SIGKILL');
          },
        );
      },
    });
    const exitedAfterMs = performance.now() - signalledAt;
    expect(conditionFailure).toBeUndefined();
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain('pushbench: SIGTERM: finishing the current window');
    expect(exitedAfterMs).toBeLessThan(PROMPT_EXIT_MS);
    const dirs = await readdir(run.outDir);
    // No run finished, so latest/ is not written (nor printed), and the bench's own folder says why it ended.
    expect(dirs).toHaveLength(1);
    const results = await readResultsFile(join(run.outDir, dirs[0]!, 'results.json'));
    expect(results.complete).toBe(false);
    expect(results.interruption).toMatch(/SIGTERM/);
    expect(results.runs).toEqual([]);
    expect(run.stdout).toContain('INCOMPLETE');
    expect(run.stdout).not.toContain('latest:');
    expect(processesAtSignal.length).toBeGreaterThanOrEqual(1);
    expect(await survivors([...processesAtSignal, ...run.childPids]), 'processes still running').toEqual([]);
  });
});

/** Sends the bench SIGTERM once it has a child process (its server, forked right after "starting the server"); returns its children then. */
async function terminateOnceForked(benchPid: number): Promise<number[]> {
  const deadline = performance.now() + CONDITION_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const children = await childrenOf(benchPid);
    if (children.length > 0) {
      process.kill(benchPid, 'SIGTERM');
      return children;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the bench started no child process within ${CONDITION_TIMEOUT_MS / 1000} s of "starting the server"`);
}

/**
 * Sends the bench SIGINT once its server has delivered DELIVERED_BEFORE_INTERRUPT messages after
 * the window started (read from the server's own /stats), and returns the bench's child processes
 * at that moment.
 */
async function interruptOnceDelivered(benchPid: number, windowStartUs: number): Promise<number[]> {
  const children = await childrenOf(benchPid);
  const commands = await Promise.all(children.map(commandLineOf));
  const server = children.find((_, i) => labProcessOf(commands[i]!) === 'server');
  if (server === undefined) throw new Error(`no server among the bench's processes: ${commands.join('; ')}`);
  const [port] = await listeningPortsOf(server);
  if (port === undefined) throw new Error(`the server (pid ${server}) listens on no TCP port`);
  const deadline = performance.now() + CONDITION_TIMEOUT_MS;
  let atWindowStart: number | undefined;
  let delivered = 0;
  while (performance.now() < deadline) {
    const stats = (await (await fetch(`http://127.0.0.1:${port}${PATHS.stats}`)).json()) as ServerStatsSnapshot;
    if (stats.now >= windowStartUs) {
      atWindowStart ??= stats.messages.delivered;
      delivered = stats.messages.delivered - atWindowStart;
      if (delivered >= DELIVERED_BEFORE_INTERRUPT) {
        const processes = await childrenOf(benchPid);
        process.kill(benchPid, 'SIGINT');
        return processes;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server delivered ${delivered} messages in the window within ${CONDITION_TIMEOUT_MS / 1000} s, not ${DELIVERED_BEFORE_INTERRUPT}`);
}

/**
 * The lab's own share of delivery latency (clients/load/read-queue.ts), measured as a load worker
 * measures it: the load connections and the Node recorder in this process, the server in its own
 * (so its fan-out does not run on the subscribers' event loop). Many subscribers in one worker
 * queue their reads behind each other; a single one does not.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import { startServerProcess, type ServerProcess } from '../../bench/server-process.ts';
import { createLoadConnection } from '../../clients/load/create-connection.ts';
import { LoadContext, type LoadConnection } from '../../clients/load/load-connection.ts';
import { Recorder, slotOf } from '../../clients/load/recorder.ts';
import { decodeHistogram, type Histogram } from '../../metrics/histogram.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import { sleep } from '../support/harness.ts';

const PAYLOAD_BYTES = 16;
const WINDOW_MS = 1000;
const WARMUP_MS = 300;
const DRAIN_MS = 300;
const OPENS_AT_ONCE = 200;
const SUBSCRIBERS = 1000;

let server: ServerProcess;
let api: ServerApi;
const registry = new Set<ChildProcess>();

beforeAll(async () => {
  server = await startServerProcess({ transport: 'ws', payloadBytes: PAYLOAD_BYTES, token: null, registry });
  api = new ServerApi(server.baseUrl, null, server.controlToken);
}, 20_000);

afterAll(async () => {
  await server?.stop();
});

interface Measured {
  latency: Histogram;
  queue: Histogram;
  eventLoopUtilization: number | undefined;
}

/** `subscribers` feed subscribers over WebSocket, one window at `rate` messages/s. */
async function measure(subscribers: number, rate: number): Promise<Measured> {
  let recorder: Recorder | undefined;
  const context = new LoadContext(
    { transport: 'ws', baseUrl: server.baseUrl, encoding: 'json', token: null },
    {
      data: (c, m, at) => recorder!.data(c, m, at),
      problem: (c, kind, detail) => recorder!.problem(c, kind, detail),
      lost: (c, detail) => recorder!.lost(c, detail),
    },
  );
  const connections: LoadConnection[] = Array.from({ length: subscribers }, (_, i) => createLoadConnection({ id: `s${i}`, topics: ['ticks'], rooms: [] }, context));
  recorder = new Recorder(connections, () => context.postBytes.totals());
  try {
    for (let i = 0; i < connections.length; i += OPENS_AT_ONCE) {
      await Promise.all(connections.slice(i, i + OPENS_AT_ONCE).map(async (c) => {
        await c.open();
        slotOf(c).open = true;
      }));
    }
    expect(await api.setFeed(rate, PAYLOAD_BYTES)).toBe(true);
    await sleep(WARMUP_MS);
    const startUs = nowMicros();
    recorder.startWindow(startUs, startUs + WINDOW_MS * 1000, startUs);
    await sleep(WINDOW_MS + DRAIN_MS);
    expect(await api.setFeed(0, PAYLOAD_BYTES)).toBe(true);
    const report = recorder.collect();
    expect(report.readQueue).toEqual(expect.any(String));
    return { latency: decodeHistogram(report.latency), queue: decodeHistogram(report.readQueue!), eventLoopUtilization: report.eventLoopUtilization };
  } finally {
    recorder.stop();
    await Promise.allSettled(connections.map((c) => c.close()));
    await context.close();
  }
}

const ms = (h: Histogram, p: number): number => h.getValueAtPercentile(p) / 1000;

describe("the lab's own read queueing", () => {
  let many: Measured;
  let one: Measured;

  beforeAll(async () => {
    many = await measure(SUBSCRIBERS, 3);
    one = await measure(1, 20);
  }, 30_000);

  it(`${SUBSCRIBERS} subscribers in one worker: their reads queue behind each other, and that wait is part of, and below, the latency`, () => {
    // Every in-window delivery has its wait recorded beside its latency.
    expect(many.queue.totalCount).toBe(many.latency.totalCount);
    // 3 messages/s: at least 2 in the window.
    expect(many.latency.totalCount).toBeGreaterThanOrEqual(SUBSCRIBERS * 2);
    // Reading a thousand sockets takes milliseconds: the last reads of a message waited for the first.
    expect(ms(many.queue, 99)).toBeGreaterThan(0.5);
    // No read waits from before its message was due, so the wait never exceeds the latency; the first read
    // of a burst waited nothing while its latency still holds the server's fan-out and the network. (On
    // an overloaded machine whose worker never went idle, p99 may reach the latency itself: hence <=.)
    expect(ms(many.queue, 99)).toBeLessThanOrEqual(ms(many.latency, 99));
    expect(many.queue.mean).toBeLessThan(many.latency.mean);
    expect(many.queue.minNonZeroValue).toBeLessThan(many.latency.minNonZeroValue);
    expect(many.eventLoopUtilization).toBeGreaterThan(0);
    expect(many.eventLoopUtilization).toBeLessThanOrEqual(1);
  });

  it('a single subscriber waits behind nothing: its queueing is ~0', () => {
    expect(one.queue.totalCount).toBe(one.latency.totalCount);
    expect(one.latency.totalCount).toBeGreaterThanOrEqual(10);
    expect(ms(one.queue, 100)).toBeLessThan(0.5);
    expect(one.eventLoopUtilization).toBeLessThan(many.eventLoopUtilization!);
  });
});

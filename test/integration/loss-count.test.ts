/**
 * Loss is counted against what the server published (GET /published, docs/PROTOCOL.md §10.4), and
 * every lost message is put down to its cause. Real lab servers, the lab's own load connections and
 * recorder in-process; the test publishes the feed itself with chosen due times, and makes the
 * server skip a message for some subscribers by taking them out of the topic's members for that one
 * publish (a long poll held then is also moved past it, as the fan-out would have): the message is
 * published, and recorded as such, but never sent to them.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import { createLoadConnection } from '../../clients/load/create-connection.ts';
import { LoadContext, type LoadConnection } from '../../clients/load/load-connection.ts';
import { Recorder, slotOf } from '../../clients/load/recorder.ts';
import { integrityAgainst, mergeTallies, type ChannelTally } from '../../metrics/integrity.ts';
import type { Integrity } from '../../metrics/result-types.ts';
import { nowMicros } from '../../scenarios/clock.ts';
import { CLOSE_CODES, TRANSPORTS, type TransportName } from '../../scenarios/constants.ts';
import type { Hub, HubMessage, Member } from '../../servers/hub.ts';
import type { ServerOptions } from '../../servers/options.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';

const TOPIC = 'ticks';
const PAYLOAD = Buffer.from('tick');

interface Lab {
  server: RunningServer;
  api: ServerApi;
  context: LoadContext;
  connections: LoadConnection[];
  recorder: Recorder;
  /** Arrivals per seq, any connection. */
  arrivals: Map<number, number>;
}

let lab: Lab | undefined;

afterEach(async () => {
  if (lab === undefined) return;
  lab.recorder.stop();
  await Promise.all(lab.connections.map((c) => c.close().catch(() => undefined)));
  await lab.context.close();
  await lab.server.close();
  lab = undefined;
});

async function until(condition: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function startLab(transport: TransportName, subscribers: number, serverOptions: Partial<ServerOptions> = {}): Promise<Lab> {
  const server = await startServer({ transport, port: 0, feedRate: 0, ...serverOptions });
  const arrivals = new Map<number, number>();
  let recorder: Recorder | undefined;
  const context = new LoadContext(
    { transport, baseUrl: server.baseUrl, encoding: 'json', token: null },
    {
      data: (c, m, at) => {
        recorder!.data(c, m, at);
        arrivals.set(m.seq, (arrivals.get(m.seq) ?? 0) + 1);
      },
      problem: (c, kind, detail) => recorder!.problem(c, kind, detail),
      lost: (c, detail, cause) => recorder!.lost(c, detail, cause),
    },
  );
  const connections = Array.from({ length: subscribers }, (_, i) => createLoadConnection({ id: `f${i}`, topics: [TOPIC], rooms: [] }, context));
  recorder = new Recorder(connections, () => ({ read: 0, written: 0 }));
  for (const connection of connections) {
    await connection.open();
    slotOf(connection).open = true;
  }
  lab = { server, api: new ServerApi(server.baseUrl, null, server.controlToken), context, connections, recorder, arrivals };
  return lab;
}

/** Every subscriber is ready for the next message: a long poll is held (between polls it would catch up from the replay buffer). */
async function settled(l: Lab): Promise<void> {
  if (l.server.transport === 'long-poll') await until(() => l.server.stats().connections.open === l.connections.length, 'every poll held');
}

/** Publishes one feed message due at `dueUs`, sent to every subscriber but those `skip` picks (by their position among the members). */
async function publish(l: Lab, dueUs: number, skip: (index: number) => boolean = () => false): Promise<HubMessage> {
  await settled(l);
  const hub = l.server.hub as Hub<Member>;
  const channel = hub.channel(TOPIC)!;
  const skipped = [...channel.members].filter((_, i) => skip(i));
  for (const member of skipped) channel.members.delete(member);
  const message = hub.publish(TOPIC, PAYLOAD, false, dueUs);
  for (const member of skipped) {
    channel.members.add(member);
    // A held poll keeps its cursor: move it past the message, as its fan-out would have.
    const poll = member as Member & { subscribed?: unknown[]; held?: number[] };
    if (poll.held !== undefined && poll.subscribed !== undefined) poll.held[poll.subscribed.indexOf(channel)] = message.seq;
  }
  // One message at a time: a held poll's cursor is moved only once it holds every earlier message.
  const recipients = l.connections.filter((c) => slotOf(c).open).length - skipped.length;
  await until(() => (l.arrivals.get(message.seq) ?? 0) === recipients, `message ${message.seq} at its ${recipients} recipients`);
  return message;
}

/**
 * Runs one window of `inWindow` messages 1 ms of due time apart, between one message before it and
 * one after it that everyone gets; `skip(k, index)` says which subscribers miss the k-th (1-based).
 */
async function runWindow(l: Lab, inWindow: number, skip: (k: number, index: number) => boolean, published: 'ask' | 'none' = 'ask'): Promise<Integrity> {
  const startUs = Math.floor(nowMicros());
  const endUs = startUs + (inWindow + 1) * 1000;
  l.recorder.startWindow(startUs, endUs, nowMicros());
  await publish(l, startUs - 500);
  for (let k = 1; k <= inWindow; k++) await publish(l, startUs + k * 1000 - 500, (index) => skip(k, index));
  await publish(l, endUs + 500);
  const report = l.recorder.collect();
  const tallies = mergeTallies(new Map<string, ChannelTally>(), report.tallies);
  return integrityAgainst(tallies, published === 'ask' ? await l.api.published(startUs, endUs) : null);
}

describe.each(TRANSPORTS)('loss over %s, counted against what the server published', (transport) => {
  it("a server that skips the window's first and last message for everyone: exactly recipients x 2 lost, expected exact", async () => {
    const l = await startLab(transport, 6);
    const integrity = await runWindow(l, 10, (k) => k === 1 || k === 10);
    expect(integrity).toMatchObject({ expectedFrom: 'server', expected: 6 * 10, received: 6 * 8, lost: 6 * 2, duplicated: 0 });
    expect(integrity.lostBy).toEqual({ serverCut: { count: 0, connections: 0, codes: [] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 12 });
  });

  it('a server that skips every 10th message for half its subscribers: exactly 10 % of half lost (the issue: 400 of 8,000)', async () => {
    const l = await startLab(transport, 10);
    const integrity = await runWindow(l, 40, (k, index) => k % 10 === 0 && index % 2 === 0);
    // 40 messages x 10 subscribers; 4 skipped messages x 5 subscribers.
    expect(integrity).toMatchObject({ expectedFrom: 'server', expected: 400, received: 380, lost: 20 });
    expect(integrity.lostBy?.neverArrived).toBe(20);
  });

  it('without GET /published, expected is inferred from the seqs the recipients saw, and says so: the edges go uncounted', async () => {
    const l = await startLab(transport, 4);
    const integrity = await runWindow(l, 10, (k) => k === 1 || k === 10 || k === 5, 'none');
    // Inferred: seqs 2 to 9 (8 messages); the skipped 5th is counted, the edges are not.
    expect(integrity).toMatchObject({ expectedFrom: 'inferred', expected: 4 * 8, received: 4 * 7, lost: 4 });
  });
});

describe.each(['ws', 'sse'] as const)('loss over %s at a subscriber the server cut', (transport) => {
  it('what a cut subscriber missed is lost under "server cut", with its code; the others lost nothing', async () => {
    const l = await startLab(transport, 4);
    const startUs = Math.floor(nowMicros());
    const endUs = startUs + 10_000;
    l.recorder.startWindow(startUs, endUs, nowMicros());
    for (let k = 1; k <= 4; k++) await publish(l, startUs + k * 1000);
    // POST /ban closes the connections of f0 (WS 4003 BANNED; SSE: event error BANNED, then the end).
    expect(await l.api.ban('f0')).toBe(1);
    await until(() => !slotOf(l.connections[0]!).open, 'the cut');
    for (let k = 5; k <= 8; k++) await publish(l, startUs + k * 1000);
    await publish(l, endUs + 500);
    const report = l.recorder.collect();
    const integrity = integrityAgainst(mergeTallies(new Map(), report.tallies), await l.api.published(startUs, endUs));
    const code = transport === 'ws' ? '4003 BANNED' : 'BANNED';
    expect(integrity).toMatchObject({ expectedFrom: 'server', expected: 4 * 8, lost: 4 });
    expect(integrity.lostBy).toEqual({ serverCut: { count: 4, connections: 1, codes: [{ code, count: 4, connections: 1 }] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 0 });
  });

  it('a connection torn down as a network failure would (POST /drop) counts under "connection failed"', async () => {
    const l = await startLab(transport, 3);
    const startUs = Math.floor(nowMicros());
    const endUs = startUs + 10_000;
    l.recorder.startWindow(startUs, endUs, nowMicros());
    await publish(l, startUs + 1000);
    expect(await l.api.drop()).toBe(3);
    await until(() => l.connections.every((c) => !slotOf(c).open), 'every connection lost');
    await publish(l, startUs + 2000);
    await publish(l, startUs + 3000);
    const report = l.recorder.collect();
    const integrity = integrityAgainst(mergeTallies(new Map(), report.tallies), await l.api.published(startUs, endUs));
    expect(integrity).toMatchObject({ expected: 9, received: 3, lost: 6 });
    expect(integrity.lostBy).toEqual({ serverCut: { count: 0, connections: 0, codes: [] }, connectionFailed: { count: 6, connections: 3 }, neverArrived: 0 });
  });
});

/**
 * Makes a load connection stop reading, as a consumer that falls behind does; returns what resumes it.
 * Both load connections read a raw socket (clients/load/wire/raw-socket.ts): pausing it stops the reads.
 */
function stopReading(connection: LoadConnection): () => void {
  const socket = (connection as unknown as { socket: Socket }).socket;
  socket.pause();
  return () => socket.resume();
}

/** The server's own slow-consumer limit (--max-buffered-bytes, PROTOCOL.md §9), small so that a few MiB stall a reader past it. */
const SMALL_BACKLOG_BYTES = 256 * 1024;
const BIG_PAYLOAD = Buffer.alloc(16 * 1024, 'x');
/** Messages published per turn: well under the backlog limit at a reader that keeps up (8 x 16 KiB). */
const BATCH = 8;
/** The kernel's socket buffers absorb some MiB at a stalled reader before the server's own buffer grows. */
const STALL_BUDGET_MESSAGES = (64 * 1024 * 1024) / BIG_PAYLOAD.length;

describe.each(['ws', 'sse'] as const)('loss over %s at a subscriber the server cut as a slow consumer', (transport) => {
  it('a subscriber that stops reading is cut with the slow-consumer code; what it missed is lost under "server cut", the others lost nothing', async () => {
    const l = await startLab(transport, 4, { maxBufferedBytes: SMALL_BACKLOG_BYTES });
    const [stalled, ...healthy] = l.connections as [LoadConnection, ...LoadConnection[]];
    const startUs = Math.floor(nowMicros());
    const endUs = startUs + 10_000_000;
    l.recorder.startWindow(startUs, endUs, nowMicros());
    const hub = l.server.hub as Hub<Member>;
    let published = 0;
    const publishBatch = async (count: number): Promise<void> => {
      let last = 0;
      for (let i = 0; i < count; i++) last = hub.publish(TOPIC, BIG_PAYLOAD, false, startUs + ++published * 100).seq;
      await until(() => healthy.every((c) => (slotOf(c).tracks.get(TOPIC)?.last ?? 0) >= last), `message ${last} at every reader that keeps up`);
    };

    await publishBatch(BATCH);
    const resume = stopReading(stalled);
    const cutsBefore = l.server.stats().disconnects.slowConsumer;
    while (l.server.stats().disconnects.slowConsumer === cutsBefore) {
      if (published > STALL_BUDGET_MESSAGES) throw new Error(`published ${published} messages of ${BIG_PAYLOAD.length} bytes past a stalled reader and the server never cut it`);
      await publishBatch(BATCH);
    }
    const beforeCut = published;
    // Published after the cut: the cut subscriber misses exactly these.
    const afterCut = 3;
    await publishBatch(afterCut);
    // It reads what was written before the cut, then the server's end: the close frame, or the error event.
    resume();
    await until(() => !slotOf(stalled).open, 'the cut subscriber to see its end');
    const report = l.recorder.collect();
    const integrity = integrityAgainst(mergeTallies(new Map(), report.tallies), await l.api.published(startUs, endUs));
    const code = transport === 'ws' ? `${CLOSE_CODES.slowConsumer} SLOW_CONSUMER` : 'SLOW_CONSUMER';
    expect(l.server.stats().disconnects.slowConsumer - cutsBefore).toBe(1);
    expect(integrity).toMatchObject({ expectedFrom: 'server', expected: 4 * (beforeCut + afterCut), received: 4 * beforeCut + 3 * afterCut, lost: afterCut, duplicated: 0 });
    expect(integrity.lostBy).toEqual({ serverCut: { count: afterCut, connections: 1, codes: [{ code, count: afterCut, connections: 1 }] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 0 });
  });
});

describe('GET /published (docs/PROTOCOL.md §10.4)', () => {
  it('is a control call, checks its query, and answers per channel', async () => {
    const server = await startServer({ transport: 'ws', port: 0, feedRate: 0 });
    try {
      const url = (query: string): string => `${server.baseUrl}/published?${query}`;
      expect((await fetch(url('from=0&to=1'))).status).toBe(401);
      expect((await fetch(url(`from=0&to=1&token=${server.controlToken}`), { headers: { origin: 'http://127.0.0.1:1' } })).status).toBe(403);
      const bad = await fetch(url(`from=x&to=1&token=${server.controlToken}`));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { code: string }).code).toBe('BAD_QUERY');
      expect((await fetch(url(`from=5&to=1&token=${server.controlToken}`))).status).toBe(400);
      for (let k = 1; k <= 5; k++) server.hub.publish(TOPIC, PAYLOAD, false, 1000 * k);
      const answer = await fetch(url(`from=2000&to=4001&token=${server.controlToken}`));
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(await answer.json()).toEqual({ from: 2000, to: 4001, channels: { ticks: { first: 2, last: 4, count: 3 } }, incomplete: [] });
    } finally {
      await server.close();
    }
  });
});

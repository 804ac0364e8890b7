/**
 * The lab's hand-read load connections against the real server, per transport and encoding: every
 * published message arrives once, in order, with its seq and ts (bursts that share a read, a
 * message far larger than a read, chat with its sender and message id), bytes() matches what the
 * server counted at its sockets, and a server that cuts the connection or refuses it is reported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLoadConnection } from '../../clients/load/create-connection.ts';
import { LoadContext, type LoadConnection, type LoadSink } from '../../clients/load/load-connection.ts';
import { ENCODINGS, TRANSPORTS } from '../../scenarios/constants.ts';
import type { PeekedData } from '../../scenarios/peek.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';

interface Received {
  data: PeekedData[];
  problems: string[];
  lost: string[];
}

let server: RunningServer | undefined;
let context: LoadContext | undefined;

afterEach(async () => {
  await context?.close();
  await server?.close();
  context = undefined;
  server = undefined;
});

function listen(): { sink: LoadSink; received: Map<LoadConnection, Received> } {
  const received = new Map<LoadConnection, Received>();
  const of = (c: LoadConnection): Received => {
    let r = received.get(c);
    if (r === undefined) received.set(c, (r = { data: [], problems: [], lost: [] }));
    return r;
  };
  return {
    received,
    sink: {
      data: (c, m) => void of(c).data.push({ ...m }),
      problem: (c, kind, detail) => void of(c).problems.push(`${kind}: ${detail}`),
      lost: (c, detail) => void of(c).lost.push(detail),
    },
  };
}

const PAYLOAD_SIZES = [0, 1, 100, 125, 126, 65_535, 65_536, 200_000, 100, 7];

describe.each(TRANSPORTS.flatMap((t) => ENCODINGS.map((e) => [t, e] as const)))('%s load connection (%s) on the wire', (transport, encoding) => {
  it('receives every published message once, in order, with its seq and ts, and counts the socket bytes exactly', async () => {
    server = await startServer({ transport, port: 0, feedRate: 0, heartbeatMs: 60_000 });
    const { sink, received } = listen();
    context = new LoadContext({ transport, baseUrl: server.baseUrl, encoding, token: null }, sink);
    const connections = ['a', 'b'].map((id) => createLoadConnection({ id, topics: ['ticks'], rooms: ['lobby'] }, context!));
    await Promise.all(connections.map((c) => c.open()));

    const published: { channel: string; seq: number; ts: number }[] = [];
    // A burst published in one turn (the server writes it together), then one message per turn.
    for (let i = 0; i < 40; i++) published.push(server.hub.publish('ticks', Buffer.alloc(16, 'b'), false, 1_000_000 + i));
    for (const [i, size] of PAYLOAD_SIZES.entries()) {
      published.push(server.hub.publish('ticks', Buffer.alloc(size, 'p'), i % 2 === 1, 2_000_000 + i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    connections[0]!.send('lobby', 4_000_000_000, 'hello');
    const expected = published.map((m) => ({ chat: false, channel: m.channel, seq: m.seq, ts: m.ts, from: '', mid: -1 }));

    await expect.poll(() => connections.map((c) => received.get(c)?.data.length ?? 0), { timeout: 4000, interval: 20 }).toEqual([expected.length + 1, expected.length + 1]);
    for (const c of connections) {
      const r = received.get(c)!;
      expect(r.problems).toEqual([]);
      expect(r.lost).toEqual([]);
      expect(r.data.filter((m) => !m.chat)).toEqual(expected);
      expect(r.data.filter((m) => m.chat)).toEqual([{ chat: true, channel: 'lobby', seq: 1, ts: expect.any(Number), from: 'a', mid: 4_000_000_000 }]);
    }

    // Everything the server wrote to these sockets was read, and everything they wrote arrived (POSTs go over the shared pool).
    const clientTotals = (): { read: number; written: number } => {
      const sum = { read: 0, written: 0 };
      for (const c of connections) {
        sum.read += c.bytes().read;
        sum.written += c.bytes().written;
      }
      const post = context!.postBytes.totals();
      return { read: sum.read + post.read, written: sum.written + post.written };
    };
    await expect.poll(() => {
      const serverTotals = server!.counters.sockets.totals();
      return { read: serverTotals.written, written: serverTotals.read };
    }, { timeout: 2000, interval: 20 }).toEqual(clientTotals());
    expect(clientTotals().read).toBeGreaterThan(PAYLOAD_SIZES.reduce((a, b) => a + b, 0) * 2);
    await Promise.all(connections.map((c) => c.close()));
    for (const c of connections) expect(received.get(c)!.lost).toEqual([]);
  });

  it('reports a connection the server cuts as lost, and a refused connect as a failed open', async () => {
    server = await startServer({ transport, port: 0, feedRate: 0 });
    const { sink, received } = listen();
    context = new LoadContext({ transport, baseUrl: server.baseUrl, encoding, token: null }, sink);
    const connection = createLoadConnection({ id: 'c1', topics: ['ticks'], rooms: [] }, context);
    await connection.open();
    server.dropConnections();
    await expect.poll(() => received.get(connection)?.lost.length ?? 0, { timeout: 2000, interval: 10 }).toBe(1);
    if (transport === 'ws') expect(received.get(connection)!.lost[0]).toMatch(/closed by the server with code 1006/);

    const refused = createLoadConnection({ id: 'c2', topics: ['no-such-topic'], rooms: [] }, context);
    await expect(refused.open()).rejects.toThrow(transport === 'ws' ? /closed during the handshake with code 4400 \(UNKNOWN_TOPIC\)/ : transport === 'sse' ? /GET \/sse answered 404: .*UNKNOWN_TOPIC/ : /GET \/poll answered 404: .*UNKNOWN_TOPIC/);
    await refused.close();
  });
});

/**
 * The transport contract: one suite, run against every transport and both encodings, with real
 * servers and real clients on loopback. Capability flags name the real differences.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError } from '../../clients/client.ts';
import { ENCODINGS, type TransportName } from '../../scenarios/constants.ts';
import { encodeClientBinary } from '../../scenarios/codec-binary.ts';
import { Cleanup, makeClient, publishMany, range, sleep, startTestServer, waitFor } from '../support/harness.ts';
import { probeFor, stalledReader } from '../support/probes.ts';

export interface TransportCapabilities {
  /** Rooms can be joined and left on an open connection (WS frames, SSE POSTs); a long poll names its rooms on each poll instead. */
  joinAfterConnect: boolean;
  /** A reader that stalls is cut when its outgoing buffer fills (WS, SSE); long-poll is bounded by each request instead. */
  cutsSlowConsumers: boolean;
}

export function transportContract(transport: TransportName, capabilities: TransportCapabilities): void {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  describe.each(ENCODINGS)(`${transport} contract (%s)`, (encoding) => {
    it('feed delivers every message once and in order to every subscriber', async () => {
      const server = cleanup.add(await startTestServer(transport));
      const subscribers = [1, 2, 3].map(() => makeClient(server, encoding, { topics: ["ticks"] }));
      for (const s of subscribers) cleanup.add(s.client);
      const opens = await Promise.all(subscribers.map((s) => s.client.connect()));
      expect(opens.map((o) => o.cursor)).toEqual(['ticks:0', 'ticks:0', 'ticks:0']);
      await publishMany(server, 300);
      await waitFor(() => subscribers.every((s) => s.messages.length >= 300), 'every subscriber to receive 300 messages');
      await sleep(50);
      for (const s of subscribers) {
        expect(s.seqs('ticks')).toEqual(range(1, 300));
        expect(s.messages.every((m) => m.kind === 'feed' && m.payload === 'tick' && m.ts > 0)).toBe(true);
      }
    });

    it('feed from the publisher at a fixed rate arrives complete, with publish timestamps', async () => {
      const server = cleanup.add(await startTestServer(transport, { feedRate: 500, payloadBytes: 100 }));
      const s = makeClient(server, encoding, { topics: ['ticks'] });
      cleanup.add(s.client);
      const open = await s.client.connect();
      const start = Number(open.cursor.split(':')[1]);
      await waitFor(() => s.messages.length >= 100, '100 published ticks');
      server.publisher.stop();
      const latest = server.hub.latestSeq('ticks')!;
      await waitFor(() => s.messages.at(-1)?.seq === latest, 'the last tick');
      expect(s.seqs('ticks')).toEqual(range(start + 1, latest));
      expect(s.messages.every((m) => typeof m.payload === 'string' && m.payload.length === 100)).toBe(true);
      const now = Math.round((performance.timeOrigin + performance.now()) * 1000);
      expect(s.messages.every((m) => m.ts <= now && m.ts > now - 60_000_000)).toBe(true);
    });

    it('chat reaches exactly the members of the room, sender included', async () => {
      const server = cleanup.add(await startTestServer(transport));
      const members = ['alice', 'bob', 'carol'].map((id) => makeClient(server, encoding, { rooms: ['lobby'], clientId: id }));
      const outsider = makeClient(server, encoding, { rooms: ['other'], clientId: 'dave' });
      for (const c of [...members, outsider]) cleanup.add(c.client);
      await Promise.all([...members, outsider].map((c) => c.client.connect()));
      await members[0]!.client.send({ type: 'send', room: 'lobby', mid: 7, payload: 'hello room' });
      await members[1]!.client.send({ type: 'send', room: 'lobby', mid: 1, payload: new Uint8Array([0, 255, 1]) });
      await waitFor(() => members.every((m) => m.messages.length === 2), 'both chat messages at every member');
      await sleep(100);
      for (const m of members) {
        expect(m.messages.map((e) => [e.kind, e.channel, e.seq, e.from, e.mid])).toEqual([
          ['chat', 'lobby', 1, 'alice', 7],
          ['chat', 'lobby', 2, 'bob', 1],
        ]);
        expect(m.messages[0]!.payload).toBe('hello room');
        expect(Array.from(m.messages[1]!.payload as Uint8Array)).toEqual([0, 255, 1]);
      }
      expect(outsider.messages).toEqual([]);
    });

    if (capabilities.joinAfterConnect) {
      it('join and leave on an open connection change what it receives', async () => {
        const server = cleanup.add(await startTestServer(transport));
        const c = makeClient(server, encoding, { topics: ['ticks'], clientId: 'joiner' });
        cleanup.add(c.client);
        await c.client.connect();
        await c.client.send({ type: 'join', room: 'late' });
        await waitFor(() => c.controls.some((m) => m.type === 'joined'), 'the joined reply');
        expect(c.controls.find((m) => m.type === 'joined')).toEqual({ type: 'joined', room: 'late', cursor: 'late:0' });
        server.hub.send('someone', 'late', 1, Buffer.from('in'), false);
        await waitFor(() => c.messages.length === 1, 'the room message');
        await c.client.send({ type: 'leave', room: 'late' });
        await waitFor(() => c.controls.some((m) => m.type === 'left'), 'the left reply');
        server.hub.send('someone', 'late', 2, Buffer.from('out'), false);
        server.hub.publish('ticks', Buffer.from('after'));
        await waitFor(() => c.messages.length === 2, 'the tick after leaving');
        expect(c.messages.map((m) => [m.channel, m.seq])).toEqual([['late', 1], ['ticks', 1]]);
      });

      it('caps a connection at 64 channels and leaves without creating rooms', async () => {
        const server = cleanup.add(await startTestServer(transport));
        const c = makeClient(server, encoding, { topics: ['ticks'], clientId: 'greedy' });
        cleanup.add(c.client);
        await c.client.connect();
        for (let i = 1; i <= 63; i++) await c.client.send({ type: 'join', room: `r${i}` });
        await waitFor(() => c.controls.filter((m) => m.type === 'joined').length === 63, '63 joins');
        const refused = await c.client.send({ type: 'join', room: 'one-too-many' }).then(
          async () => {
            await waitFor(() => c.controls.some((m) => m.type === 'error'), 'the error');
            return (c.controls.find((m) => m.type === 'error') as { code: string }).code;
          },
          (err: { code: string }) => err.code,
        );
        expect(refused).toBe('CHANNEL_LIMIT');
        await c.client.send({ type: 'leave', room: 'never-existed' });
        await waitFor(() => c.controls.some((m) => m.type === 'left'), 'the left reply');
        expect(server.stats().rooms).toBe(63);
      });
    } else {
      it('refuses join and leave: a poll names its rooms itself', async () => {
        const server = cleanup.add(await startTestServer(transport));
        const c = makeClient(server, encoding, { rooms: ['r'] });
        cleanup.add(c.client);
        await c.client.connect();
        await expect(c.client.send({ type: 'join', room: 'x' })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
      });
    }

    it('resume after a forced disconnect delivers exactly the missed messages, once', async () => {
      const server = cleanup.add(await startTestServer(transport, { sseRetryMs: 50 }));
      const c = makeClient(server, encoding, { topics: ['ticks'], rooms: ['lobby'], reconnect: { initialDelayMs: 50 } });
      cleanup.add(c.client);
      await c.client.connect();
      await publishMany(server, 20);
      server.hub.send('x', 'lobby', 1, Buffer.from('before'), false);
      await waitFor(() => c.messages.length === 21, 'the first 21 messages');
      expect(server.dropConnections()).toBeGreaterThan(0);
      await publishMany(server, 30);
      server.hub.send('x', 'lobby', 2, Buffer.from('during'), false);
      await waitFor(() => c.client.reconnects >= 1 && c.messages.length >= 52, 'the reconnect and the missed messages');
      await publishMany(server, 5);
      await waitFor(() => c.messages.length >= 57, 'live messages after the resume');
      await sleep(50);
      expect(c.seqs('ticks')).toEqual(range(1, 55));
      expect(c.seqs('lobby')).toEqual([1, 2]);
    });

    it('resumes from far back without being taken for a slow consumer', async () => {
      const server = cleanup.add(await startTestServer(transport, { maxBufferedBytes: 64 * 1024, sseRetryMs: 50 }));
      await publishMany(server, 2000, 100, 'ticks', Buffer.alloc(1024, 120));
      const c = makeClient(server, encoding, { topics: ['ticks'], cursor: 'ticks:0' });
      cleanup.add(c.client);
      await c.client.connect();
      await waitFor(() => c.messages.length === 2000, 'the 2000-message catch-up', 10_000);
      expect(c.seqs('ticks')).toEqual(range(1, 2000));
      expect(server.stats().disconnects.slowConsumer).toBe(0);
    });

    it('never reconnects after a refusal or a deliberate close', async () => {
      const server = cleanup.add(await startTestServer(transport, { token: 'right' }));
      const refused = makeClient(server, encoding, { topics: ['ticks'], token: 'wrong', reconnect: { initialDelayMs: 10 } });
      const quitter = makeClient(server, encoding, { topics: ['ticks'], token: 'right', reconnect: { initialDelayMs: 10 } });
      for (const c of [refused, quitter]) cleanup.add(c.client);
      await expect(refused.client.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED', fatal: true });
      await quitter.client.connect();
      await quitter.client.close();
      await sleep(100);
      expect(server.stats().errors.UNAUTHORIZED).toBe(1);
      expect(server.stats().connections.open).toBe(0);
      expect([refused.client.reconnects, quitter.client.reconnects]).toEqual([0, 0]);
    });

    it('refuses a client without the token, and sends it no data', async () => {
      const server = cleanup.add(await startTestServer(transport, { token: 's3cret' }));
      const stranger = makeClient(server, encoding, { topics: ['ticks'] });
      const wrong = makeClient(server, encoding, { topics: ['ticks'], token: 'guess' });
      const friend = makeClient(server, encoding, { topics: ['ticks'], token: 's3cret' });
      for (const c of [stranger, wrong, friend]) cleanup.add(c.client);
      server.hub.publish('ticks', Buffer.from('secret data'));
      for (const c of [stranger, wrong]) {
        const err = await c.client.connect().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ClientError);
        expect((err as ClientError).code).toBe('UNAUTHORIZED');
      }
      await friend.client.connect();
      server.hub.publish('ticks', Buffer.from('more'));
      await waitFor(() => friend.messages.length === 1, 'the authorised client to receive');
      expect(stranger.messages).toEqual([]);
      expect(wrong.messages).toEqual([]);
      expect(await probeFor(server).connectRaw('topic=ticks&cursor=ticks:0')).toMatch(/^UNAUTHORIZED$/);
      expect(server.stats().errors.UNAUTHORIZED).toBeGreaterThanOrEqual(3);
    });

    it('answers every bad input with its error code and keeps serving the others', async () => {
      const server = cleanup.add(await startTestServer(transport, { maxMessageBytes: 1024 }));
      const healthy = makeClient(server, encoding, { topics: ['ticks'] });
      cleanup.add(healthy.client);
      await healthy.client.connect();
      const probe = probeFor(server);
      const send = (fields: object): string => JSON.stringify({ type: 'send', room: 'lobby', mid: 1, payload: 'x', ...fields });
      expect(await probe.sendRaw('{"type": "send", ', false)).toBe('BAD_JSON');
      expect(await probe.sendRaw('[1,2]', false)).toBe('BAD_JSON');
      expect(await probe.sendRaw(JSON.stringify({ type: 'shout', room: 'lobby' }), false)).toBe('UNKNOWN_TYPE');
      expect(await probe.sendRaw(send({ room: 'no spaces/allowed' }), false)).toBe('INVALID_NAME');
      expect(await probe.sendRaw(send({ mid: -1 }), false)).toBe('BAD_FIELD');
      expect(await probe.sendRaw(send({ room: 'ticks' }), false)).toBe('NOT_A_ROOM');
      expect(await probe.sendRaw(Buffer.from([0x10, 0, 5, 0, 0]), true)).toBe('BAD_BINARY');
      expect(await probe.sendRaw(Buffer.from([0x7f, 0, 1, 65]), true)).toBe('UNKNOWN_TYPE');
      const room = encodeClientBinary({ type: 'send', room: 'bad room', mid: 1, payload: 'x' });
      expect(await probe.sendRaw(room, true)).toBe('INVALID_NAME');
      expect(await probe.sendRaw(send({ payload: 'y'.repeat(2000) }), false)).toBe('MESSAGE_TOO_LARGE');
      expect(await probe.connectRaw('topic=ticks&cursor=ticks:abc')).toBe('BAD_CURSOR');
      expect(await probe.connectRaw('topic=ticks&cursor=ticks:999999')).toBe('BAD_CURSOR');
      expect(await probe.connectRaw('topic=nosuchtopic&cursor=nosuchtopic:0')).toBe('UNKNOWN_TOPIC');
      expect(await probe.connectRaw('topic=ticks&encoding=xml')).toBe('BAD_QUERY');
      expect(await probe.connectRaw('topics=ticks')).toBe('BAD_QUERY');
      server.hub.publish('ticks', Buffer.from('still here'));
      await waitFor(() => healthy.messages.length === 1, 'the healthy subscriber to keep receiving');
      expect(healthy.messages[0]!.payload).toBe('still here');
      const errors = server.stats().errors;
      for (const code of ['BAD_JSON', 'UNKNOWN_TYPE', 'INVALID_NAME', 'BAD_FIELD', 'NOT_A_ROOM', 'BAD_BINARY', 'MESSAGE_TOO_LARGE', 'BAD_CURSOR', 'UNKNOWN_TOPIC', 'BAD_QUERY'] as const) {
        expect(errors[code], code).toBeGreaterThanOrEqual(1);
      }
    });

    if (capabilities.cutsSlowConsumers) {
      it('cuts a consumer that stops reading, counts it, and keeps serving the others', async () => {
        const server = cleanup.add(await startTestServer(transport, { maxBufferedBytes: 64 * 1024 }));
        const stalled = await stalledReader(server, `topic=ticks&encoding=${encoding}`);
        const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
        const healthy = makeClient(server, encoding, { topics: ['ticks'] });
        cleanup.add(healthy.client);
        await healthy.client.connect();
        const payload = Buffer.alloc(16 * 1024, 97);
        for (let i = 0; i < 40 && server.stats().disconnects.slowConsumer === 0; i++) await publishMany(server, 50, 10, 'ticks', payload);
        expect(server.stats().disconnects.slowConsumer).toBe(1);
        stalled.resume();
        await closed;
        const total = server.hub.latestSeq('ticks')!;
        await waitFor(() => healthy.messages.length === total, 'the healthy subscriber to receive everything', 10_000);
        expect(server.stats().connections.open).toBe(1);
      });
    } else {
      it('bounds each answer by --poll-max-batch-bytes and continues where it stopped', async () => {
        const server = cleanup.add(await startTestServer(transport, { pollMaxBatchBytes: 4096 }));
        const c = makeClient(server, encoding, { topics: ['ticks'] });
        cleanup.add(c.client);
        await c.client.connect();
        const before = c.client.bytes().read;
        await publishMany(server, 100, 100, 'ticks', Buffer.alloc(512, 98));
        await waitFor(() => c.messages.length === 100, 'all 100 messages over several bounded polls');
        expect(c.seqs('ticks')).toEqual(range(1, 100));
        expect(c.client.bytes().read - before).toBeGreaterThan(100 * 512);
        const response = await fetch(`${server.baseUrl}/poll?topic=ticks&cursor=ticks:0&encoding=${encoding}`);
        expect(Number(response.headers.get('content-length'))).toBeLessThanOrEqual(4096);
        expect(response.headers.get('pushbench-cursor')).toMatch(/^ticks:[1-9]\d*$/);
      });
    }

    it('counts bytes at the socket and reports server counters', async () => {
      const server = cleanup.add(await startTestServer(transport, { payloadBytes: 10 }));
      const c = makeClient(server, encoding, { topics: ['ticks'] });
      cleanup.add(c.client);
      await c.client.connect();
      await publishMany(server, 50, 10, 'ticks', Buffer.alloc(200, 99));
      await waitFor(() => c.messages.length === 50, '50 messages');
      await sleep(20);
      const bytes = c.client.bytes();
      expect(bytes.read).toBeGreaterThan(50 * 200);
      expect(bytes.written).toBeGreaterThan(0);
      const stats = server.stats();
      expect(stats.messages.delivered).toBe(50);
      expect(stats.messages.published).toBe(50);
      expect(stats.bytes.written).toBeGreaterThanOrEqual(bytes.read * 0.95);
      expect(stats.cpu.userUs).toBeGreaterThan(0);
      expect(stats.memory.rssBytes).toBeGreaterThan(0);
      expect(stats.eventLoopDelayMs.count).toBeGreaterThan(0);
      const http = (await (await fetch(`${server.baseUrl}/stats`)).json()) as { transport: string };
      expect(http.transport).toBe(transport);
    });
  });
}

/** What bounds a server's memory per connection: a cut for readers that stall (WS, SSE), a byte bound per poll (long-poll). */
import assert from 'node:assert/strict';
import { CURSOR_HEADER, PATHS } from '../../scenarios/constants.ts';
import type { Check } from '../check.ts';
import { stalledReader } from '../probes.ts';
import { assertSeqs } from '../assertions.ts';
import { range } from '../recorder.ts';

const MIB = 1024 * 1024;

export const slowConsumerCut: Check = {
  id: 'slow-consumer',
  section: '§9',
  title: 'cuts a consumer that stops reading, counts it, and keeps serving the others',
  required: true,
  needs: ['backPressureCut'],
  async run(ctx) {
    const { limits } = ctx.target;
    const room = ctx.name('flood');
    const before = await ctx.stats();
    const stalled = await stalledReader(ctx.target, `room=${room}&encoding=${ctx.encoding}`);
    ctx.defer(async () => stalled.destroy());
    let stalledClosed = false;
    stalled.once('close', () => (stalledClosed = true));
    const healthy = await ctx.connected({ rooms: [room] });
    const sender = await ctx.sender();
    const payload = 'a'.repeat(Math.min(16 * 1024, limits.maxMessageBytes - 256));
    // The kernel's socket buffers absorb some megabytes before the server's own buffer grows.
    const budgetBytes = 4 * limits.maxBufferedBytes + 64 * MIB;
    let sent = 0;
    while ((await ctx.stats()).disconnects.slowConsumer === before.disconnects.slowConsumer) {
      if (sent * payload.length > budgetBytes) {
        assert.fail(`sent ${sent} messages (${Math.round((sent * payload.length) / MIB)} MiB) to a room with a reader that stopped reading, and /stats disconnects.slowConsumer never moved (--max-buffered-bytes ${limits.maxBufferedBytes})`);
      }
      for (let i = 0; i < 50; i++) await sender.send({ type: 'send', room, mid: sent++, payload });
    }
    assert.equal((await ctx.stats()).disconnects.slowConsumer - before.disconnects.slowConsumer, 1, '/stats disconnects.slowConsumer counts the one reader cut');
    stalled.resume();
    await ctx.wait(() => stalledClosed, 'the server to close the stalled connection');
    await ctx.wait(() => healthy.messages.length >= sent, `the healthy subscriber to receive all ${sent} messages`, 3);
    assertSeqs(healthy.seqs(room), range(1, sent), 'the healthy subscriber');
    await sender.close();
    await ctx.wait(async () => (await ctx.stats()).connections.open === before.connections.open + 1, '/stats connections.open to show only the healthy subscriber left');
  },
};

export const pollBatchBound: Check = {
  id: 'poll-batch-bound',
  section: '§6.3',
  title: 'bounds each answer by --poll-max-batch-bytes and continues where it stopped',
  required: true,
  needs: ['polling'],
  async run(ctx) {
    const { baseUrl, limits } = ctx.target;
    const bound = limits.pollMaxBatchBytes;
    const room = ctx.name('batch');
    const payloadLength = Math.max(64, Math.min(Math.floor(bound / 8), limits.maxMessageBytes - 256));
    const count = Math.max(24, Math.ceil((3 * bound) / payloadLength));
    const c = await ctx.connected({ rooms: [room] });
    const readBefore = c.client.bytes().read;
    await ctx.publish(await ctx.sender(), room, count, 'b'.repeat(payloadLength));
    await ctx.wait(() => c.messages.length >= count, `all ${count} messages over several bounded polls`);
    assertSeqs(c.seqs(room), range(1, count), 'the polling client');
    assert.ok(c.client.bytes().read - readBefore > count * payloadLength, 'the client read at least every payload byte');
    const response = await fetch(`${baseUrl}${PATHS.poll}?${ctx.withToken(`room=${room}&cursor=${room}:0&encoding=${ctx.encoding}`)}`);
    const body = await response.arrayBuffer();
    assert.equal(response.status, 200, 'a poll from the start of the room is answered at once');
    assert.ok(body.byteLength <= bound && Number(response.headers.get('content-length')) <= bound, `an answer holds at most ${bound} bytes (got ${body.byteLength})`);
    const cursor = new RegExp(`^${room}:(\\d+)$`).exec(response.headers.get(CURSOR_HEADER) ?? '');
    const upTo = Number(cursor?.[1] ?? 0);
    assert.ok(upTo >= 1 && upTo < count, `${CURSOR_HEADER} names how far the bounded answer got (got ${response.headers.get(CURSOR_HEADER)}, of ${count} messages)`);
  },
};

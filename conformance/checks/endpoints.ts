/** /health and /stats: what the bench reads from every server. */
import assert from 'node:assert/strict';
import { nowMicros } from '../../scenarios/clock.ts';
import { PATHS } from '../../scenarios/constants.ts';
import { assertNone } from '../assertions.ts';
import type { Check } from '../check.ts';

/** Every number /stats must carry, by path. */
const NUMBER_FIELDS = [
  'now', 'uptimeMs', 'connections.open', 'connections.total', 'messages.published', 'messages.chatIn', 'messages.delivered',
  'bytes.written', 'bytes.read', 'disconnects.slowConsumer', 'disconnects.heartbeat', 'disconnects.dropped', 'replayTruncations',
  'cpu.userUs', 'cpu.systemUs', 'memory.rssBytes', 'memory.heapUsedBytes',
  'eventLoopDelayMs.p50', 'eventLoopDelayMs.p90', 'eventLoopDelayMs.p99', 'eventLoopDelayMs.max', 'eventLoopDelayMs.mean', 'eventLoopDelayMs.count',
  'sockets', 'feed.rate', 'feed.payloadBytes', 'rooms',
] as const;

function field(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), value);
}

function notNumbers(value: unknown, paths: readonly string[]): string[] {
  return paths.filter((path) => typeof field(value, path) !== 'number' || !Number.isFinite(field(value, path) as number));
}

async function get(url: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the checks below say what was expected
  }
  return { status: response.status, headers: response.headers, body };
}

export const healthAndStats: Check = {
  id: 'health-stats',
  section: '§10',
  title: '/health names the transport and /stats reports every field',
  required: true,
  async run(ctx) {
    const { baseUrl, transport, token, topic } = ctx.target;
    // /health needs no token and ignores one: the bench sends its token to every endpoint.
    for (const query of ['', '?token=not-the-token']) {
      const health = await get(`${baseUrl}${PATHS.health}${query}`);
      assert.equal(health.status, 200, `GET /health${query}`);
      assert.equal(field(health.body, 'transport'), transport, `GET /health${query} names the transport`);
    }
    const stats = await get(`${baseUrl}${PATHS.stats}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`);
    assert.equal(stats.status, 200, 'GET /stats');
    assert.equal(stats.headers.get('cache-control'), 'no-store', 'GET /stats is answered with cache-control: no-store');
    assert.equal(field(stats.body, 'transport'), transport, '/stats transport');
    assertNone(notNumbers(stats.body, NUMBER_FIELDS), '/stats has every number of §10; these are missing or not numbers');
    const errors = field(stats.body, 'errors');
    assert.ok(typeof errors === 'object' && errors !== null && !Array.isArray(errors), '/stats errors is an object of code -> count');
    const topics = field(stats.body, 'feed.topics');
    assert.ok(Array.isArray(topics) && topics.includes(topic), `/stats feed.topics lists ${topic}`);
    const skewUs = Math.abs((field(stats.body, 'now') as number) - nowMicros());
    assert.ok(skewUs < 5_000_000, `/stats now is the host clock in µs since the Unix epoch (${Math.round(skewUs / 1000)} ms off this process's)`);
  },
};

export const processCost: Check = {
  id: 'stats-process',
  section: '§10',
  title: '/stats measures the process: CPU and memory above 0, event-loop delay sampled',
  required: false,
  async run(ctx) {
    const stats = await ctx.stats();
    assert.ok(stats.cpu.userUs + stats.cpu.systemUs > 0 && stats.memory.rssBytes > 0, '/stats cpu and memory.rssBytes are measured (above 0)');
    await ctx.wait(async () => (await ctx.stats()).eventLoopDelayMs.count > 0, '/stats eventLoopDelayMs.count to count timer firings');
  },
};

export const counters: Check = {
  id: 'counters',
  section: '§10',
  title: 'counts bytes at the socket and reports server counters',
  required: true,
  async run(ctx) {
    const { feedQuiet, transport } = ctx.target;
    const room = ctx.name('counted');
    const c = await ctx.connected({ rooms: [room] });
    const sender = await ctx.sender();
    const before = await ctx.stats();
    const readBefore = c.client.bytes().read;
    await ctx.publish(sender, room, 50, 'c'.repeat(200));
    await ctx.wait(() => c.messages.length >= 50, '50 messages');
    const after = await ctx.stats();
    const read = c.client.bytes().read - readBefore;
    assert.ok(read > 50 * 200, `the client counted the bytes it read at its socket (${read})`);
    assert.ok(c.client.bytes().written > 0, 'the client counted the bytes it wrote');
    const delta = (path: string): number => (field(after, path) as number) - (field(before, path) as number);
    assert.equal(delta('messages.delivered'), 50, '/stats messages.delivered: one per recipient');
    assert.equal(delta('messages.chatIn'), 50, '/stats messages.chatIn: the sends accepted');
    // A feed the run could not stop publishes besides the room.
    if (feedQuiet) assert.equal(delta('messages.published'), 50, '/stats messages.published');
    else assert.ok(delta('messages.published') >= 50, '/stats messages.published');
    assert.ok(delta('bytes.written') >= read * 0.95, `/stats bytes.written grew by ${delta('bytes.written')}: at least what the client read (${read})`);
    assert.ok(delta('bytes.read') > 50 * 200, `/stats bytes.read grew by ${delta('bytes.read')}: at least the payloads sent`);
    assert.equal(after.transport, transport);
  },
};

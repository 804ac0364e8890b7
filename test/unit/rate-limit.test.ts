/** The rate limits' parts (docs/PROTOCOL.md §9.1), driven by an injected clock: no sleeping. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROFILE_DEFAULTS, MAX_CONNECTIONS, OPTION_CHECKS } from '../../scenarios/bench-config.ts';
import { SERVER_DEFAULTS } from '../../scenarios/constants.ts';
import { ConcurrencyLimit } from '../../servers/limits/concurrency.ts';
import { KeyedBuckets } from '../../servers/limits/keyed-buckets.ts';
import { MessageRateLimit, type MessageVerdict } from '../../servers/limits/message-rate.ts';
import { ServerLimits } from '../../servers/limits/server-limits.ts';
import { burstOf, TokenBucket } from '../../servers/limits/token-bucket.ts';
import { resolveServerOptions } from '../../servers/options.ts';
import { ServerCounters } from '../../servers/stats.ts';

/** How many of `count` events at time `now` the bucket admits. */
function takeAll(bucket: TokenBucket, count: number, now: number): number {
  let admitted = 0;
  for (let i = 0; i < count; i++) if (bucket.take(now)) admitted++;
  return admitted;
}

describe('TokenBucket', () => {
  it('admits a burst at once, then nothing until it refills', () => {
    const bucket = new TokenBucket(20, 5, 0);
    expect(takeAll(bucket, 10, 0)).toBe(5);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(49)).toBe(false);
    expect(bucket.take(50)).toBe(true); // 20/s: one token per 50 ms
    expect(bucket.take(50)).toBe(false);
  });

  it('refills at the rate, never beyond the burst', () => {
    const bucket = new TokenBucket(20, 5, 0);
    takeAll(bucket, 5, 0);
    expect(takeAll(bucket, 10, 100)).toBe(2);
    expect(takeAll(bucket, 100, 60_000)).toBe(5);
  });

  it('holds the rate over a long flood: admitted = burst + rate x time', () => {
    // 125/s is 0.125 tokens per ms, exact in binary: the count is exact too.
    const bucket = new TokenBucket(125, 10, 0);
    let admitted = 0;
    for (let t = 0; t <= 10_000; t++) if (bucket.take(t)) admitted++; // 1,000 attempts per second for 10 s
    expect(admitted).toBe(10 + 125 * 10);
  });

  it('says when to retry in whole seconds, at least 1', () => {
    const bucket = new TokenBucket(1, 1, 0);
    expect(bucket.take(0)).toBe(true);
    expect(bucket.retryAfterSeconds(0)).toBe(1);
    expect(bucket.retryAfterSeconds(999)).toBe(1);
    const fast = new TokenBucket(1000, 1, 0);
    fast.take(0);
    expect(fast.retryAfterSeconds(0)).toBe(1);
  });

  it('knows when it is full again, and survives a clock that goes back', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.take(0);
    expect(bucket.isFull(50)).toBe(false);
    expect(bucket.isFull(100)).toBe(true);
    expect(bucket.take(-1000)).toBe(true);
  });

  it('a burst of 0 means one second of the rate', () => {
    expect(burstOf(500, 0)).toBe(500);
    expect(burstOf(500, 7)).toBe(7);
  });
});

describe('MessageRateLimit (one WebSocket connection)', () => {
  const flood = (limit: MessageRateLimit, count: number, now: number): MessageVerdict[] => Array.from({ length: count }, () => limit.check(now));

  it('admits the burst, refuses the next ones, closes after more than closeAfter refusals in a second, then drops silently', () => {
    const verdicts = flood(new MessageRateLimit(20, 5, 10, 0), 30, 0);
    expect(verdicts.slice(0, 5)).toEqual(Array(5).fill('admit'));
    expect(verdicts.slice(5, 15)).toEqual(Array(10).fill('refuse'));
    expect(verdicts[15]).toBe('close');
    expect(verdicts.slice(16)).toEqual(Array(14).fill('closed'));
  });

  it('never closes a client that goes over its limit now and then', () => {
    const limit = new MessageRateLimit(20, 5, 10, 0);
    const verdicts: MessageVerdict[] = [];
    // 25 messages a second for 20 s: about 5 a second refused, never more than 10 within a second.
    for (let t = 0; t < 20_000; t += 40) verdicts.push(limit.check(t));
    expect(verdicts).not.toContain('close');
    expect(verdicts.filter((v) => v === 'refuse').length).toBeGreaterThan(80);
  });

  it('closeAfter 0 refuses but never closes', () => {
    const verdicts = flood(new MessageRateLimit(20, 5, 0, 0), 10_000, 0);
    expect(new Set(verdicts)).toEqual(new Set(['admit', 'refuse']));
  });
});

describe('KeyedBuckets (HTTP clients and addresses)', () => {
  it('keeps one bucket per key', () => {
    const buckets = new KeyedBuckets(1, 2, 0);
    expect([buckets.take('a', 0), buckets.take('a', 0), buckets.take('a', 0)]).toEqual([0, 0, 1]);
    expect(buckets.take('b', 0)).toBe(0);
  });

  it('forgets buckets that have refilled, so memory follows the clients that are active', () => {
    const buckets = new KeyedBuckets(10, 10, 0);
    for (let i = 0; i < 1000; i++) buckets.take(`client-${i}`, 0);
    expect(buckets.size).toBe(1000);
    buckets.take('late', 6000); // refilled long ago: swept when a new key comes after the sweep interval
    expect(buckets.size).toBe(1);
  });

  it('keeps a bucket that is still below full', () => {
    const buckets = new KeyedBuckets(1, 10, 0);
    for (let i = 0; i < 10; i++) buckets.take('flooder', 0);
    buckets.take('other', 5000); // the sweep: the flooder has 5 of its 10 tokens back, so it stays
    expect(buckets.size).toBe(2);
    expect(buckets.take('flooder', 5000)).toBe(0);
  });

  it('at the key cap, new keys share their overflow key: invented ids neither escape the limit nor grow the map', () => {
    const buckets = new KeyedBuckets(1, 3, 0, 2);
    buckets.take('10.0.0.1 a', 0, '10.0.0.1');
    buckets.take('10.0.0.1 b', 0, '10.0.0.1');
    const results = Array.from({ length: 5 }, (_, i) => buckets.take(`10.0.0.1 invented-${i}`, 1, '10.0.0.1'));
    expect(results).toEqual([0, 0, 0, 1, 1]);
    expect(buckets.size).toBe(3);
  });
});

describe('ConcurrencyLimit (per address)', () => {
  it('counts up to the maximum per key and forgets keys at zero', () => {
    const limit = new ConcurrencyLimit(2);
    expect([limit.tryAcquire('a'), limit.tryAcquire('a'), limit.tryAcquire('a')]).toEqual([true, true, false]);
    expect(limit.atLimit('a')).toBe(true);
    expect(limit.tryAcquire('b')).toBe(true);
    limit.release('a');
    expect(limit.atLimit('a')).toBe(false);
    limit.release('a');
    limit.release('a'); // one too many: harmless
    limit.release('b');
    expect(limit.size).toBe(0);
  });
});

describe('ServerLimits', () => {
  let counters: ServerCounters;
  beforeEach(() => {
    counters = new ServerCounters();
  });
  afterEach(() => counters.stop());

  it('gives each WebSocket connection its own limit, none when messages are not limited', () => {
    let now = 0;
    const limits = new ServerLimits(resolveServerOptions({ transport: 'ws', rateLimitMessages: 20, rateLimitBurst: 5 }), counters, () => now);
    const first = limits.forConnection()!;
    const second = limits.forConnection()!;
    for (let i = 0; i < 5; i++) expect(first.check(now)).toBe('admit');
    expect(first.check(now)).toBe('refuse');
    expect(second.check(now)).toBe('admit');
    now = 1000;
    const error = limits.messageRefused(first);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toContain('more than 20 messages per second (bursts of 5)');
    expect(counters.limits.messagesRefused).toBe(1);
    expect(counters.errors.RATE_LIMITED).toBe(1);
    expect(new ServerLimits(resolveServerOptions({ transport: 'ws', rateLimitMessages: 0 }), counters).forConnection()).toBeUndefined();
  });

  it('sets node:http timeouts from --request-timeout-ms, checked often enough to hold', () => {
    const options = (requestTimeoutMs: number) => new ServerLimits(resolveServerOptions({ transport: 'sse', requestTimeoutMs }), counters).httpServerOptions();
    expect(options(200)).toEqual({ requestTimeout: 200, headersTimeout: 200, connectionsCheckingInterval: 50 });
    expect(options(SERVER_DEFAULTS.requestTimeoutMs)).toEqual({ requestTimeout: 30_000, headersTimeout: 30_000, connectionsCheckingInterval: 7500 });
    expect(options(600_000)).toEqual({ requestTimeout: 600_000, headersTimeout: 60_000, connectionsCheckingInterval: 30_000 });
    expect(options(0)).toEqual({ requestTimeout: 0 });
  });

  it('defaults: messages limited generously (above the bench\'s 1,000 per second per member), per-address limits off', () => {
    expect(SERVER_DEFAULTS.rateLimitMessages).toBeGreaterThanOrEqual(5 * 1000);
    expect(burstOf(SERVER_DEFAULTS.rateLimitMessages, SERVER_DEFAULTS.rateLimitBurst)).toBeGreaterThanOrEqual(5 * 1000);
    expect([SERVER_DEFAULTS.connectRateLimit, SERVER_DEFAULTS.maxHeldPollsPerIp, SERVER_DEFAULTS.maxUploadsPerIp]).toEqual([0, 0, 0]);
  });

  // What reaches the limits is a request's peer address and a response to set headers on: the
  // smallest stand-ins for them, so that the bench's largest load can be replayed without sockets.
  const fromLoopback = { socket: { remoteAddress: '127.0.0.1' } } as IncomingMessage;
  const response = { setHeader: () => undefined } as unknown as ServerResponse;
  const rawSocket = { end: () => undefined } as unknown as Duplex;

  it("with the defaults, the bench's largest load from 127.0.0.1 is never refused", () => {
    let now = 0;
    const limits = new ServerLimits(resolveServerOptions({ transport: 'ws' }), counters, () => now);
    // Every connection the bench may open, within one second.
    expect(MAX_CONNECTIONS).toBe(20_000);
    let refused = 0;
    for (let i = 0; i < MAX_CONNECTIONS; i++) if (limits.refuseUpgrade(fromLoopback, rawSocket)) refused++;
    // The highest chat rate a member may be given, for 10 s, on a WebSocket and by POST /messages.
    const maxSendRate = 1000;
    expect(OPTION_CHECKS['chat.sendRatePerMember']!(maxSendRate + 1)).toBeDefined();
    expect(Math.max(PROFILE_DEFAULTS.default.chat.sendRatePerMember, PROFILE_DEFAULTS.default.capacity.chatMaxRate)).toBeLessThanOrEqual(maxSendRate);
    expect(OPTION_CHECKS['capacity.chatMaxRate']!(maxSendRate + 1)).toBeDefined();
    const connection = limits.forConnection()!;
    for (now = 0; now < 10_000; now += 1000 / maxSendRate) {
      if (connection.check(now) !== 'admit') refused++;
      limits.checkMessagePost(fromLoopback, response, 'r0m0'); // throws RATE_LIMITED when refused
    }
    // An open-loop sender that stalled for 5 s catches up at once.
    const stalled = limits.forConnection()!;
    for (let i = 0; i < 5 * maxSendRate; i++) if (stalled.check(now) !== 'admit') refused++;
    expect(refused).toBe(0);
    expect(counters.limits).toMatchObject({ messagesRefused: 0, connectsRefused: 0 });
  });
});

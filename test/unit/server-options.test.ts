import { describe, expect, it } from 'vitest';
import { SERVER_DEFAULTS, type Encoding, type TransportName } from '../../scenarios/constants.ts';
import { UsageError } from '../../scenarios/errors.ts';
import { INT_OPTION_RANGES, resolveServerOptions, type ServerOptionsInput } from '../../servers/options.ts';

function rejection(input: ServerOptionsInput): UsageError {
  try {
    resolveServerOptions(input);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('BAD_OPTION');
    return err as UsageError;
  }
  throw new Error(`resolveServerOptions accepted ${JSON.stringify(input)}`);
}

describe('resolveServerOptions: defaults', () => {
  it('fills every option from SERVER_DEFAULTS, with no token', () => {
    expect(resolveServerOptions({ transport: 'ws' })).toEqual({
      transport: 'ws',
      host: '127.0.0.1',
      port: 8080,
      topics: ['ticks'],
      feedRate: 10,
      payloadBytes: 64,
      encoding: 'json',
      token: undefined,
      controlToken: expect.any(String),
      allowOrigins: ['loopback'],
      ban: [],
      maxMessageBytes: 64 * 1024,
      maxBufferedBytes: 1024 * 1024,
      replaySize: 8192,
      maxRooms: 10_000,
      roomIdleMs: 60_000,
      maxReplayBytes: 256 * 1024 * 1024,
      heartbeatMs: 15_000,
      pollTimeoutMs: 25_000,
      pollMaxBatchBytes: 1024 * 1024,
      sseRetryMs: 1000,
      extraPorts: 0,
      rateLimitMessages: 10_000,
      rateLimitBurst: 0,
      rateLimitCloseAfter: 100,
      connectRateLimit: 0,
      connectBurst: 0,
      maxHeldPollsPerIp: 0,
      maxUploadsPerIp: 0,
      requestTimeoutMs: 30_000,
    });
    expect(resolveServerOptions({ transport: 'sse' }).maxRooms).toBe(SERVER_DEFAULTS.maxRooms);
  });

  it('always has a control token: the one given, else the client token, else a fresh random one', () => {
    expect(resolveServerOptions({ transport: 'ws', token: 'tok', controlToken: 'ctl' }).controlToken).toBe('ctl');
    expect(resolveServerOptions({ transport: 'ws', token: 'tok' }).controlToken).toBe('tok');
    const random = resolveServerOptions({ transport: 'ws' }).controlToken;
    expect(random).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(resolveServerOptions({ transport: 'ws' }).controlToken).not.toBe(random);
    expect(rejection({ transport: 'ws', controlToken: 'has space' }).message).toMatch(/controlToken must be 1 to 512 characters/);
  });

  it('takes origins, loopback or * for allowOrigins, and client ids for ban', () => {
    expect(resolveServerOptions({ transport: 'sse', allowOrigins: ['http://example.com:3000', 'loopback'], ban: ['c1'] })).toMatchObject({ allowOrigins: ['http://example.com:3000', 'loopback'], ban: ['c1'] });
    expect(rejection({ transport: 'sse', allowOrigins: ['http://example.com/page'] }).message).toMatch(/allowOrigins must be origins/);
    expect(rejection({ transport: 'sse', allowOrigins: [] }).message).toMatch(/allowOrigins must be origins/);
    expect(rejection({ transport: 'sse', ban: ['no spaces'] }).message).toMatch(/ban must be client ids/);
  });

  it('treats undefined values as absent', () => {
    const options = resolveServerOptions({ transport: 'long-poll', port: undefined, topics: undefined, encoding: undefined, token: undefined });
    expect(options.port).toBe(8080);
    expect(options.topics).toEqual(['ticks']);
    expect(options.encoding).toBe('json');
  });

  it('keeps given valid values, including the ends of each range', () => {
    const options = resolveServerOptions({
      transport: 'sse',
      port: 0,
      feedRate: 0,
      payloadBytes: 16 * 1024 * 1024,
      encoding: 'binary',
      topics: ['a', 'b-2'],
      token: 's3cret-token',
      host: '0.0.0.0',
      sseRetryMs: 0,
    });
    expect(options).toMatchObject({ transport: 'sse', port: 0, feedRate: 0, payloadBytes: 16 * 1024 * 1024, encoding: 'binary', topics: ['a', 'b-2'], token: 's3cret-token', host: '0.0.0.0', sseRetryMs: 0 });
    for (const [name, { min, max }] of Object.entries(INT_OPTION_RANGES)) {
      expect(() => resolveServerOptions({ transport: 'ws', [name]: min }), `${name}=${min}`).not.toThrow();
      expect(() => resolveServerOptions({ transport: 'ws', [name]: max }), `${name}=${max}`).not.toThrow();
    }
  });
});

describe('resolveServerOptions: rejections name the option and its accepted range', () => {
  it.each<[string, ServerOptionsInput, RegExp]>([
    ['port 70000', { transport: 'ws', port: 70000 }, /option port must be an integer from 0 to 65535, got 70000/],
    ['port -1', { transport: 'ws', port: -1 }, /option port must be an integer from 0 to 65535, got -1/],
    ['port NaN', { transport: 'ws', port: Number.NaN }, /option port must be an integer from 0 to 65535, got NaN/],
    ['feedRate -1', { transport: 'ws', feedRate: -1 }, /option feedRate must be an integer from 0 to 1000000, got -1/],
    ['payloadBytes 1.5', { transport: 'ws', payloadBytes: 1.5 }, /option payloadBytes must be an integer from 0 to 16777216, got 1.5/],
    ['replaySize 0', { transport: 'ws', replaySize: 0 }, /option replaySize must be an integer from 1 to 10000000, got 0/],
    ['maxMessageBytes 63', { transport: 'ws', maxMessageBytes: 63 }, /option maxMessageBytes must be an integer from 64 to 67108864/],
    ['encoding xml', { transport: 'ws', encoding: 'xml' as Encoding }, /option encoding must be one of json, binary, got xml/],
    ['transport grpc', { transport: 'grpc' as TransportName }, /option transport must be one of ws, sse, long-poll, got grpc/],
    ['a bad topic name', { transport: 'ws', topics: ['ticks', 'bad topic'] }, /option topics must be one or more names of 1 to 64 characters from A-Z a-z 0-9 _ \. -, got \["ticks","bad topic"\]/],
    ['a topic name with a colon', { transport: 'ws', topics: ['a:b'] }, /option topics must be one or more names/],
    ['empty topics', { transport: 'ws', topics: [] }, /option topics must be one or more names of 1 to 64 characters/],
    ['a token with a space', { transport: 'ws', token: 'my token' }, /option token must be 1 to 512 characters without spaces or commas/],
    ['a token with a comma', { transport: 'ws', token: 'a,b' }, /option token must be 1 to 512 characters without spaces or commas/],
    ['an empty token', { transport: 'ws', token: '' }, /option token must be 1 to 512 characters/],
    ['a 513-character token', { transport: 'ws', token: 't'.repeat(513) }, /option token must be 1 to 512 characters/],
    ['an empty host', { transport: 'ws', host: '' }, /option host must be a host name or address/],
  ])('rejects %s with a UsageError naming it', (_label, input, message) => {
    expect(rejection(input).message).toMatch(message);
  });

  it('checks every integer option against its documented range', () => {
    for (const [name, { min, max }] of Object.entries(INT_OPTION_RANGES)) {
      for (const value of [min - 1, max + 1, min + 0.5]) {
        expect(rejection({ transport: 'ws', [name]: value }).message).toBe(`option ${name} must be an integer from ${min} to ${max}, got ${value}`);
      }
    }
  });

  it('accepts a 512-character token', () => {
    expect(resolveServerOptions({ transport: 'ws', token: 't'.repeat(512) }).token).toHaveLength(512);
  });
});

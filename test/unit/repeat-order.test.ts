import { describe, expect, it } from 'vitest';
import { sessionOrder } from '../../bench/run-bench.ts';
import { parseCpuList, planPinning, forkUnder, pinningFor } from '../../bench/pinning.ts';
import { resolveBenchConfig } from '../../scenarios/bench-config.ts';

const config = (layer: Record<string, unknown>) => resolveBenchConfig([{ layer, source: { description: 'test' } }]);

describe('sessionOrder: the repeat round is the outer loop, transports alternate inside it', () => {
  it('--repeat 2 over two scenarios: round 1 complete (feed ws, sse, long-poll, chat ...), then round 2', () => {
    const order = sessionOrder(config({ profile: 'quick', repeat: 2 }), ['ws', 'sse', 'long-poll'], false);
    expect(order.map(({ key, repeat }) => `${repeat} ${key.scenario} ${key.transport}`)).toEqual([
      '1 feed ws', '1 feed sse', '1 feed long-poll', '1 chat ws', '1 chat sse', '1 chat long-poll',
      '2 feed ws', '2 feed sse', '2 feed long-poll', '2 chat ws', '2 chat sse', '2 chat long-poll',
    ]);
  });

  it('browser sessions close each round, after its Node sessions; one repeat is the order before repeats existed', () => {
    const order = sessionOrder(config({ profile: 'quick', scenarios: ['feed'], clients: ['node', 'browser'], repeat: 2 }), ['ws', 'sse'], true);
    expect(order.map(({ key, repeat }) => `${repeat} ${key.client} ${key.transport}`)).toEqual(['1 node ws', '1 node sse', '1 browser ws', '1 browser sse', '2 node ws', '2 node sse', '2 browser ws', '2 browser sse']);
    expect(sessionOrder(config({ profile: 'quick', scenarios: ['feed'] }), ['ws', 'sse'], false).map(({ key, repeat }) => `${repeat} ${key.transport}`)).toEqual(['1 ws', '1 sse']);
  });

  it('a scenario file\'s repeat and pin are checked like the flags', () => {
    expect(() => config({ repeat: 0 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: 'option "repeat" (test) must be an integer from 1 to 20, got 0' }));
    expect(() => config({ repeat: 2.5 })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => config({ pin: 'on' })).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: 'option "pin" (test) must be true or false, got "on"' }));
    expect(config({ repeat: 3, pin: true })).toMatchObject({ repeat: 3, pin: true });
  });

  it('repeat and pin default to 1 and off in both profiles', () => {
    for (const profile of ['quick', 'default']) expect([config({ profile }).repeat, config({ profile }).pin]).toEqual([1, false]);
  });
});

describe('pinning', () => {
  it('reads Linux CPU lists', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0,2-4,7\n')).toEqual([0, 2, 3, 4, 7]);
    expect(parseCpuList('')).toEqual([]);
  });

  it('puts the server on the first allowed CPU and the workers on the rest; one CPU cannot be split', () => {
    expect(planPinning([0, 1], '/usr/bin/taskset')).toEqual({ taskset: '/usr/bin/taskset', server: '0', workers: '1' });
    expect(planPinning([2, 3, 5], '/t')).toEqual({ taskset: '/t', server: '2', workers: '3,5' });
    expect(planPinning([0], '/t')).toBeNull();
  });

  it('forks under taskset -c CPUS with Node as its command, or as given when unpinned', () => {
    expect(forkUnder({ taskset: '/usr/bin/taskset', cpus: '1' }, ['--import', 'tsx'])).toEqual({ execPath: '/usr/bin/taskset', execArgv: ['-c', '1', process.execPath, '--import', 'tsx'] });
    expect(forkUnder(undefined, ['--import', 'tsx'])).toEqual({ execArgv: ['--import', 'tsx'] });
    expect(pinningFor(false)).toEqual({ pinning: null, notice: null });
  });
});

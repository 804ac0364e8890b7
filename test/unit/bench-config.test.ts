/** The bench's configuration: profiles as defaults, layers on top in order, and refusals that name the option and its range. */
import { describe, expect, it } from 'vitest';
import {
  MAX_CONNECTIONS,
  acceptedValues,
  OPTION_CHECKS,
  PROFILE_DEFAULTS,
  PROFILES,
  resolveBenchConfig,
  validateLayer,
  type BenchConfigLayer,
  type LayerSource,
} from '../../scenarios/bench-config.ts';
import { serverHeapArgs } from '../../bench/server-heap.ts';
import { CHAT } from '../../scenarios/chat.ts';
import { UsageError } from '../../scenarios/errors.ts';
import { FEED } from '../../scenarios/feed.ts';
import { MAX_BROWSER_CLIENTS, MAX_CLIENTS_PER_BROWSER } from '../../scenarios/bench-config.ts';

const FILE: LayerSource = { description: 'scenario file my.json' };
const FLAGS: LayerSource = {
  description: 'flags',
  flagOf: { profile: 'profile', 'feed.subscribers': 'connections', 'feed.ratePerSec': 'rate', durationMs: 'duration', transports: 'transports', target: 'target', 'capacity.feedRates': 'capacity-steps' },
};

/** Resolves layers given as [layer, source] pairs; layers may be deliberately ill-typed. */
function resolve(...layers: [unknown, LayerSource][]) {
  return resolveBenchConfig(layers.map(([layer, source]) => ({ layer: layer as BenchConfigLayer, source })));
}

/** A layer that sets one option by its path, e.g. 'feed.subscribers' -> { feed: { subscribers: value } }. */
function layerOf(path: string, value: unknown): Record<string, unknown> {
  const [head, tail] = path.split('.') as [string, string | undefined];
  return tail === undefined ? { [head]: value } : { [head]: { [tail]: value } };
}

/** Asserts that run() throws a UsageError with this code and a message matching `message`; returns the error. */
function refusal(run: () => unknown, code: 'UNKNOWN_OPTION' | 'BAD_OPTION' | 'BAD_SCENARIO', message: RegExp | string): UsageError {
  expect(run).toThrow(message);
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe(code);
    return err as UsageError;
  }
  throw new Error('unreachable: run() threw above');
}

describe('profiles', () => {
  it('uses the default profile when no layer names one', () => {
    expect(resolve()).toEqual(PROFILE_DEFAULTS.default);
    expect(resolve([{ durationMs: 1000 }, FILE]).profile).toBe('default');
    expect(resolve([{ durationMs: 1000 }, FILE]).feed).toEqual(PROFILE_DEFAULTS.default.feed);
  });

  it('uses the quick profile when a layer names it', () => {
    expect(resolve([{ profile: 'quick' }, FLAGS])).toEqual(PROFILE_DEFAULTS.quick);
    expect(resolve([{ profile: 'default' }, FLAGS])).toEqual(PROFILE_DEFAULTS.default);
  });

  it('quick is smaller and shorter than default', () => {
    const { quick, default: full } = PROFILE_DEFAULTS;
    expect(quick).not.toEqual(full);
    expect(quick.profile).toBe('quick');
    expect(full.profile).toBe('default');
    expect(quick.feed.subscribers).toBeLessThan(full.feed.subscribers);
    expect(CHAT.connections(quick, 'node')).toBeLessThan(CHAT.connections(full, 'node'));
    expect(quick.durationMs).toBeLessThan(full.durationMs);
    expect(quick.warmupMs).toBeLessThan(full.warmupMs);
    expect(quick.capacity.maxSteps).toBeLessThan(full.capacity.maxSteps);
    expect(quick.capacity.stepDurationMs).toBeLessThan(full.capacity.stepDurationMs);
  });

  it.each(PROFILES)('%s: every default passes the same checks as a file, and chat fits in MAX_CONNECTIONS', (name) => {
    expect(() => validateLayer(PROFILE_DEFAULTS[name], { description: `profile ${name}` })).not.toThrow();
    expect(CHAT.connections(PROFILE_DEFAULTS[name], 'node')).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(FEED.connections(PROFILE_DEFAULTS[name], 'node')).toBeLessThanOrEqual(MAX_CONNECTIONS);
  });

  it('returns a copy: changing the result leaves the profile defaults alone', () => {
    const config = resolve([{ profile: 'quick' }, FLAGS]);
    config.feed.subscribers = 1;
    config.capacity.scenarios.push('chat');
    config.transports.pop();
    expect(PROFILE_DEFAULTS.quick.feed.subscribers).toBe(200);
    expect(resolve([{ profile: 'quick' }, FLAGS])).toEqual(PROFILE_DEFAULTS.quick);
  });

  it('the last layer that names a profile picks the base; earlier layers still apply on top of it', () => {
    const config = resolve([{ profile: 'quick', durationMs: 9000 }, FILE], [{ profile: 'default' }, FLAGS]);
    expect(config.profile).toBe('default');
    expect(config.feed).toEqual(PROFILE_DEFAULTS.default.feed);
    expect(config.durationMs).toBe(9000);
  });

  it('a profile named only in the file is the base under the flags', () => {
    const config = resolve([{ profile: 'quick' }, FILE], [{ feed: { ratePerSec: 7 } }, FLAGS]);
    expect(config.profile).toBe('quick');
    expect(config.feed).toEqual({ ...PROFILE_DEFAULTS.quick.feed, ratePerSec: 7 });
    expect(config.durationMs).toBe(PROFILE_DEFAULTS.quick.durationMs);
  });
});

describe('layers apply in order', () => {
  it('file, then flags: the later layer wins', () => {
    const config = resolve([{ durationMs: 10_000, warmupMs: 0 }, FILE], [{ durationMs: 2000 }, FLAGS]);
    expect(config.durationMs).toBe(2000);
    expect(config.warmupMs).toBe(0);
    expect(config.drainMaxMs).toBe(PROFILE_DEFAULTS.default.drainMaxMs);
  });

  it('nested objects merge key by key: the file sets feed.subscribers, the flags feed.ratePerSec, both stay', () => {
    const config = resolve([{ feed: { subscribers: 5000 } }, FILE], [{ feed: { ratePerSec: 7 } }, FLAGS]);
    expect(config.feed).toEqual({ subscribers: 5000, ratePerSec: 7, payloadBytes: PROFILE_DEFAULTS.default.feed.payloadBytes });
  });

  it('nested merges keep the untouched keys of chat and capacity too; a later layer overrides one nested key', () => {
    const config = resolve(
      [{ chat: { rooms: 7, membersPerRoom: 3 }, capacity: { feedRates: [1, 2, 3], sloP99Ms: 50 } }, FILE],
      [{ chat: { rooms: 9 }, capacity: { enabled: false } }, FLAGS],
    );
    expect(config.chat).toEqual({ ...PROFILE_DEFAULTS.default.chat, rooms: 9, membersPerRoom: 3 });
    expect(config.capacity).toEqual({ ...PROFILE_DEFAULTS.default.capacity, feedRates: [1, 2, 3], sloP99Ms: 50, enabled: false });
  });

  it('lists replace, they do not concatenate', () => {
    const config = resolve([{ transports: ['ws', 'sse'], capacity: { feedRates: [10, 20] } }, FILE], [{ transports: ['long-poll'] }, FLAGS]);
    expect(config.transports).toEqual(['long-poll']);
    expect(config.capacity.feedRates).toEqual([10, 20]);
  });

  it('does not change the layers it is given', () => {
    const file = { feed: { subscribers: 5000 } };
    const flags = { feed: { ratePerSec: 7 } };
    resolve([file, FILE], [flags, FLAGS]);
    expect(file).toEqual({ feed: { subscribers: 5000 } });
    expect(flags).toEqual({ feed: { ratePerSec: 7 } });
  });

  it('validateLayer returns the layer it accepted', () => {
    const layer = { feed: { subscribers: 10 }, transports: ['ws'], target: null };
    expect(validateLayer(layer, FILE)).toBe(layer);
    expect(validateLayer({}, FILE)).toEqual({});
  });

  it('--target without transports leaves them to be read from the server; named transports stay', () => {
    expect(resolve([{ target: 'http://127.0.0.1:9000' }, FLAGS]).transports).toEqual([]);
    expect(resolve([{ target: 'http://127.0.0.1:9000', transports: ['sse'] }, FLAGS]).transports).toEqual(['sse']);
    expect(resolve([{ transports: ['ws', 'sse'] }, FILE], [{ target: 'http://127.0.0.1:9000' }, FLAGS]).transports).toEqual(['ws', 'sse']);
  });
});

describe('refusals name the option, where it came from, and what it accepts', () => {
  it('an unknown top-level key lists the top-level keys (groups by their name)', () => {
    const err = refusal(() => validateLayer({ duration: 5 }, FILE), 'UNKNOWN_OPTION', 'unknown option "duration" in scenario file my.json; accepted: ');
    const topLevel = [...new Set(Object.keys(OPTION_CHECKS).map((k) => k.split('.')[0]))];
    expect(err.message).toBe(`unknown option "duration" in scenario file my.json; accepted: ${topLevel.join(', ')}`);
    for (const key of ['profile', 'transports', 'durationMs', 'feed', 'chat', 'capacity', 'target']) expect(err.message).toContain(key);
    expect(err.message).not.toContain('feed.subscribers');
  });

  it.each([
    ['feed.subscriber', 'feed.subscribers, feed.ratePerSec, feed.payloadBytes'],
    ['chat.members', 'chat.rooms, chat.membersPerRoom, chat.sendRatePerMember, chat.payloadBytes'],
    ['capacity.steps', 'capacity.enabled, capacity.scenarios, capacity.feedRates, capacity.chatRates, capacity.feedStartRate, capacity.chatStartRate, capacity.feedMaxRate, capacity.chatMaxRate, capacity.maxSteps, capacity.resolution, capacity.stepWarmupMs, capacity.stepDurationMs, capacity.sloP99Ms, capacity.sloMaxLoss'],
  ])('an unknown nested key %s lists only the keys of its object', (path, accepted) => {
    const err = refusal(() => validateLayer(layerOf(path, 1), FILE), 'UNKNOWN_OPTION', `unknown option "${path}" in scenario file my.json; accepted: ${accepted}`);
    expect(err.message).not.toContain('durationMs');
  });

  it.each<[string, unknown, string]>([
    ['feed.subscribers', '1000', 'an integer from 1 to 20000, got "1000"'],
    ['feed.subscribers', 1.5, 'an integer from 1 to 20000, got 1.5'],
    ['feed.subscribers', null, 'an integer from 1 to 20000, got null'],
    ['durationMs', '5s', 'a duration from 0.5 s to 3600 s (in ms: an integer from 500 to 3600000), got "5s"'],
    ['warmupMs', -1, 'a duration from 0 s to 600 s (in ms: an integer from 0 to 600000), got -1'],
    ['capacity.enabled', 'yes', 'true or false, got "yes"'],
    ['json', 1, 'true or false, got 1'],
    ['transports', 'ws', 'a non-empty list of distinct values from ws, sse, long-poll, got "ws"'],
    ['scenarios', ['feed', 3], 'a non-empty list of distinct values from feed, chat, got ["feed",3]'],
    ['clients', ['deno'], 'a non-empty list of distinct values from node, browser, got ["deno"]'],
    ['encodings', [], 'a non-empty list of distinct values from json, binary, got []'],
    ['capacity.feedRates', '100,200', '1 to 20 increasing integers from 1 to 100000, got "100,200"'],
    ['profile', 'huge', 'one of quick, default, got "huge"'],
    ['profile', 1, 'one of quick, default, got 1'],
    ['out', '', 'a non-empty string, got ""'],
    ['token', 5, 'a non-empty string, got 5'],
    ['target', 8080, 'an http:// URL, got 8080'],
  ])('%s = %j (wrong type or value): "must be %s"', (path, value, expected) => {
    const err = refusal(() => validateLayer(layerOf(path, value), FILE), 'BAD_OPTION', expected);
    expect(err.message).toBe(`option "${path}" (scenario file my.json) must be ${expected}`);
  });

  it.each([0, 20_001, -1])('feed.subscribers %d is out of range: "an integer from 1 to 20000"', (value) => {
    refusal(() => validateLayer({ feed: { subscribers: value } }, FILE), 'BAD_OPTION', `option "feed.subscribers" (scenario file my.json) must be an integer from 1 to 20000, got ${value}`);
  });

  it('every integer option (durations included) accepts both ends of its range and refuses one past each end', () => {
    let integers = 0;
    const durations: string[] = [];
    for (const [path, check] of Object.entries(OPTION_CHECKS)) {
      const expected = check(Number.NaN) ?? '';
      const range = /an integer from (\d+) to (\d+)\)?$/.exec(expected);
      if (range === null) continue;
      integers++;
      if (expected.startsWith('a duration')) durations.push(path);
      const [min, max] = [Number(range[1]), Number(range[2])];
      expect(() => validateLayer(layerOf(path, min), FILE), `${path}=${min}`).not.toThrow();
      expect(() => validateLayer(layerOf(path, max), FILE), `${path}=${max}`).not.toThrow();
      for (const bad of [min - 1, max + 1, min + 0.5]) {
        refusal(() => validateLayer(layerOf(path, bad), FILE), 'BAD_OPTION', `option "${path}" (scenario file my.json) must be ${expected}, got ${bad}`);
      }
    }
    expect(integers).toBeGreaterThanOrEqual(17);
    expect(durations.sort()).toEqual(['capacity.stepDurationMs', 'capacity.stepWarmupMs', 'drainMaxMs', 'durationMs', 'warmupMs']);
  });

  it.each<[string, number, string]>([
    ['warmupMs', 600_001, 'a duration from 0 s to 600 s (in ms: an integer from 0 to 600000)'],
    ['durationMs', 499, 'a duration from 0.5 s to 3600 s (in ms: an integer from 500 to 3600000)'],
    ['drainMaxMs', 99, 'a duration from 0.1 s to 60 s (in ms: an integer from 100 to 60000)'],
    ['capacity.stepWarmupMs', 60_001, 'a duration from 0 s to 60 s (in ms: an integer from 0 to 60000)'],
    ['capacity.stepDurationMs', 600_001, 'a duration from 0.5 s to 600 s (in ms: an integer from 500 to 600000)'],
  ])('duration option %s = %d: "must be %s", not "must be an integer"', (path, value, expected) => {
    const err = refusal(() => validateLayer(layerOf(path, value), FILE), 'BAD_OPTION', expected);
    expect(err.message).toBe(`option "${path}" (scenario file my.json) must be ${expected}, got ${value}`);
    expect(err.message).not.toContain('must be an integer');
  });

  it.each<[string, string]>([
    ['feed.subscribers', 'an integer from 1 to 20000'],
    ['feed.ratePerSec', 'an integer from 1 to 100000'],
    ['chat.membersPerRoom', 'an integer from 2 to 1000'],
    ['workers', 'an integer from 0 to 64'],
    ['durationMs', 'a duration from 0.5 s to 3600 s (in ms: an integer from 500 to 3600000)'],
    ['capacity.feedRates', '1 to 20 increasing integers from 1 to 100000'],
    ['no.such.option', 'a valid value'],
  ])('acceptedValues(%s) (what a refused flag states) is "%s"', (path, expected) => {
    expect(acceptedValues(path)).toBe(expected);
  });

  it.each<[string, number[]]>([
    ['decreasing', [300, 200]],
    ['repeated', [100, 100]],
    ['empty', []],
    ['21 steps', Array.from({ length: 21 }, (_, i) => i + 1)],
    ['a step of 0', [0, 100]],
    ['a step above the range', [100, 100_001]],
  ])('capacity steps: refuses %s', (_label, steps) => {
    refusal(() => validateLayer({ capacity: { feedRates: steps } }, FILE), 'BAD_OPTION', `option "capacity.feedRates" (scenario file my.json) must be 1 to 20 increasing integers from 1 to 100000, got ${JSON.stringify(steps)}`);
  });

  it('capacity steps: accepts 20 increasing steps, and chat steps have their own range', () => {
    expect(() => validateLayer({ capacity: { feedRates: Array.from({ length: 20 }, (_, i) => (i + 1) * 10) } }, FILE)).not.toThrow();
    refusal(() => validateLayer({ capacity: { chatRates: [10, 1001] } }, FILE), 'BAD_OPTION', 'option "capacity.chatRates" (scenario file my.json) must be 1 to 20 increasing integers from 1 to 1000, got [10,1001]');
  });

  it.each<[string, unknown[]]>([
    ['duplicate', ['ws', 'ws']],
    ['unknown', ['ws', 'carrier-pigeon']],
    ['empty', []],
  ])('transports: refuses a list with %s entries', (_label, transports) => {
    refusal(() => validateLayer({ transports }, FILE), 'BAD_OPTION', `option "transports" (scenario file my.json) must be a non-empty list of distinct values from ws, sse, long-poll, got ${JSON.stringify(transports)}`);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [{ durationMs: 1000 }]],
    ['a string', 'durationMs=1000'],
    ['a number', 5],
    ['undefined', undefined],
  ])('a layer that is %s, not an object', (_label, layer) => {
    const err = refusal(() => validateLayer(layer, FILE), 'BAD_SCENARIO', 'scenario file my.json must be a JSON object of options');
    expect(err.message).toContain('{"feed": {"subscribers": 1000}}');
  });

  it.each<[string, unknown, string]>([
    ['feed', 5, 'subscribers, ratePerSec, payloadBytes'],
    ['feed', [1000], 'subscribers, ratePerSec, payloadBytes'],
    ['chat', null, 'rooms, membersPerRoom, sendRatePerMember, payloadBytes'],
    ['capacity', false, 'enabled, scenarios, feedRates, chatRates, feedStartRate, chatStartRate, feedMaxRate, chatMaxRate, maxSteps, resolution, stepWarmupMs, stepDurationMs, sloP99Ms, sloMaxLoss, axis, startConnections, maxConnections, connectionRate'],
  ])('a nested option %s given as %j lists the keys it takes', (key, value, keys) => {
    const err = refusal(() => validateLayer({ [key]: value }, FILE), 'BAD_SCENARIO', `option "${key}" (scenario file my.json) must be an object with keys ${keys}`);
    expect(err.message).toBe(`option "${key}" (scenario file my.json) must be an object with keys ${keys}`);
  });

  it('names the first problem: earlier keys are checked first', () => {
    refusal(() => validateLayer({ durationMs: 1, feed: { subscribers: 0 } }, FILE), 'BAD_OPTION', 'option "durationMs"');
  });

  it('resolveBenchConfig checks every layer it is given', () => {
    refusal(() => resolve([{ durationMs: 1000 }, FILE], [{ feed: { subscribers: 0 } }, FLAGS]), 'BAD_OPTION', '--connections must be an integer from 1 to 20000, got 0');
    refusal(() => resolve([{ feed: { subscriber: 10 } }, FILE]), 'UNKNOWN_OPTION', 'unknown option "feed.subscriber" in scenario file my.json');
    refusal(() => resolve([[], FILE]), 'BAD_SCENARIO', 'scenario file my.json must be a JSON object of options');
  });
});

describe('a source with flagOf names the flag instead of the option path', () => {
  it.each<[unknown, string]>([
    [{ feed: { subscribers: 0 } }, '--connections must be an integer from 1 to 20000, got 0'],
    [{ feed: { ratePerSec: 0 } }, '--rate must be an integer from 1 to 100000, got 0'],
    [{ durationMs: 100 }, '--duration must be a duration from 0.5 s to 3600 s (in ms: an integer from 500 to 3600000), got 100'],
    [{ transports: ['ws', 'carrier-pigeon'] }, '--transports must be a non-empty list of distinct values from ws, sse, long-poll, got ["ws","carrier-pigeon"]'],
    [{ capacity: { feedRates: [300, 200] } }, '--capacity-steps must be 1 to 20 increasing integers from 1 to 100000, got [300,200]'],
  ])('%j', (layer, message) => {
    const err = refusal(() => validateLayer(layer, FLAGS), 'BAD_OPTION', message);
    expect(err.message).toBe(message);
    expect(err.message).not.toMatch(/option "|\(flags\)/);
  });

  it('an option the flags did not set falls back to its path', () => {
    refusal(() => validateLayer({ workers: 65 }, FLAGS), 'BAD_OPTION', 'option "workers" (flags) must be an integer from 0 to 64, got 65');
  });

  it('the same option from a file without flagOf is named by its path', () => {
    const err = refusal(() => validateLayer({ feed: { subscribers: 0 } }, FILE), 'BAD_OPTION', 'option "feed.subscribers" (scenario file my.json)');
    expect(err.message).not.toContain('--connections');
  });
});

describe('chat connections are capped at MAX_CONNECTIONS', () => {
  it('refuses rooms x members above the cap, naming the total, the cap and what to lower', () => {
    const rooms = MAX_CONNECTIONS / 10 + 1;
    const err = refusal(() => resolve([{ chat: { rooms, membersPerRoom: 10 } }, FLAGS]), 'BAD_OPTION', `chat would open ${rooms * 10} connections`);
    expect(err.message).toMatch(new RegExp(`at most ${MAX_CONNECTIONS}\\b`));
    expect(err.message).toContain(`(${rooms} rooms x 10 members)`);
    expect(err.message).toMatch(/lower chat\.rooms or chat\.membersPerRoom \(--rooms, --room-size, --connections\)/);
  });

  it('counts the merged layers: rooms from the file, members from the flags', () => {
    refusal(() => resolve([{ chat: { rooms: 1000 } }, FILE], [{ chat: { membersPerRoom: 21 } }, FLAGS]), 'BAD_OPTION', 'chat would open 21000 connections');
  });

  it('accepts exactly the cap, and any size when chat is not run', () => {
    expect(CHAT.connections(resolve([{ chat: { rooms: MAX_CONNECTIONS / 10, membersPerRoom: 10 } }, FLAGS]), 'node')).toBe(MAX_CONNECTIONS);
    const feedOnly = resolve([{ scenarios: ['feed'], chat: { rooms: 10_000, membersPerRoom: 1000 } }, FLAGS]);
    expect(feedOnly.scenarios).toEqual(['feed']);
  });
});

describe('--target', () => {
  it.each(['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'http://localhost:9000', 'http://[::1]:9000', 'http://127.0.0.2:80', null])('accepts %j', (target) => {
    expect(resolve([{ target }, FLAGS]).target).toBe(target);
  });

  it.each<[string, string]>([
    ['https://127.0.0.1:8443', 'an http://host:port URL of the server (no path: the lab adds /ws, /sse, /poll)'],
    ['ws://127.0.0.1:8080', 'an http://host:port URL of the server (no path: the lab adds /ws, /sse, /poll)'],
    ['http://127.0.0.1:8080/ws', 'an http://host:port URL of the server (no path: the lab adds /ws, /sse, /poll)'],
    ['http://127.0.0.1:8080/?token=x', 'an http://host:port URL of the server (no path: the lab adds /ws, /sse, /poll)'],
    ['127.0.0.1:8080', 'an http://host:port URL of the server'],
    ['http://bench-host.internal:80', 'a server on this machine (127.0.0.1, localhost or [::1], not bench-host.internal): the lab sends load to loopback only'],
    ['http://10.0.0.5:8080', 'a server on this machine (127.0.0.1, localhost or [::1], not 10.0.0.5): the lab sends load to loopback only'],
    ['not a url', 'an http://host:port URL of the server'],
    ['', 'an http://host:port URL of the server'],
  ])('refuses %j', (target, expected) => {
    const err = refusal(() => validateLayer({ target }, FLAGS), 'BAD_OPTION', `--target must be ${expected}, got ${JSON.stringify(target)}`);
    expect(err.message).toBe(`--target must be ${expected}, got ${JSON.stringify(target)}`);
  });
});

describe('serverHeap (--server-heap): the V8 heap of the lab\'s own servers', () => {
  it('is Node\'s default unless asked; lean in a scenario file or a flag; anything else is refused with the accepted values', () => {
    expect(resolve([{}, FLAGS]).serverHeap).toBe('default');
    expect(resolve([{ serverHeap: 'lean' }, FILE]).serverHeap).toBe('lean');
    expect(resolve([{ serverHeap: 'lean' }, FILE], [{ serverHeap: 'default' }, FLAGS]).serverHeap).toBe('default');
    const err = refusal(() => resolve([{ serverHeap: 'tiny' }, FILE]), 'BAD_OPTION', 'one of default, lean');
    expect(err.message).toBe('option "serverHeap" (scenario file my.json) must be one of default, lean, got "tiny"');
  });

  it('lean starts the servers with a small young generation and a slow-growing old one; default adds no Node options', () => {
    expect(serverHeapArgs('default')).toEqual([]);
    expect(serverHeapArgs('lean')).toEqual(['--max-semi-space-size=1', '--heap-growing-percent=50']);
  });
});

describe('layers are all checked before any is applied; dotted keys belong in their group', () => {
  it('an unknown profile in a later layer is a BAD_OPTION, not a TypeError from an earlier layer (CLI: --scenario-file f.json --profile huge exits 2)', () => {
    const err = refusal(() => resolve([{ durationMs: 1000 }, FILE], [{ profile: 'huge' }, FLAGS]), 'BAD_OPTION', '--profile must be one of quick, default, got "huge"');
    expect(err.message).toBe('--profile must be one of quick, default, got "huge"');
  });

  it.each<[string, string]>([
    ['feed.subscribers', 'write {"feed": {"subscribers": ...}}'],
    ['chat.rooms', 'write {"chat": {"rooms": ...}}'],
    ['capacity.enabled', 'write {"capacity": {"enabled": ...}}'],
  ])('a flat dotted key such as {"%s": 7} is refused with the nested form to write instead', (key, hint) => {
    const err = refusal(() => resolve([{ [key]: 7 }, FILE]), 'UNKNOWN_OPTION', hint);
    expect(err.message).toBe(`unknown option "${key}" in scenario file my.json: ${hint}`);
    refusal(() => validateLayer({ [key]: 7 }, FILE), 'UNKNOWN_OPTION', hint);
  });

  it('an unknown dotted key such as {"nope.x": 1} lists the accepted top-level keys', () => {
    const err = refusal(() => validateLayer({ 'nope.x': 1 }, FILE), 'UNKNOWN_OPTION', 'unknown option "nope.x"');
    expect(err.message).toBe(
      'unknown option "nope.x" in scenario file my.json; accepted: profile, transports, scenarios, clients, encodings, feed, chat, browser, warmupMs, durationMs, drainMaxMs, capacity, connectRatePerSec, maxConnectsInFlight, workers, target, token, out, json, repeat, pin, serverHeap',
    );
    expect(err.message).not.toMatch(/accepted: .*\w\.\w/);
    expect(err.message).not.toContain('write {');
  });
});

describe('chatMembers (--clients N / --connections N) sizes the chat rooms', () => {
  const withMembers = (chatMembers: number, ...layers: [unknown, LayerSource][]) =>
    resolveBenchConfig(layers.map(([layer, source]) => ({ layer: layer as BenchConfigLayer, source })), { chatMembers });

  it('N members in rooms of the configured size: rooms = max(1, round(N / membersPerRoom))', () => {
    expect(withMembers(500, [{}, FLAGS]).chat).toMatchObject({ rooms: 50, membersPerRoom: 10 });
    expect(withMembers(500, [{ chat: { membersPerRoom: 25 } }, FLAGS]).chat).toMatchObject({ rooms: 20, membersPerRoom: 25 });
    expect(withMembers(500, [{ profile: 'quick' }, FLAGS]).chat).toMatchObject({ rooms: 50, membersPerRoom: PROFILE_DEFAULTS.quick.chat.membersPerRoom });
    expect(withMembers(25, [{}, FLAGS]).chat.rooms).toBe(3);
    expect(withMembers(24, [{}, FLAGS]).chat.rooms).toBe(2);
    expect(withMembers(3, [{}, FLAGS]).chat.rooms).toBe(1);
    expect(resolve([{}, FLAGS]).chat.rooms).toBe(PROFILE_DEFAULTS.default.chat.rooms);
  });

  it('a room count set by a layer wins, whichever layer set it, and still counts against the cap', () => {
    expect(withMembers(500, [{ chat: { rooms: 7 } }, FILE]).chat).toMatchObject({ rooms: 7, membersPerRoom: 10 });
    expect(withMembers(500, [{ chat: { rooms: 7 } }, FILE], [{ chat: { membersPerRoom: 4 } }, FLAGS]).chat).toMatchObject({ rooms: 7, membersPerRoom: 4 });
    expect(withMembers(500, [{}, FILE], [{ chat: { rooms: 9 } }, FLAGS]).chat.rooms).toBe(9);
    refusal(() => withMembers(100, [{ chat: { rooms: 2001 } }, FLAGS]), 'BAD_OPTION', 'chat would open 20010 connections (2001 rooms x 10 members)');
  });

  it('is checked against the cap after sizing: one room of 1000 is fine, 6667 rooms of 3 are not', () => {
    const one = withMembers(1000, [{ chat: { membersPerRoom: 1000 } }, FLAGS]);
    expect(one.chat).toMatchObject({ rooms: 1, membersPerRoom: 1000 });
    expect(CHAT.connections(one, 'node')).toBe(1000);
    const err = refusal(() => withMembers(20_000, [{ chat: { membersPerRoom: 3 } }, FLAGS]), 'BAD_OPTION', 'chat would open 20001 connections (6667 rooms x 3 members)');
    expect(err.message).toBe('chat would open 20001 connections (6667 rooms x 3 members); at most 20000: lower chat.rooms or chat.membersPerRoom (--rooms, --room-size, --connections)');
    expect(CHAT.connections(withMembers(20_000, [{ chat: { membersPerRoom: 4 } }, FLAGS]), 'node')).toBe(MAX_CONNECTIONS);
  });

  it('sizes chat even when chat is not run, but only refuses when it is', () => {
    expect(withMembers(20_000, [{ scenarios: ['feed'], chat: { membersPerRoom: 3 } }, FLAGS]).chat.rooms).toBe(6667);
    refusal(() => withMembers(20_000, [{ scenarios: ['chat'], chat: { membersPerRoom: 3 } }, FLAGS]), 'BAD_OPTION', 'chat would open 20001 connections');
  });
});

describe('browser options', () => {
  const withSizes = (sizes: { chatMembers?: number; browserChatMembers?: number }, ...layers: [unknown, LayerSource][]) =>
    resolveBenchConfig(
      layers.map(([layer, source]) => ({ layer: layer as BenchConfigLayer, source })),
      sizes,
    );

  it('the default profile runs Node and browser clients; quick runs Node only', () => {
    expect(PROFILE_DEFAULTS.default.clients).toEqual(['node', 'browser']);
    expect(PROFILE_DEFAULTS.quick.clients).toEqual(['node']);
    expect(resolve().clients).toEqual(['node', 'browser']);
    expect(resolve([{ profile: 'quick' }, FLAGS]).clients).toEqual(['node']);
  });

  it.each(PROFILES)('%s: browser defaults are modest and inside every limit', (name) => {
    const { browser } = PROFILE_DEFAULTS[name];
    expect(browser.feedSubscribers).toBeLessThanOrEqual(MAX_BROWSER_CLIENTS);
    expect(browser.chatRooms * browser.chatMembersPerRoom).toBeLessThanOrEqual(MAX_BROWSER_CLIENTS);
    expect(browser.clientsPerBrowser).toBeLessThanOrEqual(MAX_CLIENTS_PER_BROWSER);
    expect(browser.feedSubscribers).toBeLessThan(PROFILE_DEFAULTS[name].feed.subscribers);
    expect(() => validateLayer({ browser }, FILE)).not.toThrow();
  });

  it('the caps: 1000 browser clients per run, 180 per Chromium', () => {
    expect(MAX_BROWSER_CLIENTS).toBe(1000);
    expect(MAX_CLIENTS_PER_BROWSER).toBe(180);
  });

  it('OPTION_CHECKS has exactly these browser.* options', () => {
    expect(Object.keys(OPTION_CHECKS).filter((k) => k.startsWith('browser.'))).toEqual([
      'browser.feedSubscribers',
      'browser.chatRooms',
      'browser.chatMembersPerRoom',
      'browser.feedRatePerSec',
      'browser.chatSendRatePerMember',
      'browser.clientsPerPage',
      'browser.clientsPerBrowser',
      'browser.reconnect',
      'browser.connectionLimit',
    ]);
    expect(Object.keys(PROFILE_DEFAULTS.default.browser).sort()).toEqual(
      Object.keys(OPTION_CHECKS)
        .filter((k) => k.startsWith('browser.'))
        .map((k) => k.slice('browser.'.length))
        .sort(),
    );
  });

  it.each<[string, string]>([
    ['browser.feedSubscribers', `an integer from 1 to ${MAX_BROWSER_CLIENTS}`],
    ['browser.chatRooms', 'an integer from 1 to 100'],
    ['browser.chatMembersPerRoom', 'an integer from 2 to 100'],
    ['browser.clientsPerPage', 'an integer from 1 to 200'],
    ['browser.clientsPerBrowser', `an integer from 1 to ${MAX_CLIENTS_PER_BROWSER}`],
  ])('%s accepts %s', (path, expected) => {
    expect(acceptedValues(path)).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['browser.feedSubscribers', 0, `an integer from 1 to ${MAX_BROWSER_CLIENTS}, got 0`],
    ['browser.feedSubscribers', MAX_BROWSER_CLIENTS + 1, `an integer from 1 to ${MAX_BROWSER_CLIENTS}, got ${MAX_BROWSER_CLIENTS + 1}`],
    ['browser.clientsPerPage', 0, 'an integer from 1 to 200, got 0'],
    ['browser.clientsPerBrowser', MAX_CLIENTS_PER_BROWSER + 1, `an integer from 1 to ${MAX_CLIENTS_PER_BROWSER}, got ${MAX_CLIENTS_PER_BROWSER + 1}`],
    ['browser.chatMembersPerRoom', 1, 'an integer from 2 to 100, got 1'],
    ['browser.feedRatePerSec', 0, 'an integer from 1 to 100000, got 0'],
    ['browser.feedRatePerSec', '20', 'an integer from 1 to 100000, got "20"'],
    ['browser.chatSendRatePerMember', 1001, 'an integer from 1 to 1000, got 1001'],
    ['browser.reconnect', 'no', 'true or false, got "no"'],
    ['browser.connectionLimit', 0, 'true or false, got 0'],
  ])('refuses %s = %j: "must be %s"', (path, value, expected) => {
    const err = refusal(() => validateLayer(layerOf(path, value), FILE), 'BAD_OPTION', expected);
    expect(err.message).toBe(`option "${path}" (scenario file my.json) must be ${expected}`);
  });

  it('the browser rates may be null (the Node runs’ rates)', () => {
    const config = resolve([{ browser: { feedRatePerSec: null, chatSendRatePerMember: null } }, FILE]);
    expect(config.browser.feedRatePerSec).toBeNull();
    expect(config.browser.chatSendRatePerMember).toBeNull();
  });

  it('an unknown browser key lists the browser keys only', () => {
    const err = refusal(() => validateLayer({ browser: { clients: 5 } }, FILE), 'UNKNOWN_OPTION', 'unknown option "browser.clients" in scenario file my.json; accepted: browser.feedSubscribers, ');
    expect(err.message).toContain('browser.connectionLimit');
    expect(err.message).not.toContain('feed.subscribers,');
  });

  it('a browser group that is not an object lists its keys; {"browser.reconnect": false} is told the nested form', () => {
    refusal(
      () => validateLayer({ browser: true }, FILE),
      'BAD_SCENARIO',
      'option "browser" (scenario file my.json) must be an object with keys feedSubscribers, chatRooms, chatMembersPerRoom, feedRatePerSec, chatSendRatePerMember, clientsPerPage, clientsPerBrowser, reconnect, connectionLimit',
    );
    refusal(() => validateLayer({ 'browser.reconnect': false }, FILE), 'UNKNOWN_OPTION', 'write {"browser": {"reconnect": ...}}');
  });

  it('the browser group merges key by key over the profile, and apart from feed and chat', () => {
    const config = resolve([{ browser: { feedSubscribers: 80, reconnect: false } }, FILE], [{ browser: { clientsPerPage: 10 } }, FLAGS]);
    expect(config.browser).toEqual({ ...PROFILE_DEFAULTS.default.browser, feedSubscribers: 80, reconnect: false, clientsPerPage: 10 });
    expect(config.feed).toEqual(PROFILE_DEFAULTS.default.feed);
    expect(PROFILE_DEFAULTS.default.browser.feedSubscribers).toBe(50);
  });

  it('a scenario counts browser clients from the browser sizes, Node clients from feed and chat', () => {
    const config = resolve([{ feed: { subscribers: 300 }, chat: { rooms: 4, membersPerRoom: 5 }, browser: { feedSubscribers: 40, chatRooms: 3, chatMembersPerRoom: 7 } }, FILE]);
    expect(FEED.connections(config, 'browser')).toBe(40);
    expect(CHAT.connections(config, 'browser')).toBe(21);
    expect(FEED.connections(config, 'node')).toBe(300);
    expect(CHAT.connections(config, 'node')).toBe(20);
  });

  it('browserChatMembers sizes browser chat as N members in rooms of browser.chatMembersPerRoom; chat is left alone', () => {
    const config = withSizes({ browserChatMembers: 95 }, [{}, FLAGS]);
    expect(config.browser.chatRooms).toBe(10); // round(9.5)
    expect(config.chat.rooms).toBe(PROFILE_DEFAULTS.default.chat.rooms);
    expect(withSizes({ browserChatMembers: 3 }, [{}, FLAGS]).browser.chatRooms).toBe(1);
    expect(withSizes({ browserChatMembers: 60 }, [{ browser: { chatMembersPerRoom: 4 } }, FILE]).browser.chatRooms).toBe(15);
    // And chatMembers leaves the browser rooms alone.
    const nodeOnly = withSizes({ chatMembers: 500 }, [{}, FLAGS]);
    expect(nodeOnly.chat.rooms).toBe(50);
    expect(nodeOnly.browser.chatRooms).toBe(PROFILE_DEFAULTS.default.browser.chatRooms);
  });

  it('a browser.chatRooms set by a layer wins over browserChatMembers', () => {
    expect(withSizes({ browserChatMembers: 500 }, [{ browser: { chatRooms: 7 } }, FILE]).browser.chatRooms).toBe(7);
    expect(withSizes({ browserChatMembers: 500 }, [{}, FILE], [{ browser: { chatRooms: 9 } }, FLAGS]).browser.chatRooms).toBe(9);
    // chat.rooms set by a layer does not stop the browser sizing.
    expect(withSizes({ browserChatMembers: 500 }, [{ chat: { rooms: 7 } }, FILE]).browser.chatRooms).toBe(50);
  });

  it(`refuses browser chat above ${MAX_BROWSER_CLIENTS} clients, naming the total, the rooms and what to lower`, () => {
    const err = refusal(() => resolve([{ browser: { chatRooms: 11, chatMembersPerRoom: 91 } }, FILE]), 'BAD_OPTION', 'browser chat would open 1001 clients');
    expect(err.message).toBe(`browser chat would open 1001 clients (11 rooms x 91 members); at most ${MAX_BROWSER_CLIENTS}: lower --browser-clients (or --connections with --clients browser), browser.chatRooms or browser.chatMembersPerRoom`);
    // Sized by browserChatMembers: 2000 members in rooms of 10.
    refusal(() => withSizes({ browserChatMembers: 2000 }, [{}, FLAGS]), 'BAD_OPTION', 'browser chat would open 2000 clients (200 rooms x 10 members)');
  });

  it('accepts exactly the cap; does not refuse without browser clients or without chat', () => {
    expect(CHAT.connections(resolve([{ browser: { chatRooms: 10, chatMembersPerRoom: 100 } }, FILE]), 'browser')).toBe(MAX_BROWSER_CLIENTS);
    expect(CHAT.connections(withSizes({ browserChatMembers: 1000 }, [{}, FLAGS]), 'browser')).toBe(MAX_BROWSER_CLIENTS);
    const big = { browser: { chatRooms: 100, chatMembersPerRoom: 100 } };
    expect(() => resolve([{ ...big, clients: ['node'] }, FILE])).not.toThrow();
    expect(() => resolve([{ ...big, profile: 'quick' }, FILE])).not.toThrow();
    expect(() => resolve([{ ...big, scenarios: ['feed'] }, FILE])).not.toThrow();
    refusal(() => resolve([{ ...big, clients: ['browser'] }, FILE]), 'BAD_OPTION', 'browser chat would open 10000 clients (100 rooms x 100 members)');
  });

  it('Node and browser chat are capped apart: 20,000 Node members and 1,000 browser members both pass', () => {
    const config = withSizes({ chatMembers: 20_000, browserChatMembers: 1000 }, [{ chat: { membersPerRoom: 4 } }, FLAGS]);
    expect(CHAT.connections(config, 'node')).toBe(MAX_CONNECTIONS);
    expect(CHAT.connections(config, 'browser')).toBe(MAX_BROWSER_CLIENTS);
  });
});

describe('capacity search bounds', () => {
  it('searches by default: no fixed steps, a start, a maximum rate, a step budget and a 10 % resolution', () => {
    for (const name of PROFILES) {
      const { capacity } = PROFILE_DEFAULTS[name];
      expect(capacity).toMatchObject({ feedRates: null, chatRates: null, resolution: 0.1 });
      expect(capacity.feedStartRate).toBeLessThanOrEqual(capacity.feedMaxRate);
      expect(capacity.chatStartRate).toBeLessThanOrEqual(capacity.chatMaxRate);
    }
  });

  it.each<[string, unknown, string]>([
    ['capacity.resolution', 0, 'a fraction from 0.01 to 1 (0.1: 10 %)'],
    ['capacity.resolution', 1.5, 'a fraction from 0.01 to 1 (0.1: 10 %)'],
    ['capacity.resolution', '10%', 'a fraction from 0.01 to 1 (0.1: 10 %)'],
    ['capacity.maxSteps', 1, 'an integer from 2 to 40'],
    ['capacity.feedStartRate', 0, 'an integer from 1 to 100000'],
    ['capacity.chatMaxRate', 1001, 'an integer from 1 to 1000'],
  ])('refuses %s = %j', (path, value, expected) => {
    refusal(() => validateLayer(layerOf(path, value), FILE), 'BAD_OPTION', `option "${path}" (scenario file my.json) must be ${expected}, got ${JSON.stringify(value)}`);
  });

  it('refuses a start above the maximum rate, naming both where they were set', () => {
    refusal(
      () => resolve([{ capacity: { feedMaxRate: 50 } }, FILE], [{ capacity: { feedStartRate: 80 } }, { description: 'flags', flagOf: { 'capacity.feedStartRate': 'capacity-start' } }]),
      'BAD_OPTION',
      '--capacity-start (80) must not exceed option "capacity.feedMaxRate" (scenario file my.json) (50): lower the start or raise the maximum',
    );
    refusal(() => resolve([{ capacity: { chatStartRate: 900, chatMaxRate: 20 } }, FILE]), 'BAD_OPTION', 'option "capacity.chatStartRate" (scenario file my.json) (900) must not exceed');
  });

  it('the connections axis: off by default (axis rate), and when asked for it starts at 1,000 and may reach the 20,000 a run may open', () => {
    for (const name of PROFILES) expect(PROFILE_DEFAULTS[name].capacity).toMatchObject({ axis: 'rate', startConnections: 1000, maxConnections: MAX_CONNECTIONS, connectionRate: 2 });
    expect(resolve([{ capacity: { axis: 'connections', maxConnections: 4000 } }, FILE]).capacity).toMatchObject({ axis: 'connections', startConnections: 1000, maxConnections: 4000 });
  });

  it.each<[string, unknown, string]>([
    ['capacity.axis', 'sideways', 'one of rate, connections'],
    ['capacity.axis', 'connection', 'one of rate, connections'],
    ['capacity.maxConnections', MAX_CONNECTIONS + 1, `an integer from 1 to ${MAX_CONNECTIONS}`],
    ['capacity.startConnections', 0, `an integer from 1 to ${MAX_CONNECTIONS}`],
    ['capacity.connectionRate', 1001, 'an integer from 1 to 1000'],
  ])('connections axis: refuses %s = %j', (path, value, expected) => {
    refusal(() => validateLayer(layerOf(path, value), FILE), 'BAD_OPTION', `option "${path}" (scenario file my.json) must be ${expected}, got ${JSON.stringify(value)}`);
  });

  it('connections axis: refuses a first count above the maximum, naming both', () => {
    refusal(
      () => resolve([{ capacity: { axis: 'connections', startConnections: 5000 } }, { description: 'flags', flagOf: { 'capacity.startConnections': 'capacity-start-connections' } }], [{ capacity: { maxConnections: 4000 } }, FILE]),
      'BAD_OPTION',
      '--capacity-start-connections (5000) must not exceed option "capacity.maxConnections" (scenario file my.json) (4000): lower the start or raise the maximum',
    );
  });

  it('fixed steps may be given, and taken away again (null: search)', () => {
    expect(resolve([{ capacity: { feedRates: [100, 200] } }, FILE]).capacity.feedRates).toEqual([100, 200]);
    expect(resolve([{ capacity: { feedRates: [100, 200] } }, FILE], [{ capacity: { feedRates: null } }, FLAGS]).capacity.feedRates).toBeNull();
  });
});

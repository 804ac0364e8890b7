/** The scenario modules and their registry: who connects to what, the rates and sizes each takes from the configuration. */
import { describe, expect, it } from 'vitest';
import { PROFILE_DEFAULTS, type BenchConfig } from '../../scenarios/bench-config.ts';
import { CHAT } from '../../scenarios/chat.ts';
import { CHROMIUM_CONNECTIONS_PER_ORIGIN, CLIENT_KINDS, NAME_PATTERN, SCENARIO_NAMES } from '../../scenarios/constants.ts';
import { FEED } from '../../scenarios/feed.ts';
import { SCENARIOS, scenarioOf } from '../../scenarios/registry.ts';

function config(overrides: Partial<BenchConfig> = {}): BenchConfig {
  return { ...PROFILE_DEFAULTS.quick, ...overrides };
}
const browserConfig = (overrides: Partial<BenchConfig['browser']> = {}): BenchConfig => config({ browser: { ...PROFILE_DEFAULTS.quick.browser, ...overrides } });

describe('registry', () => {
  it('holds one module per scenario name, in SCENARIO_NAMES order, each under its own name', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    for (const name of SCENARIO_NAMES) expect(scenarioOf(name).name).toBe(name);
    expect(scenarioOf('feed')).toBe(FEED);
    expect(scenarioOf('chat')).toBe(CHAT);
  });

  it('every scenario counts as many connections as it plans specs, for every client kind, with distinct valid ids', () => {
    const c = browserConfig({ feedSubscribers: 7, chatRooms: 2, chatMembersPerRoom: 3 });
    for (const scenario of SCENARIOS) {
      for (const client of CLIENT_KINDS) {
        const specs = scenario.connectionSpecs(c, client, 'ticks');
        expect(specs).toHaveLength(scenario.connections(c, client));
        expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
        for (const s of specs) expect(s.id).toMatch(NAME_PATTERN);
      }
    }
  });

  it('streamsPerOrigin never exceeds what Chromium gives an origin', () => {
    for (const scenario of SCENARIOS) expect(scenario.streamsPerOrigin).toBeLessThanOrEqual(CHROMIUM_CONNECTIONS_PER_ORIGIN);
  });
});

describe('feed', () => {
  it('one connection per subscriber, all on the topic, ids unique', () => {
    const specs = FEED.connectionSpecs(config({ feed: { subscribers: 250, ratePerSec: 50, payloadBytes: 100 } }), 'node', 'ticks');
    expect(specs).toHaveLength(250);
    expect(new Set(specs.map((s) => s.id)).size).toBe(250);
    for (const s of specs) {
      expect(s.topics).toEqual(['ticks']);
      expect(s.rooms).toEqual([]);
    }
    expect(specs[0]).toEqual({ id: 'f0', topics: ['ticks'], rooms: [] });
  });

  it('subscribes to the topic the server names', () => {
    expect(FEED.connectionSpecs(config(), 'node', 'prices')[0]!.topics).toEqual(['prices']);
  });

  it('is paced by the server’s publisher: messages per second is the rate, each to every subscriber', () => {
    expect(FEED.pace).toBe('publisher');
    expect(FEED.messagesPerSec(50, 200)).toBe(50);
    expect(FEED.recipientsPerMessage(config(), 'node', 200)).toBe(200);
    expect(FEED.load(50, config(), 'node')).toEqual({ publishRatePerSec: 50, sendRatePerMember: null, rooms: null, membersPerRoom: null });
  });

  it('rates, steps and payload come from feed, browser.feedRatePerSec and capacity.feedRates', () => {
    const c = config({
      feed: { subscribers: 10, ratePerSec: 70, payloadBytes: 33 },
      browser: { ...PROFILE_DEFAULTS.quick.browser, feedRatePerSec: 9 },
      capacity: { ...PROFILE_DEFAULTS.quick.capacity, feedRates: [5, 6], chatRates: [7] },
    });
    expect(FEED.fixedRate(c, 'node')).toBe(70);
    expect(FEED.fixedRate(c, 'browser')).toBe(9);
    expect(FEED.fixedRate({ ...c, browser: { ...c.browser, feedRatePerSec: null } }, 'browser')).toBe(70);
    expect(FEED.capacityRates(c)).toEqual([5, 6]);
    expect(FEED.payloadBytes(c)).toBe(33);
  });

  it(`browser clients take all ${CHROMIUM_CONNECTIONS_PER_ORIGIN} connections of an origin, and run a reconnect window`, () => {
    expect(FEED.streamsPerOrigin).toBe(6);
    expect(FEED.reconnectRun).toBe(true);
  });
});

describe('chat', () => {
  it('membersPerRoom connections in each room, ids unique', () => {
    const specs = CHAT.connectionSpecs(config({ chat: { rooms: 12, membersPerRoom: 11, sendRatePerMember: 2, payloadBytes: 100 } }), 'node', 'ticks');
    expect(specs).toHaveLength(132);
    // Ids like r1m11 and r11m1 must not collide.
    expect(new Set(specs.map((s) => s.id)).size).toBe(132);
    const perRoom = new Map<string, number>();
    for (const s of specs) {
      expect(s.topics).toEqual([]);
      expect(s.rooms).toHaveLength(1);
      perRoom.set(s.rooms[0]!, (perRoom.get(s.rooms[0]!) ?? 0) + 1);
    }
    expect(perRoom.size).toBe(12);
    for (const [room, members] of perRoom) {
      expect(room).toMatch(NAME_PATTERN);
      expect(members).toBe(11);
    }
  });

  it('is paced by its senders: every member sends, each message goes to every member of the room', () => {
    const c = config({ chat: { rooms: 20, membersPerRoom: 10, sendRatePerMember: 2, payloadBytes: 100 } });
    expect(CHAT.pace).toBe('senders');
    expect(CHAT.messagesPerSec(2, 200)).toBe(400);
    expect(CHAT.recipientsPerMessage(c, 'node', 200)).toBe(10);
    expect(CHAT.load(2, c, 'node')).toEqual({ publishRatePerSec: null, sendRatePerMember: 2, rooms: 20, membersPerRoom: 10 });
  });

  it('browser clients are sized by the browser group: rooms, members, send rate', () => {
    const c = config({ chat: { rooms: 20, membersPerRoom: 10, sendRatePerMember: 2, payloadBytes: 100 }, browser: { ...PROFILE_DEFAULTS.quick.browser, chatRooms: 3, chatMembersPerRoom: 6, chatSendRatePerMember: 1 } });
    expect(CHAT.connections(c, 'browser')).toBe(18);
    expect(CHAT.recipientsPerMessage(c, 'browser', 18)).toBe(6);
    expect(CHAT.load(1, c, 'browser')).toEqual({ publishRatePerSec: null, sendRatePerMember: 1, rooms: 3, membersPerRoom: 6 });
    expect(CHAT.fixedRate(c, 'browser')).toBe(1);
    expect(CHAT.fixedRate({ ...c, browser: { ...c.browser, chatSendRatePerMember: null } }, 'browser')).toBe(2);
    expect(CHAT.fixedRate(c, 'node')).toBe(2);
  });

  it('steps and payload come from capacity.chatRates and chat.payloadBytes', () => {
    const c = config({ chat: { ...PROFILE_DEFAULTS.quick.chat, payloadBytes: 44 }, capacity: { ...PROFILE_DEFAULTS.quick.capacity, feedRates: [5], chatRates: [7, 8] } });
    expect(CHAT.capacityRates(c)).toEqual([7, 8]);
    expect(CHAT.payloadBytes(c)).toBe(44);
  });

  it('browser clients take half an origin’s connections (their sends need the rest), and run no reconnect window', () => {
    expect(CHAT.streamsPerOrigin).toBe(3);
    expect(CHAT.reconnectRun).toBe(false);
  });
});

describe('browser clients', () => {
  it('use the browser sizes and ids prefixed b, so Node and browser clients never share an id', () => {
    const c = browserConfig({ feedSubscribers: 7, chatRooms: 2, chatMembersPerRoom: 3 });
    const feed = FEED.connectionSpecs(c, 'browser', 'ticks');
    expect(feed).toHaveLength(7);
    expect(feed[0]).toEqual({ id: 'bf0', topics: ['ticks'], rooms: [] });
    expect(feed.every((s) => s.id.startsWith('bf'))).toBe(true);
    const chat = CHAT.connectionSpecs(c, 'browser', 'ticks');
    expect(chat.map((s) => s.id)).toEqual(['br0m0', 'br0m1', 'br0m2', 'br1m0', 'br1m1', 'br1m2']);
    expect(chat.map((s) => s.rooms[0])).toEqual(['room0', 'room0', 'room0', 'room1', 'room1', 'room1']);
    expect(FEED.connectionSpecs(c, 'node', 'ticks')).toHaveLength(c.feed.subscribers);
    expect(FEED.connectionSpecs(c, 'node', 'ticks')[0]!.id).toBe('f0');
    const nodeIds = new Set(CHAT.connectionSpecs(c, 'node', 'ticks').map((s) => s.id));
    expect(chat.some((s) => nodeIds.has(s.id))).toBe(false);
  });
});

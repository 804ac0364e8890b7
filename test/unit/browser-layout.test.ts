/** Where browser clients go: pages of clientsPerPage, SSE/long-poll spread over origins (at most streamsPerOrigin each), WebSocket all on the first. */
import { describe, expect, it } from 'vitest';
import { layoutPages, originsNeeded } from '../../clients/browser/layout.ts';
import type { LoadConnectionSpec } from '../../clients/load/load-connection.ts';
import type { BrowserPlan } from '../../clients/load/worker-protocol.ts';
import { PROFILE_DEFAULTS } from '../../scenarios/bench-config.ts';
import { CHAT } from '../../scenarios/chat.ts';

const ORIGINS = Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${9000 + i}`);

function specs(count: number): LoadConnectionSpec[] {
  return Array.from({ length: count }, (_, i) => ({ id: `bf${i}`, topics: ['ticks'], rooms: [] }));
}

function plan(overrides: Partial<BrowserPlan> = {}): BrowserPlan {
  return { origins: ORIGINS, streamsPerOrigin: 6, clientsPerPage: 25, ...overrides };
}

/** url -> clients on it, over every page. */
function perOrigin(pages: { url: string }[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const client of pages.flat()) counts.set(client.url, (counts.get(client.url) ?? 0) + 1);
  return counts;
}

describe('originsNeeded', () => {
  it('SSE and long-poll: ceil(clients / streamsPerOrigin), at least 1', () => {
    expect(originsNeeded('sse', 6, 6)).toBe(1);
    expect(originsNeeded('sse', 7, 6)).toBe(2);
    expect(originsNeeded('long-poll', 12, 6)).toBe(2);
    expect(originsNeeded('long-poll', 13, 6)).toBe(3);
    expect(originsNeeded('sse', 10, 3)).toBe(4);
    expect(originsNeeded('sse', 1, 6)).toBe(1);
    expect(originsNeeded('sse', 0, 6)).toBe(1);
    expect(originsNeeded('long-poll', 150, 6)).toBe(25);
  });

  it('WebSocket: always 1, whatever the count', () => {
    expect(originsNeeded('ws', 0, 6)).toBe(1);
    expect(originsNeeded('ws', 7, 6)).toBe(1);
    expect(originsNeeded('ws', 1000, 3)).toBe(1);
  });
});

describe('layoutPages', () => {
  it('SSE: clients fill the origins in order, streamsPerOrigin each, never more', () => {
    const pages = layoutPages('sse', specs(20), plan());
    const clients = pages.flat();
    expect(clients.map((c) => c.url)).toEqual([
      ...Array(6).fill(ORIGINS[0]),
      ...Array(6).fill(ORIGINS[1]),
      ...Array(6).fill(ORIGINS[2]),
      ...Array(2).fill(ORIGINS[3]),
    ]);
    for (const count of perOrigin(pages).values()) expect(count).toBeLessThanOrEqual(6);
  });

  it('long-poll at 3 per origin (chat) uses ceil(n / 3) origins, 3 each', () => {
    const pages = layoutPages('long-poll', specs(10), plan({ streamsPerOrigin: 3 }));
    expect([...perOrigin(pages).entries()]).toEqual([
      [ORIGINS[0], 3],
      [ORIGINS[1], 3],
      [ORIGINS[2], 3],
      [ORIGINS[3], 1],
    ]);
  });

  it('WebSocket: every client on the first origin, however many', () => {
    const pages = layoutPages('ws', specs(60), plan({ origins: ORIGINS.slice(0, 1) }));
    expect(pages.flat()).toHaveLength(60);
    expect(new Set(pages.flat().map((c) => c.url))).toEqual(new Set([ORIGINS[0]]));
    // More origins on offer change nothing.
    expect(layoutPages('ws', specs(60), plan()).flat().every((c) => c.url === ORIGINS[0])).toBe(true);
  });

  it('pages hold clientsPerPage clients each, the last the rest, in order, each client once', () => {
    const pages = layoutPages('sse', specs(53), plan({ clientsPerPage: 25 }));
    expect(pages.map((p) => p.length)).toEqual([25, 25, 3]);
    expect(pages.flat().map((c) => c.id)).toEqual(specs(53).map((s) => s.id));
    expect(layoutPages('ws', specs(50), plan({ clientsPerPage: 25 })).map((p) => p.length)).toEqual([25, 25]);
    expect(layoutPages('ws', specs(3), plan({ clientsPerPage: 1 })).map((p) => p.length)).toEqual([1, 1, 1]);
  });

  it('the origin depends on the client index, not on its page: a page may span origins', () => {
    const pages = layoutPages('sse', specs(12), plan({ clientsPerPage: 4 }));
    expect(pages.map((page) => page.map((c) => c.url))).toEqual([
      [ORIGINS[0], ORIGINS[0], ORIGINS[0], ORIGINS[0]],
      [ORIGINS[0], ORIGINS[0], ORIGINS[1], ORIGINS[1]],
      [ORIGINS[1], ORIGINS[1], ORIGINS[1], ORIGINS[1]],
    ]);
  });

  it('keeps each spec’s id, topics and rooms', () => {
    const chat: LoadConnectionSpec[] = [
      { id: 'br0m0', topics: [], rooms: ['room0'] },
      { id: 'br0m1', topics: [], rooms: ['room0'] },
      { id: 'br1m0', topics: ['x'], rooms: ['room1'] },
    ];
    expect(layoutPages('long-poll', chat, plan({ streamsPerOrigin: 3, clientsPerPage: 2 }))).toEqual([
      [
        { id: 'br0m0', url: ORIGINS[0], topics: [], rooms: ['room0'] },
        { id: 'br0m1', url: ORIGINS[0], topics: [], rooms: ['room0'] },
      ],
      [{ id: 'br1m0', url: ORIGINS[0], topics: ['x'], rooms: ['room1'] }],
    ]);
  });

  it('no clients: no pages', () => {
    expect(layoutPages('sse', [], plan())).toEqual([]);
    expect(layoutPages('ws', [], plan())).toEqual([]);
  });

  it('throws when the origins cannot hold the SSE or long-poll clients, naming what was needed and offered', () => {
    expect(() => layoutPages('sse', specs(13), plan({ origins: ORIGINS.slice(0, 2) }))).toThrow(
      '13 sse browser clients need 3 origins at 6 per origin, but the server offers 2',
    );
    expect(() => layoutPages('long-poll', specs(4), plan({ origins: ORIGINS.slice(0, 1), streamsPerOrigin: 3 }))).toThrow(
      '4 long-poll browser clients need 2 origins at 3 per origin, but the server offers 1',
    );
    // Exactly enough is fine.
    expect(layoutPages('sse', specs(12), plan({ origins: ORIGINS.slice(0, 2) })).flat()).toHaveLength(12);
  });

  it('WebSocket needs one origin only, and throws with none', () => {
    expect(layoutPages('ws', specs(500), plan({ origins: ORIGINS.slice(0, 1), clientsPerPage: 200 })).map((p) => p.length)).toEqual([200, 200, 100]);
    expect(() => layoutPages('ws', specs(1), plan({ origins: [] }))).toThrow('need 1 origins');
  });

  it('fits the plan’s own numbers: the default profile’s browser chat over the chat scenario’s streamsPerOrigin', () => {
    const config = structuredClone(PROFILE_DEFAULTS.default);
    const chat = CHAT.connectionSpecs(config, 'browser', 'ticks');
    const per = CHAT.streamsPerOrigin;
    const origins = ORIGINS.concat(Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:${9100 + i}`));
    const needed = originsNeeded('sse', chat.length, per);
    const pages = layoutPages('sse', chat, { origins: origins.slice(0, needed), streamsPerOrigin: per, clientsPerPage: config.browser.clientsPerPage });
    expect(pages.flat()).toHaveLength(chat.length);
    const counts = perOrigin(pages);
    expect(counts.size).toBe(needed);
    for (const count of counts.values()) expect(count).toBeLessThanOrEqual(per);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(config.browser.clientsPerPage);
  });
});

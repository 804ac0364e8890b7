import { describe, expect, it } from 'vitest';
import { DeadlineLists } from '../../servers/transports/deadlines.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeadlineLists (held polls: one timer per distinct wait)', () => {
  it('expires each entry once its wait has passed, in order, and never one deleted first', async () => {
    const expired: { entry: string; at: number }[] = [];
    const started = performance.now();
    const lists = new DeadlineLists<string>((entry) => expired.push({ entry, at: performance.now() - started }));
    lists.add('a', 30);
    lists.add('b', 30);
    lists.add('short', 10);
    lists.add('gone', 30);
    await sleep(5);
    lists.add('c', 30);
    lists.delete('gone', 30);
    expect(lists.size).toBe(4);
    await sleep(150);
    expect(expired.map((e) => e.entry)).toEqual(['short', 'a', 'b', 'c']);
    for (const { entry, at } of expired) expect(at, entry).toBeGreaterThanOrEqual(entry === 'short' ? 9 : entry === 'c' ? 34 : 29);
    expect(lists.size).toBe(0);
  });

  it('frees a wait\'s list and its timer when its last entry is deleted, and starts a new one on the next add', async () => {
    const expired: string[] = [];
    const lists = new DeadlineLists<string>((entry) => expired.push(entry));
    lists.add('a', 20);
    lists.delete('a', 20);
    lists.delete('a', 20);
    expect(lists.size).toBe(0);
    lists.add('b', 20);
    await sleep(100);
    expect(expired).toEqual(['b']);
  });

  it('lets the expiry callback delete other entries of the same list', async () => {
    const expired: string[] = [];
    const lists = new DeadlineLists<string>((entry) => {
      expired.push(entry);
      lists.delete('second', 15);
    });
    lists.add('first', 15);
    lists.add('second', 15);
    await sleep(100);
    expect(expired).toEqual(['first']);
    expect(lists.size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { INITIAL_REPLAY_SLOTS, ReplayBuffer } from '../../servers/replay-buffer.ts';

interface Msg {
  seq: number;
  label: string;
}

function filled(capacity: number, count: number): ReplayBuffer<Msg> {
  const buffer = new ReplayBuffer<Msg>(capacity);
  for (let seq = 1; seq <= count; seq++) buffer.push({ seq, label: `m${seq}` });
  return buffer;
}

const seqs = (messages: Msg[]): number[] => messages.map((m) => m.seq);

describe('ReplayBuffer construction', () => {
  it.each([0, -1, 1.5, Number.NaN])('rejects capacity %d', (capacity) => {
    expect(() => new ReplayBuffer<Msg>(capacity)).toThrow(RangeError);
  });

  it('starts empty', () => {
    const buffer = new ReplayBuffer<Msg>(4);
    expect(buffer.latest).toBe(0);
    expect(buffer.oldest).toBe(1);
    expect(buffer.after(0)).toEqual({ messages: [] });
    expect(buffer.at(0)).toBeUndefined();
    expect(buffer.at(1)).toBeUndefined();
  });
});

describe('ReplayBuffer.push', () => {
  it('requires seqs to start at 1 and be contiguous', () => {
    const buffer = new ReplayBuffer<Msg>(4);
    expect(() => buffer.push({ seq: 2, label: 'x' })).toThrow(/expected seq 1, got 2/);
    expect(() => buffer.push({ seq: 0, label: 'x' })).toThrow(RangeError);
    buffer.push({ seq: 1, label: 'a' });
    expect(() => buffer.push({ seq: 1, label: 'dup' })).toThrow(/expected seq 2, got 1/);
    expect(() => buffer.push({ seq: 3, label: 'gap' })).toThrow(/expected seq 2, got 3/);
    buffer.push({ seq: 2, label: 'b' });
    expect(buffer.latest).toBe(2);
  });

  it('a rejected push leaves the buffer unchanged', () => {
    const buffer = filled(4, 3);
    expect(() => buffer.push({ seq: 5, label: 'x' })).toThrow(RangeError);
    expect(buffer.latest).toBe(3);
    expect(seqs(buffer.after(0).messages)).toEqual([1, 2, 3]);
  });

  it('tracks oldest once the buffer wraps', () => {
    const buffer = filled(4, 3);
    expect(buffer.oldest).toBe(1);
    buffer.push({ seq: 4, label: 'm4' });
    expect(buffer.oldest).toBe(1);
    buffer.push({ seq: 5, label: 'm5' });
    expect(buffer.oldest).toBe(2);
    expect(buffer.latest).toBe(5);
  });
});

describe('ReplayBuffer.at', () => {
  it('returns held messages and undefined outside [oldest, latest]', () => {
    const buffer = filled(4, 10); // holds 7..10
    expect(buffer.at(6)).toBeUndefined();
    expect(buffer.at(7)).toEqual({ seq: 7, label: 'm7' });
    expect(buffer.at(10)).toEqual({ seq: 10, label: 'm10' });
    expect(buffer.at(11)).toBeUndefined();
    expect(buffer.at(0)).toBeUndefined();
    expect(buffer.at(-1)).toBeUndefined();
  });

  it('works with capacity 1', () => {
    const buffer = filled(1, 5);
    expect(buffer.oldest).toBe(5);
    expect(buffer.at(5)?.label).toBe('m5');
    expect(buffer.at(4)).toBeUndefined();
  });
});

describe('ReplayBuffer.after', () => {
  it('returns the messages after the cursor, oldest first, without wrap', () => {
    const buffer = filled(8, 5);
    expect(seqs(buffer.after(0).messages)).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(buffer.after(3).messages)).toEqual([4, 5]);
    expect(buffer.after(3).missed).toBeUndefined();
  });

  it('returns nothing when the cursor is at or past latest', () => {
    const buffer = filled(4, 5);
    expect(buffer.after(5)).toEqual({ messages: [] });
    expect(buffer.after(99)).toEqual({ messages: [] });
  });

  it('returns the right messages across the wrap-around point', () => {
    const buffer = filled(4, 10); // slots hold 8,9,10,7 by seq % 4
    expect(buffer.after(6)).toEqual({ messages: [7, 8, 9, 10].map((seq) => ({ seq, label: `m${seq}` })) });
    expect(seqs(buffer.after(8).messages)).toEqual([9, 10]);
    expect(seqs(buffer.after(9).messages)).toEqual([10]);
  });

  it('reports the missed range when the cursor is older than the oldest held', () => {
    const buffer = filled(4, 10); // holds 7..10
    expect(buffer.after(3)).toEqual({ messages: buffer.after(6).messages, missed: [4, 6] });
    expect(buffer.after(0).missed).toEqual([1, 6]);
    expect(buffer.after(5).missed).toEqual([6, 6]);
    expect(seqs(buffer.after(5).messages)).toEqual([7, 8, 9, 10]);
  });

  it('limits the number of messages with maxMessages, starting from the oldest owed', () => {
    const buffer = filled(4, 10);
    expect(seqs(buffer.after(6, 2).messages)).toEqual([7, 8]);
    expect(seqs(buffer.after(8, 5).messages)).toEqual([9, 10]);
    expect(buffer.after(2, 1)).toEqual({ messages: [{ seq: 7, label: 'm7' }], missed: [3, 6] });
    expect(buffer.after(6, 0).messages).toEqual([]);
  });
});

describe('ReplayBuffer growth', () => {
  it('starts with 16 slots and doubles only when full, up to its capacity', () => {
    const buffer = new ReplayBuffer<Msg>(100);
    expect(buffer.slotCount).toBe(INITIAL_REPLAY_SLOTS);
    const seen: number[] = [];
    for (let seq = 1; seq <= 250; seq++) {
      buffer.push({ seq, label: `m${seq}` });
      if (seen.at(-1) !== buffer.slotCount) seen.push(buffer.slotCount);
    }
    expect(seen).toEqual([16, 32, 64, 100]);
    expect(buffer.size).toBe(100);
    expect(buffer.oldest).toBe(151);
  });

  it('a buffer smaller than 16 allocates its capacity', () => {
    expect(new ReplayBuffer<Msg>(5).slotCount).toBe(5);
    expect(filled(5, 12).slotCount).toBe(5);
  });

  it('finds every held message by its computed slot across each growth, wrapped or not', () => {
    const buffer = new ReplayBuffer<Msg>(50);
    for (let seq = 1; seq <= 140; seq++) {
      buffer.push({ seq, label: `m${seq}` });
      const oldest = Math.max(1, seq - 49);
      expect(buffer.oldest).toBe(oldest);
      expect(buffer.at(oldest)?.label).toBe(`m${oldest}`);
      expect(buffer.at(seq)?.label).toBe(`m${seq}`);
      expect(buffer.at(oldest - 1)).toBeUndefined();
    }
    expect(seqs(buffer.after(100).messages)).toEqual(Array.from({ length: 40 }, (_, i) => 101 + i));
    expect(buffer.after(80).missed).toEqual([81, 90]);
  });

  it('returns what a push pushed out, and only once the buffer is at its capacity', () => {
    const buffer = new ReplayBuffer<Msg>(20);
    for (let seq = 1; seq <= 20; seq++) expect(buffer.push({ seq, label: `m${seq}` })).toBeUndefined();
    expect(buffer.push({ seq: 21, label: 'm21' })).toEqual({ seq: 1, label: 'm1' });
    expect(buffer.push({ seq: 22, label: 'm22' })).toEqual({ seq: 2, label: 'm2' });
    expect(buffer.size).toBe(20);
  });
});

describe('ReplayBuffer.dropOldest', () => {
  it('drops the oldest message, and a resume from it is reported as missed', () => {
    const buffer = filled(8, 5);
    expect(buffer.dropOldest()).toEqual({ seq: 1, label: 'm1' });
    expect(buffer.dropOldest()).toEqual({ seq: 2, label: 'm2' });
    expect(buffer.oldest).toBe(3);
    expect(buffer.latest).toBe(5);
    expect(buffer.at(2)).toBeUndefined();
    expect(buffer.after(0)).toEqual({ messages: buffer.after(2).messages, missed: [1, 2] });
    buffer.push({ seq: 6, label: 'm6' });
    expect(seqs(buffer.after(0).messages)).toEqual([3, 4, 5, 6]);
  });

  it('empties the buffer without losing its latest seq, and returns undefined when empty', () => {
    const buffer = filled(4, 3);
    buffer.dropOldest();
    buffer.dropOldest();
    buffer.dropOldest();
    expect(buffer.dropOldest()).toBeUndefined();
    expect(buffer.size).toBe(0);
    expect(buffer.latest).toBe(3);
    expect(buffer.oldest).toBe(4);
    expect(buffer.after(1)).toEqual({ messages: [], missed: [2, 3] });
    expect(() => buffer.push({ seq: 1, label: 'again' })).toThrow(/expected seq 4/);
    buffer.push({ seq: 4, label: 'm4' });
    expect(seqs(buffer.after(3).messages)).toEqual([4]);
  });

  it('halves the slots once at most a quarter are used, down to 16, keeping every message findable', () => {
    const buffer = filled(1000, 1500); // 1000 slots, holds 501..1500
    expect(buffer.slotCount).toBe(1000);
    while (buffer.size > 250) buffer.dropOldest();
    expect(buffer.slotCount).toBe(500);
    while (buffer.size > 3) buffer.dropOldest();
    expect(buffer.slotCount).toBe(16);
    expect(seqs(buffer.after(0).messages)).toEqual([1498, 1499, 1500]);
    for (let seq = 1501; seq <= 1600; seq++) buffer.push({ seq, label: `m${seq}` });
    expect(buffer.slotCount).toBe(128);
    expect(buffer.at(1498)?.label).toBe('m1498');
    expect(buffer.at(1600)?.label).toBe('m1600');
  });

  it('agrees with a plain list under a seeded mix of pushes and drops', () => {
    let state = 42;
    const random = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const labels = (messages: Msg[]): string => messages.map((m) => m.label).join();
    for (const capacity of [1, 3, 16, 17, 100]) {
      const buffer = new ReplayBuffer<Msg>(capacity);
      const model: Msg[] = [];
      const disagreements: string[] = [];
      let seq = 0;
      for (let step = 0; step < 3000; step++) {
        if (random() < 0.7) {
          const message = { seq: ++seq, label: `m${seq}` };
          const pushedOut = buffer.push(message);
          model.push(message);
          if (pushedOut !== (model.length > capacity ? model.shift() : undefined)) disagreements.push(`step ${step}: pushed out ${pushedOut?.label}`);
        } else if (buffer.dropOldest() !== model.shift()) disagreements.push(`step ${step}: dropped the wrong message`);
        if (buffer.size !== model.length || buffer.slotCount > capacity) disagreements.push(`step ${step}: size ${buffer.size}, slots ${buffer.slotCount}`);
        const from = seq - Math.floor(random() * (capacity + 3));
        if (labels(buffer.after(from).messages) !== labels(model.filter((m) => m.seq > from))) disagreements.push(`step ${step}: after(${from})`);
      }
      expect(disagreements, `capacity ${capacity}`).toEqual([]);
      const visited: Msg[] = [];
      buffer.forEach((m) => visited.push(m));
      expect(visited).toEqual(model);
    }
  });
});

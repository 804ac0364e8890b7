import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../servers/replay-buffer.ts';

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

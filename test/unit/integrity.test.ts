import { describe, expect, it } from 'vitest';
import { classifySeq, countArrival, integrityAgainst, integrityOf, mergeTallies, newTally, type ChannelTally, type SeqTrack } from '../../metrics/integrity.ts';

/** Feeds each recipient's arrivals (in order) through classifySeq and countArrival, as a worker does. */
function tallyOf(arrivalsPerRecipient: number[][], recipients = arrivalsPerRecipient.length): ChannelTally {
  const tally = newTally(recipients);
  for (const arrivals of arrivalsPerRecipient) {
    const track: SeqTrack = { last: 0 };
    for (const seq of arrivals) countArrival(tally, seq, classifySeq(track, seq));
  }
  return tally;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('classifySeq', () => {
  it('a higher seq is new and moves the position, gaps included', () => {
    const track: SeqTrack = { last: 0 };
    expect(classifySeq(track, 1)).toBe('new');
    expect(track.last).toBe(1);
    expect(classifySeq(track, 2)).toBe('new');
    expect(classifySeq(track, 5)).toBe('new');
    expect(track.last).toBe(5);
  });

  it('the same seq again is a duplicate and does not move the position', () => {
    const track: SeqTrack = { last: 7 };
    expect(classifySeq(track, 7)).toBe('duplicate');
    expect(classifySeq(track, 7)).toBe('duplicate');
    expect(track.last).toBe(7);
  });

  it('a lower seq that fills a gap is a reorder and does not move the position', () => {
    const track: SeqTrack = { last: 0 };
    expect(classifySeq(track, 1)).toBe('new');
    expect(classifySeq(track, 10)).toBe('new');
    expect(classifySeq(track, 9)).toBe('reorder');
    expect(classifySeq(track, 3)).toBe('reorder');
    expect(track.last).toBe(10);
    expect(track.gaps).toEqual([
      [2, 2],
      [4, 8],
    ]);
    expect(classifySeq(track, 11)).toBe('new');
  });

  it('a lower seq already seen is a duplicate, so a repeat cannot hide a loss (1, 3, 1)', () => {
    const track: SeqTrack = { last: 0 };
    expect(classifySeq(track, 1)).toBe('new');
    expect(classifySeq(track, 3)).toBe('new');
    expect(classifySeq(track, 1)).toBe('duplicate');
    expect(classifySeq(track, 2)).toBe('reorder');
    expect(classifySeq(track, 2)).toBe('duplicate');
    expect(track.gaps).toEqual([]);
    const tally = newTally(1);
    const recipient: SeqTrack = { last: 0 };
    for (const seq of [1, 3, 1]) countArrival(tally, seq, classifySeq(recipient, seq));
    expect(integrityOf([tally])).toEqual({ expected: 3, received: 2, lost: 1, duplicated: 1, reordered: 0 });
  });

  it('starts from a resumed position: the first arrival after it leaves no gap behind it', () => {
    const track: SeqTrack = { last: 100 };
    expect(classifySeq(track, 100)).toBe('duplicate');
    expect(classifySeq(track, 99)).toBe('duplicate');
    expect(classifySeq(track, 101)).toBe('new');
    expect(track.gaps).toBeUndefined();
  });
});

describe('countArrival', () => {
  it('starts empty', () => {
    expect(newTally()).toEqual({ lo: 0, hi: 0, recipients: 0, received: 0, duplicated: 0, reordered: 0 });
    expect(newTally(4).recipients).toBe(4);
  });

  it('tracks the lowest and highest seq and counts new arrivals as received', () => {
    const tally = newTally(1);
    countArrival(tally, 5, 'new');
    expect(tally).toMatchObject({ lo: 5, hi: 5, received: 1, duplicated: 0, reordered: 0 });
    countArrival(tally, 8, 'new');
    countArrival(tally, 6, 'reorder');
    countArrival(tally, 3, 'reorder');
    expect(tally).toMatchObject({ lo: 3, hi: 8, received: 4, duplicated: 0, reordered: 2 });
  });

  it('counts a duplicate as duplicated, not received, but still widens the range', () => {
    const tally = newTally(1);
    countArrival(tally, 4, 'duplicate');
    expect(tally).toEqual({ lo: 4, hi: 4, recipients: 1, received: 0, duplicated: 1, reordered: 0 });
    countArrival(tally, 4, 'new');
    countArrival(tally, 4, 'duplicate');
    expect(tally).toMatchObject({ received: 1, duplicated: 2, reordered: 0 });
  });

  it('a reorder counts as received (it fills a gap) and as reordered', () => {
    const tally = newTally(1);
    countArrival(tally, 2, 'new');
    countArrival(tally, 1, 'reorder');
    expect(tally).toMatchObject({ lo: 1, hi: 2, received: 2, reordered: 1, duplicated: 0 });
  });
});

describe('integrityOf', () => {
  it('a clean stream: expected = recipients x range, nothing lost', () => {
    const tally = tallyOf([range(11, 20), range(11, 20), range(11, 20)]);
    expect(tally).toMatchObject({ lo: 11, hi: 20, recipients: 3, received: 30 });
    expect(integrityOf([tally])).toEqual({ expected: 30, received: 30, lost: 0, duplicated: 0, reordered: 0 });
  });

  it('a gap is counted as lost', () => {
    const tally = tallyOf([range(1, 10), [1, 2, 3, 6, 7, 8, 9, 10]]);
    expect(integrityOf([tally])).toEqual({ expected: 20, received: 18, lost: 2, duplicated: 0, reordered: 0 });
  });

  it('duplicates are counted, but not as received, so they cannot hide a loss', () => {
    // Recipient 2 lost 4 and got 3 twice: without the duplicate rule received would be 10.
    const tally = tallyOf([range(1, 5), [1, 2, 3, 3, 5]]);
    expect(integrityOf([tally])).toEqual({ expected: 10, received: 9, lost: 1, duplicated: 1, reordered: 0 });
  });

  it('a reorder is received and reordered, not lost', () => {
    const tally = tallyOf([[1, 2, 4, 3, 5], range(1, 5)]);
    expect(integrityOf([tally])).toEqual({ expected: 10, received: 10, lost: 0, duplicated: 0, reordered: 1 });
  });

  it('a recipient that received nothing lost every message of the range', () => {
    // Three subscribers, one silent: it still counts in recipients.
    const tally = tallyOf([range(1, 4), range(1, 4), []], 3);
    expect(tally.recipients).toBe(3);
    expect(integrityOf([tally])).toEqual({ expected: 12, received: 8, lost: 4, duplicated: 0, reordered: 0 });
  });

  it('a channel with no arrivals expects nothing (its range is unknown)', () => {
    expect(integrityOf([newTally(50)])).toEqual({ expected: 0, received: 0, lost: 0, duplicated: 0, reordered: 0 });
    expect(integrityOf([])).toEqual({ expected: 0, received: 0, lost: 0, duplicated: 0, reordered: 0 });
  });

  it('sums over channels, computing loss per channel', () => {
    const a = tallyOf([range(1, 3), range(1, 3)]);
    const b = tallyOf([[7, 9], [7, 8, 9, 9]]);
    expect(integrityOf([a, b])).toEqual({ expected: 6 + 6, received: 6 + 5, lost: 1, duplicated: 1, reordered: 0 });
  });

  it('never reports negative loss for a channel that received more than expected', () => {
    const over: ChannelTally = { lo: 1, hi: 2, recipients: 1, received: 3, duplicated: 0, reordered: 1 };
    const short: ChannelTally = { lo: 1, hi: 2, recipients: 1, received: 1, duplicated: 0, reordered: 0 };
    expect(integrityOf([over, short])).toEqual({ expected: 4, received: 4, lost: 1, duplicated: 0, reordered: 1 });
  });
});

describe('mergeTallies', () => {
  it('merges two workers with different ranges: min lo, max hi, sums of the rest', () => {
    // Worker 1's recipients saw 5..9 on "ticks"; worker 2's saw 3..8 (one of them lost 6).
    const w1 = new Map<string, ChannelTally>([['ticks', tallyOf([range(5, 9), range(5, 9)])]]);
    const w2 = new Map<string, ChannelTally>([['ticks', tallyOf([range(3, 8), [3, 4, 5, 7, 8, 8]])]]);
    const merged = mergeTallies(new Map(), w1);
    mergeTallies(merged, w2);
    expect(merged.get('ticks')).toEqual({ lo: 3, hi: 9, recipients: 4, received: 10 + 6 + 5, duplicated: 1, reordered: 0 });
    // Over 3..9 every recipient should have had 7 messages: worker 1's recipients missed 3 and 4,
    // worker 2's missed 9, and one of worker 2's also missed 6.
    expect(integrityOf(merged.values())).toEqual({ expected: 28, received: 21, lost: 7, duplicated: 1, reordered: 0 });
  });

  it('a worker with no arrivals on a channel adds its recipients but does not reset the range', () => {
    const merged = mergeTallies(new Map(), [['lobby', tallyOf([range(2, 6)])]]);
    mergeTallies(merged, [['lobby', newTally(2)]]);
    expect(merged.get('lobby')).toEqual({ lo: 2, hi: 6, recipients: 3, received: 5, duplicated: 0, reordered: 0 });
    expect(integrityOf(merged.values())).toMatchObject({ expected: 15, received: 5, lost: 10 });
  });

  it('takes the range from a later worker when the first had no arrivals', () => {
    const merged = mergeTallies(new Map(), [['lobby', newTally(1)]]);
    mergeTallies(merged, [['lobby', tallyOf([range(4, 5)])]]);
    expect(merged.get('lobby')).toEqual({ lo: 4, hi: 5, recipients: 2, received: 2, duplicated: 0, reordered: 0 });
  });

  it('keeps channels apart, and copies rather than aliases the first tally it sees', () => {
    const ticks = tallyOf([range(1, 2)]);
    const into = new Map<string, ChannelTally>();
    const returned = mergeTallies(into, [['ticks', ticks], ['room0', tallyOf([[1]])]]);
    expect(returned).toBe(into);
    mergeTallies(into, [['ticks', tallyOf([range(1, 3)])]]);
    expect(into.get('ticks')).toMatchObject({ lo: 1, hi: 3, recipients: 2, received: 5 });
    expect(into.get('room0')).toMatchObject({ lo: 1, hi: 1, recipients: 1, received: 1 });
    expect(ticks).toEqual({ lo: 1, hi: 2, recipients: 1, received: 2, duplicated: 0, reordered: 0 });
  });
});

describe('integrityAgainst: expected from what the server published, every loss with its cause', () => {
  const withEnded = (t: ChannelTally, ended: ChannelTally['ended']): ChannelTally => ({ ...t, ended });

  it("counts the messages no recipient received, at the window's edges too, when the server says what it published", () => {
    // 3 recipients saw seqs 2..9 of a window in which the server published 10 messages (1..10).
    const tally: ChannelTally = { lo: 2, hi: 9, recipients: 3, received: 24, duplicated: 0, reordered: 0 };
    const tallies = new Map([['ticks', tally]]);
    expect(integrityAgainst(tallies, { channels: { ticks: { count: 10 } }, incomplete: [] })).toEqual({
      expected: 30,
      received: 24,
      lost: 6,
      duplicated: 0,
      reordered: 0,
      expectedFrom: 'server',
      lostBy: { serverCut: { count: 0, connections: 0, codes: [] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 6 },
    });
    // Inferred from the seqs seen, the edges go uncounted.
    expect(integrityAgainst(tallies, null)).toMatchObject({ expected: 24, lost: 0, expectedFrom: 'inferred' });
  });

  it('puts what ended recipients missed down to how their connection ended, by code, and the rest to never arrived', () => {
    // 10 recipients of 20 messages: 2 cut with 4008 (got 5 and 7), 1 cut with BANNED (got 10), 1 failed (got 0); the 6 live ones got 118.
    const tally = withEnded(
      { lo: 1, hi: 20, recipients: 10, received: 5 + 7 + 10 + 0 + 118, duplicated: 0, reordered: 0 },
      { 'server-cut:4008 SLOW_CONSUMER': { recipients: 2, received: 12 }, 'server-cut:BANNED': { recipients: 1, received: 10 }, failed: { recipients: 1, received: 0 } },
    );
    const integrity = integrityAgainst(new Map([['ticks', tally]]), { channels: { ticks: { count: 20 } }, incomplete: [] });
    expect(integrity.lostBy).toEqual({
      serverCut: { count: 28 + 10, connections: 3, codes: [{ code: '4008 SLOW_CONSUMER', count: 28, connections: 2 }, { code: 'BANNED', count: 10, connections: 1 }] },
      connectionFailed: { count: 20, connections: 1 },
      neverArrived: 2,
    });
    expect(integrity.lost).toBe(38 + 20 + 2);
    expect(integrity.expected - integrity.received).toBe(integrity.lost);
  });

  it('falls back to inferred for the whole run when a channel with recipients is incomplete on the server, never mixing the two', () => {
    const tallies = new Map([
      ['ticks', { lo: 2, hi: 9, recipients: 2, received: 16, duplicated: 0, reordered: 0 }],
      ['room0', { lo: 1, hi: 4, recipients: 2, received: 8, duplicated: 0, reordered: 0 }],
    ]);
    expect(integrityAgainst(tallies, { channels: { ticks: { count: 10 } }, incomplete: ['room0'] })).toMatchObject({ expectedFrom: 'inferred', expected: 24, lost: 0 });
    // An incomplete channel nobody here subscribed to does not matter; a channel the server left out published nothing.
    expect(integrityAgainst(new Map([['ticks', tallies.get('ticks')!]]), { channels: { ticks: { count: 10 } }, incomplete: ['room9'] })).toMatchObject({ expectedFrom: 'server', expected: 20, lost: 4 });
    expect(integrityAgainst(new Map([['quiet', newTally(3)]]), { channels: {}, incomplete: [] })).toMatchObject({ expectedFrom: 'server', expected: 0, lost: 0 });
  });

  it('merging tallies over workers sums the ended recipients by cause, and leaves the reports as they were', () => {
    const a = withEnded({ lo: 1, hi: 5, recipients: 2, received: 7, duplicated: 0, reordered: 0 }, { failed: { recipients: 1, received: 2 } });
    const b = withEnded({ lo: 1, hi: 5, recipients: 3, received: 8, duplicated: 0, reordered: 0 }, { failed: { recipients: 1, received: 3 }, 'server-cut:4008': { recipients: 1, received: 0 } });
    const merged = mergeTallies(mergeTallies(new Map(), [['ticks', a]]), [['ticks', b]]);
    expect(merged.get('ticks')!.ended).toEqual({ failed: { recipients: 2, received: 5 }, 'server-cut:4008': { recipients: 1, received: 0 } });
    expect(a.ended).toEqual({ failed: { recipients: 1, received: 2 } });
    const integrity = integrityAgainst(merged, { channels: { ticks: { count: 5 } }, incomplete: [] });
    // 5 recipients x 5 messages; failed: 2 x 5 - 5 = 5; cut: 1 x 5 - 0 = 5; the 2 live ones got all 10 of theirs.
    expect(integrity.lostBy).toMatchObject({ connectionFailed: { count: 5, connections: 2 }, serverCut: { count: 5, connections: 1 }, neverArrived: 0 });
  });
});

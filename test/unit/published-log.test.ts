import { describe, expect, it } from 'vitest';
import { PublishedLog } from '../../servers/published-log.ts';

/** A log of seqs 1..n whose ts is 1000 x seq (µs). */
function logOf(n: number, horizonUs?: number, maxMessages?: number): PublishedLog {
  const log = new PublishedLog(horizonUs, maxMessages);
  for (let seq = 1; seq <= n; seq++) log.record(seq, seq * 1000);
  return log;
}

describe('PublishedLog: the messages of a time range', () => {
  it('finds the seq range whose ts falls in [from, to), edges exact', () => {
    const log = logOf(100);
    expect(log.between(5000, 15_000)).toEqual({ complete: true, range: { first: 5, last: 14, count: 10 } });
    expect(log.between(4999, 15_001)).toEqual({ complete: true, range: { first: 5, last: 15, count: 11 } });
    expect(log.between(0, 1000)).toEqual({ complete: true, range: null });
    expect(log.between(100_001, 200_000)).toEqual({ complete: true, range: null });
  });

  it('counts messages that share a ts (a burst of late messages keeps their own due times, but two may be equal)', () => {
    const log = new PublishedLog();
    [10, 20, 20, 20, 30].forEach((ts, i) => log.record(i + 1, ts));
    expect(log.between(20, 21)).toEqual({ complete: true, range: { first: 2, last: 4, count: 3 } });
    expect(log.between(11, 30)).toEqual({ complete: true, range: { first: 2, last: 4, count: 3 } });
  });

  it('an empty log published nothing', () => {
    expect(new PublishedLog().between(0, 1e15)).toEqual({ complete: true, range: null });
  });

  it('forgets what is older than its horizon, and then says it cannot answer for a range that starts before what it holds', () => {
    const log = logOf(100, 10_000);
    // Holds ts 90,000 to 100,000 (seqs 90..100).
    expect(log.between(95_000, 200_000)).toEqual({ complete: true, range: { first: 95, last: 100, count: 6 } });
    expect(log.between(50_000, 200_000)).toEqual({ complete: false, oldestTs: 90_000 });
  });

  it('holds at most maxMessages, growing its ring past the first slots', () => {
    const log = logOf(1000, Number.POSITIVE_INFINITY, 100);
    expect(log.between(901_500, 1_000_001)).toEqual({ complete: true, range: { first: 902, last: 1000, count: 99 } });
    // The oldest held is at 901,000: a message forgotten before it may have had the same ts, so a range from there is not known.
    expect(log.between(901_000, 1_000_001)).toEqual({ complete: false, oldestTs: 901_000 });
    // From seq 1 on nothing was forgotten: a range before the first message is known to be empty.
    expect(logOf(50, Number.POSITIVE_INFINITY, 100).between(0, 25_500)).toEqual({ complete: true, range: { first: 1, last: 25, count: 25 } });
  });
});

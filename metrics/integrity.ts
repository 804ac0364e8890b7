/**
 * Integrity is counted per recipient and channel, never assumed. Each recipient checks sequence
 * numbers: a higher one is new (a jump leaves a gap), a lower one that fills a gap is a reorder
 * (it arrived, late), and anything already seen again is a duplicate. The messages a window should
 * have delivered are those the hub published with a timestamp inside the window: on each channel a
 * contiguous seq range, whose bounds are the lowest and highest in-window seq any recipient saw.
 * Expected = recipients x range length. Platform-free: Node load workers and browser pages count
 * with these same functions.
 */
import type { Integrity } from './result-types.ts';

/** One channel's counts within one window, from one worker (or merged over workers). */
export interface ChannelTally {
  /** Lowest and highest in-window seq seen by any recipient; 0 when none arrived. */
  lo: number;
  hi: number;
  /** Connections subscribed to the channel (open when the window started). */
  recipients: number;
  /** Distinct in-window messages that arrived, summed over recipients. */
  received: number;
  duplicated: number;
  reordered: number;
}

export function newTally(recipients = 0): ChannelTally {
  return { lo: 0, hi: 0, recipients, received: 0, duplicated: 0, reordered: 0 };
}

/** Where one recipient stands on one channel. */
export interface SeqTrack {
  last: number;
  /** Ranges skipped so far (from, to), so a late arrival can be told from a repeat. Usually absent. */
  gaps?: [number, number][];
}

/** Gaps remembered per recipient; beyond this the oldest are forgotten (a late arrival into one then counts as a duplicate). */
const MAX_GAPS = 1000;

export type SeqVerdict = 'new' | 'duplicate' | 'reorder';

/** Classifies an arriving seq for one recipient and moves its position. */
export function classifySeq(track: SeqTrack, seq: number): SeqVerdict {
  if (seq > track.last) {
    if (track.last > 0 && seq > track.last + 1) {
      const gaps = (track.gaps ??= []);
      gaps.push([track.last + 1, seq - 1]);
      if (gaps.length > MAX_GAPS) gaps.shift();
    }
    track.last = seq;
    return 'new';
  }
  if (seq === track.last || track.gaps === undefined) return 'duplicate';
  // Lower than the last: a reorder if it fills a gap, else a repeat of something already seen.
  const index = track.gaps.findIndex(([from, to]) => seq >= from && seq <= to);
  if (index < 0) return 'duplicate';
  const [from, to] = track.gaps[index]!;
  const rest: [number, number][] = [];
  if (from < seq) rest.push([from, seq - 1]);
  if (seq < to) rest.push([seq + 1, to]);
  track.gaps.splice(index, 1, ...rest);
  return 'reorder';
}

/** Counts one in-window arrival into the channel's tally. */
export function countArrival(tally: ChannelTally, seq: number, verdict: SeqVerdict): void {
  if (tally.lo === 0 || seq < tally.lo) tally.lo = seq;
  if (seq > tally.hi) tally.hi = seq;
  if (verdict === 'duplicate') tally.duplicated++;
  else {
    // A reorder still arrived (it fills a gap); a duplicate did not bring anything new.
    tally.received++;
    if (verdict === 'reorder') tally.reordered++;
  }
}

export function mergeTallies(into: Map<string, ChannelTally>, from: Iterable<[string, ChannelTally]>): Map<string, ChannelTally> {
  for (const [channel, t] of from) {
    const sum = into.get(channel);
    if (sum === undefined) {
      into.set(channel, { ...t });
      continue;
    }
    if (t.lo !== 0 && (sum.lo === 0 || t.lo < sum.lo)) sum.lo = t.lo;
    if (t.hi > sum.hi) sum.hi = t.hi;
    sum.recipients += t.recipients;
    sum.received += t.received;
    sum.duplicated += t.duplicated;
    sum.reordered += t.reordered;
  }
  return into;
}

export function integrityOf(tallies: Iterable<ChannelTally>): Integrity {
  const total: Integrity = { expected: 0, received: 0, lost: 0, duplicated: 0, reordered: 0 };
  for (const t of tallies) {
    const published = t.hi === 0 ? 0 : t.hi - t.lo + 1;
    const expected = t.recipients * published;
    total.expected += expected;
    total.received += t.received;
    total.lost += Math.max(0, expected - t.received);
    total.duplicated += t.duplicated;
    total.reordered += t.reordered;
  }
  return total;
}

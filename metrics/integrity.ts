/**
 * Integrity is counted per recipient and channel, never assumed. Each recipient checks sequence
 * numbers: a higher one is new (a jump leaves a gap), a lower one that fills a gap is a reorder
 * (it arrived, late), and anything already seen again is a duplicate. The messages a window should
 * have delivered are those the hub published with a timestamp inside the window: on each channel a
 * contiguous seq range. The server says how many (GET /published, docs/PROTOCOL.md §10.4); a
 * server that cannot say leaves it inferred from the lowest and highest in-window seq any recipient
 * saw, which misses a message no recipient received. Expected = recipients x messages published.
 *
 * Every lost message is put down to a cause: recipients whose connection ended during the window
 * are tallied apart, by how it ended (the server cut it, with its code, or it failed), and what
 * they missed is lost to that cause; what recipients whose connection stayed open missed never
 * arrived. Platform-free: Node load workers and browser pages count with these same functions.
 */
import type { Integrity, LostBy } from './result-types.ts';

/** How a connection that was open ended without the client asking. */
export interface EndCause {
  /** server-cut: the server ended it on purpose and said so (a WS close frame, an SSE `error` event, a poll's error answer); failed: anything else (reset, network error, a stream that just ended). */
  kind: 'server-cut' | 'failed';
  /** The server's code: WS close code and reason (`4008 SLOW_CONSUMER`), or the SSE / poll error code. */
  code?: string;
}

const FAILED: EndCause = { kind: 'failed' };

/** The key a tally files recipients that ended this way under: `failed`, or `server-cut` and the code. */
export function endCauseKey(cause: EndCause = FAILED): string {
  return cause.kind === 'failed' ? 'failed' : `server-cut:${cause.code ?? 'no code'}`;
}

function parseEndCauseKey(key: string): EndCause {
  if (key === 'failed') return FAILED;
  const code = key.slice('server-cut:'.length);
  return { kind: 'server-cut', code };
}

/** Recipients of one channel whose connection ended one way during the window, and the distinct in-window messages they received. */
export interface EndedTally {
  recipients: number;
  received: number;
}

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
  /** The part of `recipients` (and of `received`) whose connection ended during the window, by endCauseKey; absent when none did. */
  ended?: Record<string, EndedTally>;
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
      const copy: ChannelTally = { ...t };
      if (t.ended !== undefined) copy.ended = mergeEnded({}, t.ended);
      into.set(channel, copy);
      continue;
    }
    if (t.ended !== undefined) sum.ended = mergeEnded(sum.ended ?? {}, t.ended);
    if (t.lo !== 0 && (sum.lo === 0 || t.lo < sum.lo)) sum.lo = t.lo;
    if (t.hi > sum.hi) sum.hi = t.hi;
    sum.recipients += t.recipients;
    sum.received += t.received;
    sum.duplicated += t.duplicated;
    sum.reordered += t.reordered;
  }
  return into;
}

function mergeEnded(into: Record<string, EndedTally>, from: Record<string, EndedTally>): Record<string, EndedTally> {
  for (const [key, e] of Object.entries(from)) {
    const sum = (into[key] ??= { recipients: 0, received: 0 });
    sum.recipients += e.recipients;
    sum.received += e.received;
  }
  return into;
}

/** The inferred count of a channel's in-window messages: the seq range its recipients saw. */
export function inferredPublished(t: ChannelTally): number {
  return t.hi === 0 ? 0 : t.hi - t.lo + 1;
}

/** The inferred integrity, without causes (see integrityAgainst for the run's figure). */
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

/** What the server said each channel published in the window (GET /published): the count per channel, and channels it could not say for. */
export interface PublishedCounts {
  channels: Readonly<Record<string, { count: number }>>;
  incomplete: readonly string[];
}

export function emptyLostBy(): LostBy {
  return { serverCut: { count: 0, connections: 0, codes: [] }, connectionFailed: { count: 0, connections: 0 }, neverArrived: 0 };
}

/**
 * The window's integrity, every lost message put down to its cause. Expected comes from the server
 * when it said what it published on every channel that had recipients (`published`), else it is
 * inferred for the whole run, so one figure never mixes the two.
 */
export function integrityAgainst(tallies: ReadonlyMap<string, ChannelTally>, published: PublishedCounts | null): Integrity {
  const incomplete = new Set(published?.incomplete ?? []);
  const fromServer = published !== null && [...tallies].every(([channel, t]) => t.recipients === 0 || !incomplete.has(channel));
  const lostBy = emptyLostBy();
  const codes = new Map<string, { count: number; connections: number }>();
  const total: Integrity = { expected: 0, received: 0, lost: 0, duplicated: 0, reordered: 0, expectedFrom: fromServer ? 'server' : 'inferred', lostBy };
  for (const [channel, t] of tallies) {
    const messages = fromServer ? (published.channels[channel]?.count ?? 0) : inferredPublished(t);
    total.expected += t.recipients * messages;
    total.received += t.received;
    total.duplicated += t.duplicated;
    total.reordered += t.reordered;
    let liveRecipients = t.recipients;
    let liveReceived = t.received;
    for (const [key, e] of Object.entries(t.ended ?? {})) {
      liveRecipients -= e.recipients;
      liveReceived -= e.received;
      const missing = Math.max(0, e.recipients * messages - e.received);
      const cause = parseEndCauseKey(key);
      if (cause.kind === 'failed') {
        lostBy.connectionFailed.count += missing;
        lostBy.connectionFailed.connections += e.recipients;
      } else {
        lostBy.serverCut.count += missing;
        lostBy.serverCut.connections += e.recipients;
        const byCode = codes.get(cause.code!) ?? { count: 0, connections: 0 };
        byCode.count += missing;
        byCode.connections += e.recipients;
        codes.set(cause.code!, byCode);
      }
    }
    lostBy.neverArrived += Math.max(0, liveRecipients * messages - liveReceived);
  }
  lostBy.serverCut.codes = [...codes].map(([code, c]) => ({ code, ...c })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  total.lost = lostBy.serverCut.count + lostBy.connectionFailed.count + lostBy.neverArrived;
  return total;
}

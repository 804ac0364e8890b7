/**
 * What every load client measures, whoever runs it: the measurement window (latency, round trip,
 * integrity, sends, problems, arrivals between the window's marks) and the per-second timeline.
 * Platform-free: the Node load worker (clients/load/recorder.ts) adds socket bytes and process CPU
 * to the marks, a browser page (clients/browser/page/page-recorder.ts) adds reconnect events, and
 * both record through this one class. data() is called for every data message: a few map lookups
 * and histogram records, no allocation.
 */
import { createHotHistogram, encodeHistogram, recordMicros, type Histogram } from '../../metrics/histogram.ts';
import { classifySeq, countArrival, endCauseKey, newTally, type ChannelTally, type EndCause, type SeqTrack, type SeqVerdict } from '../../metrics/integrity.ts';
import { LoopLagMonitor } from '../../metrics/loop-lag.ts';
import type { Timer } from '../../scenarios/clock.ts';
import type { PeekedData } from '../../scenarios/peek.ts';
import type { ReadQueueMeter } from './read-queue.ts';
import type { TimelineTick, WindowReport } from './worker-protocol.ts';

const MAX_PROBLEMS = 5;
/** Timer slack when deciding whether a one-second tick lies inside the window. */
const TICK_SLACK_US = 100_000;

/** One client's position on one channel, and the distinct in-window messages it received there (for the loss's causes). */
export interface SlotTrack extends SeqTrack {
  inWindow: number;
}

/** What the recorder keeps per client connection. */
export interface ClientSlot {
  tracks: Map<string, SlotTrack>;
  /** Chat: due time (µs) of each send still waiting for its echo, by message id. */
  pending: Map<number, number>;
  nextMid: number;
  /** Open and able to receive; only open clients count as recipients when a window starts. */
  open: boolean;
  /** Open when the current window started: one of its recipients. */
  recipient: boolean;
  /** How its connection ended since the window started (endCauseKey); undefined while it has not. */
  endedBy: string | undefined;
}

const newTrack = (): SlotTrack => ({ last: 0, inWindow: 0 });

export function newClientSlot(channels: { topics: readonly string[]; rooms: readonly string[] }): ClientSlot {
  const slot: ClientSlot = { tracks: new Map(), pending: new Map(), nextMid: 0, open: false, recipient: false, endedBy: undefined };
  for (const channel of [...channels.topics, ...channels.rooms]) slot.tracks.set(channel, newTrack());
  return slot;
}

export type ProblemKind = 'decode' | 'server-error' | 'send';

/** The window's figures that need nothing but arrivals: the caller adds bytes, CPU and event-loop utilization from its marks. */
export type WindowFigures = Omit<WindowReport, 'bytesRead' | 'bytesWritten' | 'cpuUs' | 'browser' | 'eventLoopUtilization'>;

interface Marks<M> {
  arrivals: number;
  sample: M;
}

/**
 * @typeParam M what the caller samples at the window's start and end besides arrivals (Node: socket
 * bytes and CPU; a page: nothing)
 */
export class RecorderCore<M> {
  private startUs = Number.POSITIVE_INFINITY;
  private endUs = Number.POSITIVE_INFINITY;
  private readonly latency: Histogram = createHotHistogram();
  private readonly rtt: Histogram = createHotHistogram();
  private readonly sendLag: Histogram = createHotHistogram();
  /** The lab's own read queueing of the deliveries in `latency` (clients/load/read-queue.ts). */
  private readonly readQueue: Histogram = createHotHistogram();
  private tallies = new Map<string, ChannelTally>();
  private deliveries = 0;
  private sendsDue = 0;
  private decodeErrors = 0;
  private serverErrors = 0;
  private sendFailures = 0;
  private disconnects = 0;
  private problems: string[] = [];
  private loopDelayP99Max = 0;
  private startMarks: Marks<M> | undefined;
  private endMarks: Marks<M> | undefined;
  private markTimers: Timer[] = [];
  /** Ended recipients are filed into the tallies once per window. */
  private endedFiled = false;
  /** All arrivals ever, for ratios between marks. */
  private arrivals = 0;

  private readonly secondLatency: Histogram = createHotHistogram();
  private secondDeliveries = 0;
  private readonly loopLag = new LoopLagMonitor();

  constructor(
    private readonly slots: readonly ClientSlot[],
    private readonly sample: () => M,
    /** Measures the lab's own read queueing; without one (a browser page) the window reports null. */
    private readonly readQueueMeter?: ReadQueueMeter,
  ) {
    this.loopLag.start();
  }

  /** One data message for the client `clientId` holding `slot`; returns the seq verdict (new, duplicate, reorder). */
  data(slot: ClientSlot, clientId: string, m: PeekedData, at: number): SeqVerdict {
    let track = slot.tracks.get(m.channel);
    if (track === undefined) slot.tracks.set(m.channel, (track = newTrack()));
    const verdict = classifySeq(track, m.seq);
    // Every read moves the burst on, in the window or not.
    const queuedUs = this.readQueueMeter?.waited(at, m.ts);
    this.arrivals++;
    this.secondDeliveries++;
    const own = m.chat && m.from === clientId;
    if (own) {
      const due = slot.pending.get(m.mid);
      if (due !== undefined) {
        slot.pending.delete(m.mid);
        if (due >= this.startUs && due < this.endUs) recordMicros(this.rtt, at - due);
      }
    } else recordMicros(this.secondLatency, at - m.ts);
    if (m.ts < this.startUs || m.ts >= this.endUs) return verdict;
    this.deliveries++;
    let tally = this.tallies.get(m.channel);
    if (tally === undefined) this.tallies.set(m.channel, (tally = newTally()));
    countArrival(tally, m.seq, verdict);
    if (verdict !== 'duplicate') track.inWindow++;
    if (!own) {
      recordMicros(this.latency, at - m.ts);
      if (queuedUs !== undefined) recordMicros(this.readQueue, queuedUs);
    }
    return verdict;
  }

  problem(kind: ProblemKind, detail: string): void {
    if (kind === 'decode') this.decodeErrors++;
    else if (kind === 'server-error') this.serverErrors++;
    else this.sendFailures++;
    this.note(`${kind}: ${detail}`);
  }

  /** An open connection ended without the client asking; `cause` says how (unknown: failed). The first end in a window is the one its loss is put down to. */
  lost(slot: ClientSlot, detail: string, cause?: EndCause): void {
    slot.open = false;
    slot.endedBy ??= endCauseKey(cause);
    this.disconnects++;
    this.note(`disconnect: ${detail}`);
  }

  private note(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS && !this.problems.includes(problem)) this.problems.push(problem);
  }

  /** Records a chat send issued `lagUs` after it was due. */
  sent(dueUs: number, lagUs: number): void {
    if (dueUs >= this.startUs && dueUs < this.endUs) {
      this.sendsDue++;
      recordMicros(this.sendLag, lagUs);
    }
  }

  /** Starts a new window: everything window-scoped restarts, and marks are taken at its edges. */
  startWindow(startUs: number, endUs: number, nowUs: number): void {
    for (const timer of this.markTimers) clearTimeout(timer);
    this.startUs = startUs;
    this.endUs = endUs;
    this.latency.reset();
    this.rtt.reset();
    this.sendLag.reset();
    this.readQueue.reset();
    this.deliveries = 0;
    this.sendsDue = 0;
    this.decodeErrors = this.serverErrors = this.sendFailures = this.disconnects = 0;
    this.problems = [];
    this.loopDelayP99Max = 0;
    this.startMarks = this.endMarks = undefined;
    this.tallies = new Map();
    this.endedFiled = false;
    for (const slot of this.slots) {
      slot.recipient = slot.open;
      slot.endedBy = undefined;
      for (const track of slot.tracks.values()) track.inWindow = 0;
      if (!slot.open) continue;
      for (const channel of slot.tracks.keys()) {
        let tally = this.tallies.get(channel);
        if (tally === undefined) this.tallies.set(channel, (tally = newTally()));
        tally.recipients++;
      }
    }
    this.markTimers = [
      setTimeout(() => (this.startMarks = this.marks()), Math.max(0, (startUs - nowUs) / 1000)),
      setTimeout(() => (this.endMarks = this.marks()), Math.max(0, (endUs - nowUs) / 1000)),
    ];
  }

  private marks(): Marks<M> {
    return { arrivals: this.arrivals, sample: this.sample() };
  }

  /**
   * What the drain after a window waits on to stop growing: in-window deliveries, plus the echoes of
   * chat sends due in the window. A send that left late is published after the window and would
   * otherwise be collected before its echo came back, and counted as unanswered.
   */
  get windowDeliveries(): number {
    return this.deliveries + this.rtt.totalCount;
  }

  /** The window's figures and the samples at its marks; marks not yet taken (an interrupted window) are taken now. */
  collect(): { figures: WindowFigures; start: M; end: M } {
    for (const timer of this.markTimers) clearTimeout(timer);
    const start = (this.startMarks ??= this.marks());
    const end = (this.endMarks ??= this.marks());
    let sendsUnanswered = 0;
    for (const slot of this.slots) {
      for (const [mid, due] of slot.pending) {
        if (due < this.endUs) slot.pending.delete(mid);
        if (due >= this.startUs && due < this.endUs) sendsUnanswered++;
      }
    }
    this.fileEndedRecipients();
    const figures: WindowFigures = {
      deliveries: this.deliveries,
      latency: encodeHistogram(this.latency),
      rtt: encodeHistogram(this.rtt),
      readQueue: this.readQueueMeter === undefined ? null : encodeHistogram(this.readQueue),
      tallies: [...this.tallies],
      arrivalsBetweenMarks: end.arrivals - start.arrivals,
      loopDelayP99MaxMs: this.loopDelayP99Max,
      sendsDue: this.sendsDue,
      sendsUnanswered,
      sendLagP99Ms: this.sendLag.totalCount === 0 ? 0 : this.sendLag.getValueAtPercentile(99) / 1000,
      decodeErrors: this.decodeErrors,
      serverErrors: this.serverErrors,
      sendFailures: this.sendFailures,
      disconnects: this.disconnects,
      problems: this.problems,
    };
    return { figures, start: start.sample, end: end.sample };
  }

  /**
   * Files the recipients whose connection ended since the window started apart in their channels'
   * tallies, by how it ended, with what they received: what they missed is lost to that cause.
   */
  private fileEndedRecipients(): void {
    if (this.endedFiled) return;
    this.endedFiled = true;
    for (const slot of this.slots) {
      if (!slot.recipient || slot.endedBy === undefined) continue;
      for (const [channel, track] of slot.tracks) {
        const tally = this.tallies.get(channel);
        if (tally === undefined) continue;
        const ended = ((tally.ended ??= {})[slot.endedBy] ??= { recipients: 0, received: 0 });
        ended.recipients++;
        ended.received += track.inWindow;
      }
    }
  }

  /** One second of the timeline (the caller calls it once per second); `cpuUs` is the caller's own CPU over that second. */
  tick(second: number, nowUs: number, cpuUs: number): TimelineTick {
    const loop = this.loopLag.summary();
    this.loopLag.reset();
    // Only seconds that lie inside the window count: the warm-up's rate change and the drain are not the window.
    if (nowUs - 1_000_000 >= this.startUs - TICK_SLACK_US && nowUs <= this.endUs + TICK_SLACK_US) this.loopDelayP99Max = Math.max(this.loopDelayP99Max, loop.p99);
    let connections = 0;
    for (const slot of this.slots) if (slot.open) connections++;
    const tick: TimelineTick = {
      second,
      deliveries: this.secondDeliveries,
      latency: this.secondLatency.totalCount > 0 ? encodeHistogram(this.secondLatency) : null,
      connections,
      cpuUs,
      loopDelayP99Ms: loop.p99,
    };
    this.secondDeliveries = 0;
    this.secondLatency.reset();
    return tick;
  }

  stop(): void {
    for (const timer of this.markTimers) clearTimeout(timer);
    this.loopLag.stop();
  }
}

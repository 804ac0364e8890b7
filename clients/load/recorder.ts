/**
 * Everything one worker measures, in one place: the measurement window (latency, round trip,
 * integrity, bytes, CPU between the window's marks) and the per-second timeline. Connections call
 * data() for every data message; it does a few map lookups and histogram records, no allocation.
 */
import { createHistogram, encodeHistogram, recordMicros, type Histogram } from '../../metrics/histogram.ts';
import { classifySeq, countArrival, newTally, type ChannelTally, type SeqTrack } from '../../metrics/integrity.ts';
import { LoopLagMonitor } from '../../metrics/loop-lag.ts';
import type { PeekedData } from '../../scenarios/peek.ts';
import type { LoadConnection, LoadSink } from './load-connection.ts';
import type { TimelineTick, WindowReport } from './worker-protocol.ts';

const MAX_PROBLEMS = 5;
/** Timer slack when deciding whether a one-second tick lies inside the window. */
const TICK_SLACK_US = 100_000;

/** What the recorder keeps per connection. */
export interface ConnectionSlot {
  tracks: Map<string, SeqTrack>;
  /** Chat: due time (µs) of each send still waiting for its echo, by message id. */
  pending: Map<number, number>;
  nextMid: number;
  open: boolean;
}

export function slotOf(connection: LoadConnection): ConnectionSlot {
  return connection.slot as ConnectionSlot;
}

interface Marks {
  bytes: number;
  written: number;
  arrivals: number;
  cpuUs: number;
}

export class Recorder implements LoadSink {
  private startUs = Number.POSITIVE_INFINITY;
  private endUs = Number.POSITIVE_INFINITY;
  private latency: Histogram = createHistogram();
  private rtt: Histogram = createHistogram();
  private sendLag: Histogram = createHistogram();
  private tallies = new Map<string, ChannelTally>();
  private deliveries = 0;
  private sendsDue = 0;
  private decodeErrors = 0;
  private serverErrors = 0;
  private sendFailures = 0;
  private disconnects = 0;
  private problems: string[] = [];
  private loopDelayP99Max = 0;
  private startMarks: Marks | undefined;
  private endMarks: Marks | undefined;
  private markTimers: NodeJS.Timeout[] = [];
  /** All arrivals ever, for the byte ratio between marks. */
  private arrivals = 0;

  private secondLatency: Histogram = createHistogram();
  private secondDeliveries = 0;
  private lastCpu = process.cpuUsage();
  private readonly loopLag = new LoopLagMonitor();

  constructor(
    private readonly connections: readonly LoadConnection[],
    private readonly extraBytes: () => { read: number; written: number },
  ) {
    for (const connection of connections) {
      const slot: ConnectionSlot = { tracks: new Map(), pending: new Map(), nextMid: 0, open: false };
      for (const channel of [...connection.spec.topics, ...connection.spec.rooms]) slot.tracks.set(channel, { last: 0 });
      connection.slot = slot;
    }
    this.loopLag.start();
  }

  data(connection: LoadConnection, m: PeekedData, at: number): void {
    const slot = connection.slot as ConnectionSlot;
    let track = slot.tracks.get(m.channel);
    if (track === undefined) slot.tracks.set(m.channel, (track = { last: 0 }));
    const verdict = classifySeq(track, m.seq);
    this.arrivals++;
    this.secondDeliveries++;
    const own = m.chat && m.from === connection.spec.id;
    if (own) {
      const due = slot.pending.get(m.mid);
      if (due !== undefined) {
        slot.pending.delete(m.mid);
        if (due >= this.startUs && due < this.endUs) recordMicros(this.rtt, at - due);
      }
    } else recordMicros(this.secondLatency, at - m.ts);
    if (m.ts < this.startUs || m.ts >= this.endUs) return;
    this.deliveries++;
    let tally = this.tallies.get(m.channel);
    if (tally === undefined) this.tallies.set(m.channel, (tally = newTally()));
    countArrival(tally, m.seq, verdict);
    if (!own) recordMicros(this.latency, at - m.ts);
  }

  problem(_connection: LoadConnection, kind: 'decode' | 'server-error' | 'send', detail: string): void {
    if (kind === 'decode') this.decodeErrors++;
    else if (kind === 'server-error') this.serverErrors++;
    else this.sendFailures++;
    this.note(`${kind}: ${detail}`);
  }

  lost(connection: LoadConnection, detail: string): void {
    slotOf(connection).open = false;
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
    this.latency = createHistogram();
    this.rtt = createHistogram();
    this.sendLag = createHistogram();
    this.deliveries = 0;
    this.sendsDue = 0;
    this.decodeErrors = this.serverErrors = this.sendFailures = this.disconnects = 0;
    this.problems = [];
    this.loopDelayP99Max = 0;
    this.startMarks = this.endMarks = undefined;
    this.tallies = new Map();
    for (const connection of this.connections) {
      const slot = slotOf(connection);
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

  private marks(): Marks {
    let read = 0;
    let written = 0;
    for (const connection of this.connections) {
      const bytes = connection.bytes();
      read += bytes.read;
      written += bytes.written;
    }
    const extra = this.extraBytes();
    const cpu = process.cpuUsage();
    return { bytes: read + extra.read, written: written + extra.written, arrivals: this.arrivals, cpuUs: cpu.user + cpu.system };
  }

  get windowDeliveries(): number {
    return this.deliveries;
  }

  /** The window's figures; marks not yet taken (an interrupted window) are taken now. */
  collect(): WindowReport {
    for (const timer of this.markTimers) clearTimeout(timer);
    const start = (this.startMarks ??= this.marks());
    const end = (this.endMarks ??= this.marks());
    let sendsUnanswered = 0;
    for (const connection of this.connections) {
      for (const [mid, due] of slotOf(connection).pending) {
        if (due < this.endUs) slotOf(connection).pending.delete(mid);
        if (due >= this.startUs && due < this.endUs) sendsUnanswered++;
      }
    }
    return {
      deliveries: this.deliveries,
      latency: encodeHistogram(this.latency),
      rtt: encodeHistogram(this.rtt),
      tallies: [...this.tallies],
      bytesRead: end.bytes - start.bytes,
      bytesWritten: end.written - start.written,
      arrivalsBetweenMarks: end.arrivals - start.arrivals,
      cpuUs: end.cpuUs - start.cpuUs,
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
  }

  /** One second of the timeline; the caller calls it once per second. */
  tick(second: number, nowUs: number): TimelineTick {
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const loop = this.loopLag.summary();
    this.loopLag.reset();
    // Only seconds that lie inside the window count: the warm-up's rate change and the drain are not the window.
    if (nowUs - 1_000_000 >= this.startUs - TICK_SLACK_US && nowUs <= this.endUs + TICK_SLACK_US) this.loopDelayP99Max = Math.max(this.loopDelayP99Max, loop.p99);
    let connections = 0;
    for (const connection of this.connections) if (slotOf(connection).open) connections++;
    const tick: TimelineTick = {
      second,
      deliveries: this.secondDeliveries,
      latency: this.secondLatency.totalCount > 0 ? encodeHistogram(this.secondLatency) : null,
      connections,
      cpuUs: cpu.user + cpu.system,
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

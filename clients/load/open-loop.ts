/**
 * The open-loop send schedule (wrk2, autocannon -R): send n is due at start + n / rate, whatever
 * happened to send n-1. A round trip is measured from the due time, not from when the send left,
 * so a stalled server or a late client raises the figures instead of silently lowering the rate
 * (coordinated omission). Platform-free: Node load workers and browser pages send with this code.
 */
import { nowMicros } from '../../scenarios/clock.ts';
import { WIRE_LIMITS } from '../../scenarios/constants.ts';
import type { ClientSlot } from './recorder-core.ts';

export class OpenLoopSchedule {
  private issued = 0;

  /**
   * @param startUs host-clock µs of send 0
   * @param ratePerSec sends per second over all senders of this schedule
   */
  constructor(
    private readonly startUs: number,
    private readonly ratePerSec: number,
  ) {}

  /** Due time of send n, µs. */
  dueAt(n: number): number {
    return this.startUs + (n * 1_000_000) / this.ratePerSec;
  }

  /**
   * Calls `send(n, dueUs)` for every send that has come due by `nowUs` and was not issued yet, in
   * order. Returns how many it issued.
   */
  issueDue(nowUs: number, send: (n: number, dueUs: number) => void): number {
    if (this.ratePerSec <= 0 || nowUs < this.startUs) return 0;
    const due = Math.floor(((nowUs - this.startUs) * this.ratePerSec) / 1_000_000) + 1;
    const first = this.issued;
    for (; this.issued < due; this.issued++) send(this.issued, this.dueAt(this.issued));
    return this.issued - first;
  }

  get count(): number {
    return this.issued;
  }
}

export interface OpenLoopSends<S> {
  /** The members that send, in round-robin order (the open ones when sending starts). */
  members: readonly S[];
  slotOf: (member: S) => ClientSlot;
  perMemberPerSec: number;
  startUs: number;
  /** How often the sender wakes to issue what came due. */
  wakeMs: number;
  /** Told of every send with its due time and how late it left (the recorder's send lag). */
  sent: (dueUs: number, lagUs: number) => void;
  send: (member: S, mid: number) => void;
}

/**
 * Open-loop chat sends from a set of members: send n is due at startUs + n / (rate x members) and
 * goes from member n mod members, with that member's next message id; its due time is remembered
 * in the member's slot until the echo comes back (the round trip). Returns a stop function.
 */
export function startOpenLoopSends<S>(options: OpenLoopSends<S>): () => void {
  const { members, slotOf, perMemberPerSec, startUs, sent, send } = options;
  if (perMemberPerSec <= 0 || members.length === 0) return () => undefined;
  const schedule = new OpenLoopSchedule(startUs, perMemberPerSec * members.length);
  const timer = setInterval(() => {
    const now = nowMicros();
    schedule.issueDue(now, (n, due) => {
      const member = members[n % members.length]!;
      const slot = slotOf(member);
      const mid = slot.nextMid;
      slot.nextMid = (mid + 1) % (WIRE_LIMITS.maxMessageId + 1);
      slot.pending.set(mid, due);
      sent(due, now - due);
      send(member, mid);
    });
  }, options.wakeMs);
  return () => clearInterval(timer);
}

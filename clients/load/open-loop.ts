/**
 * The open-loop send schedule (wrk2, autocannon -R): send n is due at start + n / rate, whatever
 * happened to send n-1. A round trip is measured from the due time, not from when the send left,
 * so a stalled server or a late client raises the figures instead of silently lowering the rate
 * (coordinated omission).
 */
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

/**
 * The lab's own share of delivery latency: how long a message's read waited behind the load
 * client's earlier work. A load worker drains thousands of sockets on one event loop; a read taken
 * late in that drain was held up by the reads before it, and that wait is the lab's, not the
 * transport's.
 *
 * A burst is the run of reads the loop takes without waiting for I/O. It starts with the first read
 * after the loop was idle, and goes on through every later read until the loop next blocks: it is
 * closed once per burst in the check phase (after the poll phase's reads), and continued when the
 * loop's idle time has not grown since, i.e. the loop went straight on to more reads that were
 * already waiting. A read's wait is its read time minus the burst's start, but never from before
 * its message was due (the lab cannot hold up a message the server had not sent yet).
 *
 * It is an upper bound: a read late in a burst may also have reached the kernel late, while the loop
 * was busy, and then waited less than the whole burst. A single subscriber's reads wait ~0.
 *
 * Per read: one comparison and one subtraction; the idle clock is read and the check-phase
 * callback scheduled once per burst, never per message, and nothing is allocated.
 */

/** What the meter needs from the event loop (Node: performance.nodeTiming.idleTime and setImmediate). */
export interface LoopClock {
  /** Milliseconds the event loop has spent blocked waiting for I/O since it started. */
  idleMs(): number;
  /** Runs `callback` once the reads of the current poll phase are done. */
  afterReads(callback: () => void): void;
}

export class ReadQueueMeter {
  private inBurst = false;
  private burstStartUs = 0;
  /** The loop's idle time when the last burst was closed; -1 before the first. */
  private idleAtClose = -1;
  private readonly close = (): void => {
    this.inBurst = false;
    this.idleAtClose = this.clock.idleMs();
  };

  constructor(private readonly clock: LoopClock) {}

  /** µs the read taken at `atUs` of a message due at `dueUs` waited behind the loop's earlier reads; call for every read. */
  waited(atUs: number, dueUs: number): number {
    if (!this.inBurst) {
      this.inBurst = true;
      if (this.clock.idleMs() !== this.idleAtClose) this.burstStartUs = atUs;
      this.clock.afterReads(this.close);
    }
    const from = dueUs > this.burstStartUs ? dueUs : this.burstStartUs;
    return atUs > from ? atUs - from : 0;
  }
}

/**
 * Chat rooms with no member, in the order they became idle, so the hub can free those idle for
 * longer than --room-idle-ms. A room is idle from the moment it has no member and no message is
 * appended to it; a member (a WS connection, an SSE stream, a held poll) ends that.
 *
 * One timer, armed only while some room is idle, sweeps every quarter of the idle time: a room is
 * freed between 1x and 1.25x the idle time after it became idle, and a sweep stops at the first
 * room that is not yet due, so it costs what it frees. Nothing is timed per room or per send. A
 * sweep also stops after WORK_PER_TURN units of work (a room's messages released) and goes on in
 * the next turn of the event loop: freeing 10,000 full rooms at once must not stall the loop.
 */

/** Work a sweep does in one turn of the event loop: about a millisecond of releasing messages. */
export const WORK_PER_TURN = 20_000;

export class IdleRooms<R> {
  /** Room -> when it became idle (ms, monotonic). A Map keeps insertion order: oldest first. */
  private readonly since = new Map<R, number>();
  private readonly idleMs: number;
  private readonly free: (room: R) => number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  /** `idleMs` 0 frees nothing. `free` frees a room and returns the work it took (at least 1). `now` is the clock (tests pass their own). */
  constructor(idleMs: number, free: (room: R) => number, now: () => number = () => performance.now()) {
    this.idleMs = idleMs;
    this.free = free;
    this.now = now;
  }

  get size(): number {
    return this.since.size;
  }

  has(room: R): boolean {
    return this.since.has(room);
  }

  /** The room has no member (again), or a message was appended to it while it had none: idle from now. */
  idle(room: R): void {
    if (this.idleMs === 0) return;
    // Deleted first so that it moves to the end: the map stays ordered by idle time.
    this.since.delete(room);
    this.since.set(room, this.now());
    this.arm();
  }

  /** The room has a member. */
  busy(room: R): void {
    this.since.delete(room);
  }

  /** Frees the rooms idle for at least the idle time, up to WORK_PER_TURN of work; returns how many. */
  sweep(): number {
    const cutoff = this.now() - this.idleMs;
    let freed = 0;
    let work = 0;
    for (const [room, since] of this.since) {
      if (since > cutoff || work >= WORK_PER_TURN) break;
      this.since.delete(room);
      work += this.free(room);
      freed++;
    }
    return freed;
  }

  /** Whether a room is due to be freed now (a sweep stopped by its work limit left some). */
  private due(): boolean {
    for (const since of this.since.values()) return since <= this.now() - this.idleMs;
    return false;
  }

  /** Stops the timer (the rooms stay as they are). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(soon = false): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.sweep();
        if (this.since.size > 0) this.arm(this.due());
      },
      soon ? 0 : Math.max(1, Math.ceil(this.idleMs / 4)),
    );
    // A server that is closing must not be kept alive by rooms waiting to be freed.
    this.timer.unref();
  }
}

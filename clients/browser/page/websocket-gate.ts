/**
 * WebSocket handshakes in flight per page. Chromium's network service delays each new WebSocket by
 * 1-5 s x 2^pending / 65536 (WebSocketPerProcessThrottler): 20 opened at once made the last ones
 * wait 2-4 s; with at most 8 pending the delay stays under 20 ms (docs/browser-clients.md).
 */
export const MAX_PENDING_WEBSOCKETS = 8;

export class WebSocketGate {
  private pending = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly maxPending = MAX_PENDING_WEBSOCKETS) {}

  /** Runs `open` now if a handshake slot is free, else when one is released. */
  whenFree(open: () => void): void {
    if (this.pending < this.maxPending) {
      this.pending++;
      open();
    } else this.waiting.push(open);
  }

  /** A handshake ended (opened, refused or never started): its slot goes to the next in line. */
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.pending--;
  }
}

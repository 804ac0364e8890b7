/**
 * One drop of one page client and what its reconnect brought back: reopen time, first message,
 * and per channel what the resume recovered and what was missed for good.
 */
import type { SeqVerdict } from '../../../metrics/integrity.ts';
import type { PageReconnect } from '../../load/worker-protocol.ts';

interface ChannelResume {
  /** The seq the client held when the connection was lost. */
  held: number;
  /** Arrivals published before the reopen: they can only have come through the resume. */
  recovered: number;
  /** The first seq published after the reopen; 0 while none came. */
  liveFrom: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

export class ReconnectEvent {
  /** Connection attempts the page made since the loss (not the EventSource's own). */
  attempts = 0;
  reopenedAtUs: number | null = null;
  private firstMessageAtUs: number | null = null;
  private duplicates = 0;
  private readonly channels = new Map<string, ChannelResume>();

  constructor(
    private readonly client: string,
    private readonly reason: string,
    private readonly lostAtUs: number,
    position: ReadonlyMap<string, number>,
  ) {
    for (const [channel, held] of position) this.channels.set(channel, { held, recovered: 0, liveFrom: 0 });
  }

  /** One data message after the loss. A message published before the reopen can only come through the resume (bar the few published during the handshake itself). */
  arrival(channel: string, seq: number, ts: number, verdict: SeqVerdict, atUs: number): void {
    if (this.reopenedAtUs === null) return;
    if (this.firstMessageAtUs === null) this.firstMessageAtUs = atUs;
    if (verdict === 'duplicate') {
      this.duplicates++;
      return;
    }
    const state = this.channels.get(channel);
    if (state === undefined || state.liveFrom !== 0) return;
    if (ts < this.reopenedAtUs) state.recovered++;
    else state.liveFrom = seq;
  }

  report(): PageReconnect {
    let missed = 0;
    let recovered = 0;
    let settled = true;
    for (const state of this.channels.values()) {
      recovered += state.recovered;
      if (state.liveFrom === 0) settled = false;
      else missed += Math.max(0, state.liveFrom - state.held - 1 - state.recovered);
    }
    return {
      client: this.client,
      reason: this.reason,
      lostAtUs: this.lostAtUs,
      attempts: this.attempts,
      reopenMs: this.reopenedAtUs === null ? null : ms(this.reopenedAtUs - this.lostAtUs),
      firstMessageMs: this.firstMessageAtUs === null || this.reopenedAtUs === null ? null : ms(this.firstMessageAtUs - this.reopenedAtUs),
      missed,
      recovered,
      duplicates: this.duplicates,
      settled,
    };
  }
}

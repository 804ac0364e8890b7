/** A library client with everything it received, in order: what the checks assert on. */
import type { PushClient } from '../clients/client.ts';
import type { ControlMessage, Envelope } from '../scenarios/envelope.ts';

export interface Recorder {
  client: PushClient;
  messages: Envelope[];
  controls: ControlMessage[];
  seqs(channel: string): number[];
}

export function record(client: PushClient): Recorder {
  const recorder: Recorder = {
    client,
    messages: [],
    controls: [],
    seqs: (channel) => recorder.messages.filter((m) => m.channel === channel).map((m) => m.seq),
  };
  client.on('message', (m) => recorder.messages.push(m));
  client.on('control', (c) => recorder.controls.push(c));
  return recorder;
}

/** first, first + 1, ... last: the seqs a subscriber must hold, once each, in order. */
export function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/** One message in a failure message: what it was, without its whole payload. */
export function describe(m: Envelope): string {
  const payload = typeof m.payload === 'string' ? `text of ${m.payload.length} chars` : `${m.payload.byteLength} raw bytes`;
  return `${m.kind} ${m.channel}:${m.seq} ts ${m.ts}${m.from === undefined ? '' : ` from ${m.from} mid ${m.mid}`} (${payload})`;
}

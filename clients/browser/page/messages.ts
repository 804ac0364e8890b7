/**
 * The JSON messages a page client reads (docs/PROTOCOL.md §4). Pages parse each text once with
 * JSON.parse (Chromium's own cost dominates, docs/browser-clients.md) and take from a data message
 * what the recorder reads, in scenarios/peek.ts's shape.
 */
import type { PeekedData } from '../../../scenarios/peek.ts';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isDataMessage(m: JsonObject): boolean {
  return m.type === 'feed' || m.type === 'chat';
}

/** The recorder's view of a data message, or undefined when it lacks its channel, seq or ts. */
export function peekedOf(m: unknown): PeekedData | undefined {
  if (!isJsonObject(m)) return undefined;
  const chat = m.type === 'chat';
  const channel = chat ? m.room : m.topic;
  if (typeof channel !== 'string' || typeof m.seq !== 'number' || typeof m.ts !== 'number') return undefined;
  return { chat, channel, seq: m.seq, ts: m.ts, from: typeof m.from === 'string' ? m.from : '', mid: typeof m.mid === 'number' ? m.mid : -1 };
}

/** A short rendering of a message for a problem note. */
export function excerpt(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).slice(0, 80);
}

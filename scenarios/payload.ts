/** Payloads of a given size, the same bytes for JSON and binary, so encodings compare like for like (browser pages build theirs with this too). */

/** The text every payload repeats. */
const PAYLOAD_FILLER = 'pushbench-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ.';

export function textPayload(bytes: number): string {
  return PAYLOAD_FILLER.repeat(Math.ceil(bytes / PAYLOAD_FILLER.length)).slice(0, bytes);
}

/** Payloads of a given size, the same bytes for JSON and binary, so encodings compare like for like. */
const FILLER = 'pushbench-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ.';

export function textPayload(bytes: number): string {
  return FILLER.repeat(Math.ceil(bytes / FILLER.length)).slice(0, bytes);
}

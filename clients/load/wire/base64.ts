/**
 * Standard base64 (with padding) decoded from bytes into a caller's buffer. Hand-written because
 * Node decodes base64 only from a string: an SSE binary data line would cost a string and a new
 * Buffer per delivery.
 */
const INVALID = 255;
const VALUES = new Uint8Array(256).fill(INVALID);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d;

/** Bytes decoded from buf[start, end), or -1 when it is not padded base64. `out` must hold (end - start) * 3 / 4 bytes. */
export function decodeBase64Into(buf: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const length = end - start;
  if (length % 4 !== 0) return -1;
  let padding = 0;
  if (length > 0 && buf[end - 1] === PAD) padding = buf[end - 2] === PAD ? 2 : 1;
  let o = 0;
  const last = end - (padding > 0 ? 4 : 0);
  for (let i = start; i < last; i += 4) {
    const a = VALUES[buf[i]!]!;
    const b = VALUES[buf[i + 1]!]!;
    const c = VALUES[buf[i + 2]!]!;
    const d = VALUES[buf[i + 3]!]!;
    if (a === INVALID || b === INVALID || c === INVALID || d === INVALID) return -1;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  if (padding > 0) {
    const a = VALUES[buf[last]!]!;
    const b = VALUES[buf[last + 1]!]!;
    if (a === INVALID || b === INVALID) return -1;
    out[o++] = (a << 2) | (b >> 4);
    if (padding === 1) {
      const c = VALUES[buf[last + 2]!]!;
      if (c === INVALID) return -1;
      out[o++] = ((b & 15) << 4) | (c >> 2);
    }
  }
  return o;
}

/**
 * Expiring client tokens (docs/PROTOCOL.md §7): `pbt1.<expiresAtUnixMs>.<sig>`, where sig is the
 * base64url HMAC-SHA256 of `pbt1.<expiresAtUnixMs>` keyed with the server's token. The server token
 * itself never expires; whoever holds it can mint tokens that do, and the server needs no state to
 * check them. One module for the server, the clients, the tests and `npm run serve -- --mint-token`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'pbt1';
/** A millisecond timestamp (at most 16 digits, below 2^53) and a 32-byte HMAC in unpadded base64url. */
const SIGNED_TOKEN = /^pbt1\.(0|[1-9]\d{0,15})\.([A-Za-z0-9_-]{43})$/;

export type TokenCheck =
  | { ok: true; /** undefined: the server token itself, which never expires */ expiresAtMs: number | undefined }
  | { ok: false; reason: 'invalid' | 'expired'; expiresAtMs?: number };

function signature(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** Constant-time equality of two secrets' bytes (a length mismatch answers at once: lengths are not secret here). */
export function sameSecret(a: Buffer | string, b: Buffer | string): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : a;
  const y = typeof b === 'string' ? Buffer.from(b) : b;
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A token that the server with token `secret` accepts until `expiresAtMs` (Unix ms), then refuses with TOKEN_EXPIRED. */
export function mintToken(secret: string, expiresAtMs: number): string {
  if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs < 0) throw new RangeError(`expiresAtMs must be a whole number of ms since the Unix epoch, got ${expiresAtMs}`);
  const payload = `${PREFIX}.${expiresAtMs}`;
  return `${payload}.${signature(secret, payload).toString('base64url')}`;
}

/** Checks `given` against the server token `secret`: the token itself, or one minted from it that has not expired at `nowMs`. */
export function verifyToken(secret: string, given: string, nowMs: number = Date.now()): TokenCheck {
  if (sameSecret(Buffer.from(given), Buffer.from(secret))) return { ok: true, expiresAtMs: undefined };
  const match = SIGNED_TOKEN.exec(given);
  if (match === null) return { ok: false, reason: 'invalid' };
  const expiresAtMs = Number(match[1]);
  // Compared as text: only the canonical spelling of the signature is accepted.
  const expected = signature(secret, `${PREFIX}.${match[1]}`).toString('base64url');
  if (!sameSecret(Buffer.from(match[2]!), Buffer.from(expected))) return { ok: false, reason: 'invalid' };
  if (nowMs >= expiresAtMs) return { ok: false, reason: 'expired', expiresAtMs };
  return { ok: true, expiresAtMs };
}

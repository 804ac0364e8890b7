import { describe, expect, it } from 'vitest';
import { mintToken, verifyToken } from '../../scenarios/tokens.ts';

const SECRET = 'server-secret';
const NOW = 1_800_000_000_000;

describe('minted tokens', () => {
  it('the server token itself is valid and never expires', () => {
    expect(verifyToken(SECRET, SECRET, NOW)).toEqual({ ok: true, expiresAtMs: undefined });
  });

  it('a minted token is valid until its expiry, then expired', () => {
    const token = mintToken(SECRET, NOW + 150);
    expect(token).toMatch(/^pbt1\.1800000000150\.[A-Za-z0-9_-]{43}$/);
    expect(verifyToken(SECRET, token, NOW)).toEqual({ ok: true, expiresAtMs: NOW + 150 });
    expect(verifyToken(SECRET, token, NOW + 149)).toEqual({ ok: true, expiresAtMs: NOW + 150 });
    expect(verifyToken(SECRET, token, NOW + 150)).toEqual({ ok: false, reason: 'expired', expiresAtMs: NOW + 150 });
  });

  it('refuses a token of another secret, a changed expiry or signature, and anything else', () => {
    const token = mintToken(SECRET, NOW + 1000);
    const [prefix, expiry, sig] = token.split('.') as [string, string, string];
    const flipped = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A');
    for (const bad of [mintToken('other-secret', NOW + 1000), `${prefix}.${Number(expiry) + 1}.${sig}`, `${prefix}.${expiry}.${flipped}`, `${prefix}.${expiry}`, `pbt2.${expiry}.${sig}`, '', 'server-secre', `${prefix}.0${expiry}.${sig}`]) {
      expect(verifyToken(SECRET, bad, NOW), bad).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('an expired token with a bad signature is invalid, not expired: only the secret\'s holder learns it expired', () => {
    const forged = mintToken('other-secret', NOW - 1);
    expect(verifyToken(SECRET, forged, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('mints only whole, non-negative expiry times', () => {
    expect(() => mintToken(SECRET, 1.5)).toThrow(RangeError);
    expect(() => mintToken(SECRET, -1)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { BackoffPolicy, DEFAULT_RECONNECT } from '../../clients/reconnect-policy.ts';

describe('BackoffPolicy', () => {
  it('doubles from 1 s and caps at 30 s, as the seed notes prescribe', () => {
    const policy = new BackoffPolicy();
    expect(Array.from({ length: 8 }, () => policy.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('starts again from the first delay after a success', () => {
    const policy = new BackoffPolicy();
    policy.next();
    policy.next();
    policy.reset();
    expect(policy.next()).toBe(1000);
  });

  it('gives up after maxAttempts failures in a row', () => {
    const policy = new BackoffPolicy({ ...DEFAULT_RECONNECT, initialDelayMs: 10, maxAttempts: 2 });
    expect([policy.next(), policy.next(), policy.next()]).toEqual([10, 20, undefined]);
  });
});

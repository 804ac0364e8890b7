import { describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium } from '../../clients/browser/chromium.ts';
import { UsageError } from '../../scenarios/errors.ts';

describe('findChromium', () => {
  it('uses PUSHBENCH_CHROMIUM first when it exists', () => {
    expect(findChromium({ PUSHBENCH_CHROMIUM: process.execPath })).toBe(process.execPath);
  });

  it('refuses a PUSHBENCH_CHROMIUM that does not exist, saying how to fix it', () => {
    const attempt = () => findChromium({ PUSHBENCH_CHROMIUM: '/nowhere/chromium' });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/PUSHBENCH_CHROMIUM=\/nowhere\/chromium does not exist: point it at a Chromium executable, or unset it/);
  });

  it('falls back to the system paths (this machine has Debian chromium installed by .ci/run)', () => {
    expect(findChromium({})).toMatch(/^\/usr\/bin\/(chromium|chromium-browser|google-chrome)/);
  });
});

describe('chromiumArgs', () => {
  it('runs headless without sandbox, background networking or QUIC, in the given profile folder', () => {
    const args = chromiumArgs('/tmp/profile-x');
    for (const flag of ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']) expect(args).toContain(flag);
    expect(args).toContain('--user-data-dir=/tmp/profile-x');
  });
});

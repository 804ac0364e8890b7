import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM_PATHS, chromiumArgs, findChromium } from '../../clients/browser/chromium.ts';
import { UsageError } from '../../scenarios/errors.ts';

// The search runs against executables this test creates, so it says the same on a machine with
// or without a browser installed.
describe('findChromium', () => {
  let dir: string;
  let candidates: string[];

  const install = async (...names: string[]): Promise<void> => {
    for (const name of names) {
      const path = join(dir, name);
      await writeFile(path, '#!/bin/sh\n');
      await chmod(path, 0o755);
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pushbench-chromium-finder-'));
    candidates = ['chromium', 'chromium-browser', 'google-chrome'].map((name) => join(dir, name));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('looks at $PUSHBENCH_CHROMIUM, then /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome by default', () => {
    expect(CHROMIUM_PATHS.slice(0, 3)).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']);
  });

  it('uses PUSHBENCH_CHROMIUM first, even when a system browser exists', async () => {
    await install('chromium', 'own-chrome');
    expect(findChromium({ PUSHBENCH_CHROMIUM: join(dir, 'own-chrome') }, candidates)).toBe(join(dir, 'own-chrome'));
  });

  it('refuses a PUSHBENCH_CHROMIUM that does not exist rather than falling back, saying how to fix it', async () => {
    await install('chromium');
    const attempt = () => findChromium({ PUSHBENCH_CHROMIUM: '/nowhere/chromium' }, candidates);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/PUSHBENCH_CHROMIUM=\/nowhere\/chromium does not exist: point it at a Chromium executable, or unset it/);
  });

  it('ignores an empty PUSHBENCH_CHROMIUM', async () => {
    await install('chromium');
    expect(findChromium({ PUSHBENCH_CHROMIUM: '' }, candidates)).toBe(candidates[0]);
  });

  it('takes the first candidate that exists, in order', async () => {
    await install('google-chrome');
    expect(findChromium({}, candidates)).toBe(candidates[2]);
    await install('chromium-browser');
    expect(findChromium({}, candidates)).toBe(candidates[1]);
    await install('chromium');
    expect(findChromium({}, candidates)).toBe(candidates[0]);
  });

  it('fails when none exists, naming the paths it looked at and the apt command that installs one', () => {
    let error: unknown;
    try {
      findChromium({}, candidates);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'CHROMIUM_NOT_FOUND' });
    const message = (error as Error).message;
    expect(message).toContain(`looked at ${candidates.join(', ')}`);
    expect(message).toContain('apt-get update && apt-get install -y chromium');
    expect(message).toContain('PUSHBENCH_CHROMIUM');
  });
});

describe('chromiumArgs', () => {
  it('runs headless without sandbox, background networking or QUIC, in the given profile folder', () => {
    const args = chromiumArgs('/tmp/profile-x');
    for (const flag of ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']) expect(args).toContain(flag);
    expect(args).toContain('--user-data-dir=/tmp/profile-x');
  });
});

/**
 * Finding and launching the system Chromium for puppeteer-core (which downloads no browser).
 * Order: $PUSHBENCH_CHROMIUM, then the usual system paths; when none exists, the error says how
 * to install it. Every launch gets a fresh profile folder, deleted when the browser closes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { UsageError } from '../../scenarios/errors.ts';

export const CHROMIUM_ENV = 'PUSHBENCH_CHROMIUM';
/** Where the system browser is looked for, in order. */
export const CHROMIUM_PATHS: readonly string[] = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
export const CHROMIUM_INSTALL_HINT = 'install it with `apt-get update && apt-get install -y chromium` (Debian/Ubuntu), or set PUSHBENCH_CHROMIUM to a Chromium or Chrome executable';

/** `candidates` is a parameter so the search order can be tested against files a test creates. */
export function findChromium(env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = CHROMIUM_PATHS): string {
  const fromEnv = env[CHROMIUM_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new UsageError('CHROMIUM_NOT_FOUND', `${CHROMIUM_ENV}=${fromEnv} does not exist: point it at a Chromium executable, or unset it to use the system one`);
    return fromEnv;
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new UsageError('CHROMIUM_NOT_FOUND', `no Chromium found (looked at ${candidates.join(', ')}): ${CHROMIUM_INSTALL_HINT}`);
  return found;
}

/** Flags for a quiet headless Chromium on a machine without internet (see ../shared/toolchain.md). */
export function chromiumArgs(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    `--user-data-dir=${userDataDir}`,
  ];
}

/** How long a closed browser's helper processes get to exit by themselves before they are killed. */
const STRAGGLER_GRACE_MS = 2000;

/** Pids of the processes started with this profile folder on their command line (Linux /proc; none elsewhere). */
async function processesWithProfile(userDataDir: string): Promise<number[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const command = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(userDataDir)) found.push(Number(name));
  }
  return found;
}

/**
 * browser.close() returns once the main Chromium process has exited; a helper (renderer, zygote) can
 * outlive it for a moment, and on a busy machine it was still there when a test looked. Wait for
 * them, then kill what is left: the lab leaves no browser process behind.
 */
async function reapStragglers(userDataDir: string): Promise<void> {
  const deadline = Date.now() + STRAGGLER_GRACE_MS;
  let left = await processesWithProfile(userDataDir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await processesWithProfile(userDataDir);
  }
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

export interface LaunchedChromium {
  browser: Browser;
  /** Closes the browser (killing it if it does not close) and deletes its profile folder. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedChromium> {
  const executablePath = findChromium();
  const userDataDir = await mkdtemp(join(tmpdir(), 'pushbench-chromium-'));
  let browser: Browser;
  try {
    // pipe: DevTools over the process's own pipes, so Chromium exits when its parent dies, even by SIGKILL.
    browser = await puppeteer.launch({ executablePath, args: chromiumArgs(userDataDir), headless: true, pipe: true });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    browser,
    async close(): Promise<void> {
      const process = browser.process();
      const timer = setTimeout(() => process?.kill('SIGKILL'), 5000);
      await browser.close().catch(() => process?.kill('SIGKILL'));
      clearTimeout(timer);
      await reapStragglers(userDataDir);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

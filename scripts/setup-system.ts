/**
 * The system half of the set-up step (scripts/setup.sh runs it once the npm packages are there):
 * every system program the default profile and the tests need is found, or installed through apt
 * when we are root, or named in one line with the command that installs it.
 *
 *   Chromium  the browser clients (puppeteer-core downloads no browser)
 *   curl      the third-party client tests
 *
 * `--check` only reports (exit 2 when something is missing); without it, missing packages are
 * installed. Nothing is downloaded but Debian packages.
 */
import { spawnSync } from 'node:child_process';
import { CHROMIUM_ENV, findChromium } from '../clients/browser/chromium.ts';
import { UsageError } from '../scenarios/errors.ts';
import { parseFlags, runMain } from './cli.ts';

const USAGE = `usage: npm run setup [-- --check]

  installs the npm packages (npm ci) when missing, then Chromium and curl through apt when missing
  --check   only say what is missing (exit 2 if anything is)`;

interface SystemPackage {
  /** Debian's package name. */
  apt: string;
  why: string;
  present(): boolean;
}

const onPath = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;

const PACKAGES: SystemPackage[] = [
  {
    apt: 'chromium',
    why: 'the browser clients and their tests',
    present: () => {
      try {
        findChromium();
        return true;
      } catch (err) {
        // A PUSHBENCH_CHROMIUM that points nowhere wins over any system Chromium: installing one would not help.
        if (process.env[CHROMIUM_ENV]) throw err;
        return false;
      }
    },
  },
  { apt: 'curl', why: 'the third-party client tests', present: () => onPath('curl') },
];

const installCommand = (names: string[]): string => `apt-get update && apt-get install -y ${names.join(' ')}`;

function install(names: string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', ...names]]) {
    process.stderr.write(`pushbench setup: apt-get ${args.join(' ')}\n`);
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (result.status !== 0) throw new UsageError('SETUP_FAILED', `\`apt-get ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}): run \`${installCommand(names)}\` yourself and read its error`);
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { check: { type: 'boolean' }, help: { type: 'boolean' } }, USAGE);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const missing = PACKAGES.filter((p) => !p.present());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.apt);
  const what = missing.map((p) => `${p.apt} (${p.why})`).join(', ');
  const root = process.getuid?.() === 0;
  if (flags.check || !root || !onPath('apt-get')) {
    const prefix = root ? '' : 'sudo ';
    throw new UsageError('SETUP_MISSING', `missing ${what}: run \`${prefix}${installCommand(names).replace('&& ', `&& ${prefix}`)}\`, or set PUSHBENCH_CHROMIUM to a Chromium or Chrome executable, then try again`);
  }
  install(names);
  const still = PACKAGES.filter((p) => !p.present());
  if (still.length > 0) throw new UsageError('SETUP_FAILED', `apt-get finished but ${still.map((p) => p.apt).join(', ')} is still not found: set PUSHBENCH_CHROMIUM to a Chromium or Chrome executable`);
}

runMain(main);

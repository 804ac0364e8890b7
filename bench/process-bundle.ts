/**
 * The lab's own server and load worker as one ESM file each, bundled with esbuild, so that every
 * session's processes start with plain `node` instead of loading TypeScript through tsx: on this
 * 2-core machine a server took 0.66 s to start under tsx and 0.31 s bundled, and each session
 * starts three such processes at once (the CI gate runs 60 sessions). npm packages stay external
 * and resolve from the project's node_modules, where the bundles are written. Built once per
 * process; the file is named by its content's hash and renamed into place, so benches running side
 * by side (the test suite) never read a half-written bundle. The browser worker keeps tsx: it
 * starts once per bench, next to a Chromium that costs far more.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Inside node_modules, so the bundles' bare imports (ws, express) resolve to the project's packages. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'pushbench', 'processes');

export const PROCESS_ENTRIES = {
  server: 'scripts/serve.ts',
  'load worker': 'clients/load/worker.ts',
} as const;

export type ProcessName = keyof typeof PROCESS_ENTRIES;

const bundled = new Map<ProcessName, string>();

/** The path of the bundle to fork for `name`; built on first use in this process. */
export function processBundle(name: ProcessName): string {
  let path = bundled.get(name);
  if (path === undefined) {
    path = buildBundle(name);
    bundled.set(name, path);
  }
  return path;
}

function buildBundle(name: ProcessName): string {
  const result = buildSync({
    entryPoints: [join(ROOT, PROCESS_ENTRIES[name])],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Names survive, so a stack trace from the bundle still says which function threw.
    keepNames: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text;
  if (code === undefined) throw new Error(`esbuild produced no output for the ${name} (${PROCESS_ENTRIES[name]})`);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const path = join(OUT_DIR, `${name.replace(/ /g, '-')}-${hash}.mjs`);
  if (!existsSync(path)) {
    mkdirSync(OUT_DIR, { recursive: true });
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, path);
  }
  return path;
}

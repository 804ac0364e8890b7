/**
 * The page code (clients/browser/page/), bundled for Chromium with esbuild when a browser worker,
 * the connection-limit finding or a test first needs it: built in memory, once per process.
 * hdr-histogram-js is bundled from npm (its browser build, with pako), so a page loads one script.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRIES = {
  /** The browser clients: `window.pushbench`. */
  clients: 'page/main.ts',
  /** The connections-per-origin finding: `window.pushbenchLimit`. */
  'connection-limit': 'page/connection-limit.ts',
} as const;

export type PageBundleName = keyof typeof ENTRIES;

const built = new Map<PageBundleName, Promise<string>>();

/** The bundle's JavaScript, for `page.addScriptTag({ content })`. */
export function buildPageBundle(name: PageBundleName = 'clients'): Promise<string> {
  let bundle = built.get(name);
  if (bundle === undefined) {
    bundle = bundlePage(name);
    built.set(name, bundle);
    // A failed build is not cached: the next caller sees the error again rather than a stale promise.
    bundle.catch(() => built.delete(name));
  }
  return bundle;
}

async function bundlePage(name: PageBundleName): Promise<string> {
  const entry = fileURLToPath(new URL(ENTRIES[name], import.meta.url));
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      // No keepNames: its __name helper is exactly what page code must not carry.
      keepNames: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (err) {
    throw new Error(`building the browser page bundle ${entry} failed: ${(err as Error).message} (run npm ci; esbuild is a dependency)`);
  }
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild wrote nothing for the browser page bundle ${entry}`);
  return output.text;
}

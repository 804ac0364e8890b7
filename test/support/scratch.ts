/**
 * Files and directories a test file makes under the OS temp dir. Each is removed when that file's
 * tests end (test/support/remove-scratch.ts, a vitest setup file), whether they passed or not: a
 * suite run had left 131 bench output directories behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A new directory under the temp dir, named `prefix` plus random characters. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** A path under the temp dir for the test to write; `name` should be unique to the test process. */
export function scratchPath(name: string): string {
  const path = join(tmpdir(), name);
  made.add(path);
  return path;
}

export async function removeScratch(): Promise<void> {
  await Promise.all([...made].map((path) => rm(path, { recursive: true, force: true })));
  made.clear();
}

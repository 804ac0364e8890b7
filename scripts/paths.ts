/**
 * Paths given on the command line, checked before any work starts: an output location must be
 * writable storage (a probe file is created and removed, the honest check: as root, access(2)
 * says yes to nearly everything, even on a read-only or kernel file system), and an input must be a
 * readable regular file. Nothing is created here but the probe, so a refused run leaves nothing behind.
 *
 * Why up front: Node 20's recursive mkdir spins forever (a busy thread, the promise never settles)
 * where mkdir(2) answers ENOENT under an existing directory, as /proc does, so `--out /proc/x` hung the
 * bench after it had printed where its results would go; other bad paths crashed minutes into a run.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, realpathSync, statfsSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError, type LabErrorCode } from '../scenarios/errors.ts';

/** Directories whose files are the kernel's, not storage: nothing the lab reads or writes lives there. */
const KERNEL_DIRS = ['/proc', '/sys'];

/**
 * statfs(2) f_type of kernel file systems, for the same check when one is mounted elsewhere (a
 * container's /host/proc): linux/magic.h.
 */
const KERNEL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
]);

/** What is wrong with a path, and what to do instead (the two halves of `pushbench: <what>: <fix> [CODE]`). */
export interface PathProblem {
  what: string;
  fix: string;
}

interface Existing {
  /** The path itself or its nearest ancestor that exists. */
  path: string;
  stats: Stats;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The path itself or its nearest existing ancestor (ENOTDIR: an ancestor is a file, found on the way up). */
function nearestExisting(absolute: string): Existing | { error: string; at: string } {
  let at = absolute;
  for (;;) {
    try {
      return { path: at, stats: statSync(at) };
    } catch (err) {
      const code = errnoOf(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { error: code, at };
      const parent = dirname(at);
      if (parent === at) return { error: code, at };
      at = parent;
    }
  }
}

/** "on /proc" or "on a proc file system" when the real location is the kernel's, else null. */
function kernelLocation(existing: string): string | null {
  let real: string;
  try {
    real = realpathSync.native(existing);
  } catch {
    real = existing;
  }
  const dir = KERNEL_DIRS.find((d) => real === d || real.startsWith(d + '/'));
  if (dir !== undefined) return `on ${dir}`;
  try {
    const name = KERNEL_FILE_SYSTEMS.get(statfsSync(real).type);
    if (name !== undefined) return `on a ${name} file system`;
  } catch {
    // statfs is a second opinion; the write probe still decides.
  }
  return null;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFile()) return 'a file';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Creates and removes a probe file in dir: null when that works, else the error code. */
function probeWrite(dir: string): string | null {
  const probe = join(dir, `.pushbench-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY));
  } catch (err) {
    return errnoOf(err);
  }
  try {
    unlinkSync(probe);
  } catch {
    // Created but not removable is still writable; the probe's name says what it was.
  }
  return null;
}

function unwritable(code: string, dir: string): PathProblem {
  const why = code === 'EROFS' ? 'a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
  return { what: `cannot be written (${why}: no file can be created in ${dir})`, fix: 'pass a location you can write to, or fix its permissions' };
}

/**
 * Where a tool will create files: `kind` 'folder' (created with its parents if missing, e.g. the
 * bench's --out) or 'file' (created or replaced, its folder created if missing, e.g. the report's --out).
 */
export function outputProblem(path: string, kind: 'folder' | 'file'): PathProblem | null {
  const absolute = resolve(path);
  const found = nearestExisting(absolute);
  const onDisk = `pass a ${kind} on a disk instead`;
  if ('error' in found) return { what: `cannot be reached (${found.error} at ${found.at})`, fix: 'check the path and its permissions' };
  const kernel = kernelLocation(found.path);
  if (kernel !== null) return { what: `is ${kernel}, a kernel file system, not storage for the lab's files`, fix: onDisk };
  const self = found.path === absolute;
  if (!self && !found.stats.isDirectory()) {
    return { what: `is below ${found.path}, which is ${kindOf(found.stats)}, not a folder`, fix: 'pass a path whose parents are folders' };
  }
  if (self && kind === 'folder' && !found.stats.isDirectory()) {
    return { what: `is ${kindOf(found.stats)}, not a folder`, fix: 'pass a folder (it is created if missing)' };
  }
  if (self && kind === 'file' && !found.stats.isFile()) {
    return { what: `is ${kindOf(found.stats)}, not a regular file`, fix: 'pass the path of a file to create or replace' };
  }
  const dir = found.stats.isDirectory() ? found.path : dirname(found.path);
  const failed = probeWrite(dir);
  return failed === null ? null : unwritable(failed, dir);
}

/** A file the tool will read: it exists, is a regular file on storage, and can be opened for reading. */
export function inputProblem(path: string): PathProblem | null {
  const absolute = resolve(path);
  const found = nearestExisting(absolute);
  if ('error' in found) return { what: `cannot be reached (${found.error} at ${found.at})`, fix: 'check the path and its permissions' };
  if (found.path !== absolute) {
    const below = found.stats.isDirectory() ? '' : ` (${found.path} is ${kindOf(found.stats)}, not a folder)`;
    return { what: `does not exist${below}`, fix: 'check the path' };
  }
  const kernel = kernelLocation(absolute);
  if (kernel !== null) return { what: `is ${kernel}, a kernel file system, not a file the lab wrote`, fix: 'check the path' };
  if (!found.stats.isFile()) return { what: `is ${kindOf(found.stats)}, not a regular file`, fix: 'check the path' };
  try {
    // Opening is the honest check (access(2) says yes to root); a regular file opens without blocking.
    closeSync(openSync(absolute, constants.O_RDONLY));
  } catch (err) {
    return { what: `cannot be read (${errnoOf(err)})`, fix: 'check its permissions' };
  }
  return null;
}

/** `label` names the path in the message, e.g. "--out" or "the results file". */
export function requireOutput(label: string, path: string, kind: 'folder' | 'file'): void {
  const problem = outputProblem(path, kind);
  if (problem !== null) throw new UsageError('BAD_PATH', `${label} ${path} ${problem.what}: ${problem.fix}`);
}

/** `wanted` completes "pass the path of ..." in the fix, e.g. "a results.json written by npm run bench". */
export function requireInput(label: string, path: string, options: { code: LabErrorCode; wanted: string }): void {
  const problem = inputProblem(path);
  if (problem !== null) throw new UsageError(options.code, `${label} ${path} ${problem.what}: ${problem.fix}, or pass the path of ${options.wanted}`);
}

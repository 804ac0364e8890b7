/** The up-front path checks of scripts/paths.ts, on real paths: temp folders, /proc, /sys, /dev/null, symlinks. */
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputProblem, outputProblem, requireInput, requireOutput } from '../../scripts/paths.ts';
import { UsageError } from '../../scenarios/errors.ts';

// As root, chmod does not stop writes or reads: those cases run only for other users.
const ROOT_USER = process.getuid?.() === 0;

let dir = '';
let file = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pushbench-paths-'));
  file = join(dir, 'results.json');
  await writeFile(file, '{}');
});
afterAll(async () => {
  if (dir !== '') {
    await chmod(join(dir, 'locked'), 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

function thrown(run: () => void): UsageError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a refusal');
}

describe('outputProblem: where the lab will write', () => {
  it('accepts an existing folder, a missing one below it, and a file to create or replace, and leaves nothing behind', async () => {
    expect(outputProblem(dir, 'folder')).toBeNull();
    expect(outputProblem(join(dir, 'new', 'deeper'), 'folder')).toBeNull();
    expect(outputProblem(join(dir, 'new', 'report.html'), 'file')).toBeNull();
    expect(outputProblem(file, 'file')).toBeNull();
    // The probe file is removed and the missing folders are not created: a refused run changes nothing.
    expect(await readdir(dir)).toEqual(['results.json']);
  });

  it.each([
    ['/proc/forbidden', 'folder', 'is on /proc, a kernel file system'],
    ['/proc/self', 'folder', 'is on /proc, a kernel file system'],
    ['/proc/forbidden/r.html', 'file', 'is on /proc, a kernel file system'],
    ['/sys/forbidden', 'folder', 'is on /sys, a kernel file system'],
    ['/sys/kernel/r.html', 'file', 'is on /sys, a kernel file system'],
  ] as const)('refuses %s (%s): %s', (path, kind, what) => {
    expect(outputProblem(path, kind)?.what).toMatch(new RegExp(`^${what}`));
  });

  it('refuses a symlink into /proc by where it really leads', async () => {
    const link = join(dir, 'to-proc');
    await symlink('/proc/self', link);
    try {
      expect(outputProblem(join(link, 'out'), 'folder')?.what).toMatch(/^is on \/proc, a kernel file system/);
    } finally {
      await rm(link);
    }
  });

  it('refuses a path below a regular file or a device, for folders and files alike', () => {
    expect(outputProblem(join(file, 'sub'), 'folder')).toEqual({ what: `is below ${file}, which is a file, not a folder`, fix: 'pass a path whose parents are folders' });
    expect(outputProblem(join(file, 'a', 'b', 'r.html'), 'file')?.what).toBe(`is below ${file}, which is a file, not a folder`);
    expect(outputProblem('/etc/passwd/sub', 'folder')?.what).toBe('is below /etc/passwd, which is a file, not a folder');
    expect(outputProblem('/dev/null/sub', 'folder')?.what).toBe('is below /dev/null, which is a character device, not a folder');
  });

  it('refuses a file where a folder is needed, and a folder or a device where a file is needed', () => {
    expect(outputProblem(file, 'folder')?.what).toBe('is a file, not a folder');
    expect(outputProblem(dir, 'file')?.what).toBe('is a folder, not a regular file');
    expect(outputProblem('/dev/null', 'file')?.what).toBe('is a character device, not a regular file');
  });

  it.skipIf(ROOT_USER)('refuses a folder nobody may write to (skipped as root, where chmod does not stop writes; /proc and /sys above cover that case)', async () => {
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o555);
    expect(outputProblem(locked, 'folder')?.what).toMatch(/^cannot be written \(permission denied: no file can be created in /);
    expect(outputProblem(join(locked, 'new', 'r.html'), 'file')?.what).toMatch(/^cannot be written \(permission denied/);
  });
});

describe('inputProblem: files the lab will read', () => {
  it('accepts a readable regular file', () => {
    expect(inputProblem(file)).toBeNull();
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.json'), () => 'does not exist'],
    ['a path below a file', () => join(file, 'x.json'), () => `does not exist (${file} is a file, not a folder)`],
    ['a folder', () => dir, () => 'is a folder, not a regular file'],
    ['/proc/self (a folder in /proc)', () => '/proc/self', () => 'is on /proc, a kernel file system, not a file the lab wrote'],
    ['/proc/self/status (a "regular" kernel file)', () => '/proc/self/status', () => 'is on /proc, a kernel file system, not a file the lab wrote'],
    ['a device', () => '/dev/null', () => 'is a character device, not a regular file'],
  ])('refuses %s', (_label, path, what) => {
    expect(inputProblem(path())?.what).toBe(what());
  });

  it.skipIf(ROOT_USER)('refuses a file it may not read (skipped as root, where chmod does not stop reads)', async () => {
    const secret = join(dir, 'secret.json');
    await writeFile(secret, '{}', { mode: 0o000 });
    expect(inputProblem(secret)?.what).toBe('cannot be read (EACCES)');
  });
});

describe('requireOutput and requireInput: one line, what is wrong and what to do, with a code', () => {
  it('an output problem is BAD_PATH, naming the flag and the path', () => {
    const err = thrown(() => requireOutput('--out', '/proc/forbidden', 'folder'));
    expect(err.code).toBe('BAD_PATH');
    expect(err.message).toBe("--out /proc/forbidden is on /proc, a kernel file system, not storage for the lab's files: pass a folder on a disk instead");
    expect(() => requireOutput('--out', join(dir, 'fine'), 'folder')).not.toThrow();
  });

  it('an input problem carries the caller\'s code and says what to pass instead', () => {
    const err = thrown(() => requireInput('--scenario-file', '/nonexistent', { code: 'BAD_SCENARIO', wanted: 'a JSON file of options' }));
    expect(err.code).toBe('BAD_SCENARIO');
    expect(err.message).toBe('--scenario-file /nonexistent does not exist: check the path, or pass the path of a JSON file of options');
    expect(err.message).not.toContain('\n');
  });
});

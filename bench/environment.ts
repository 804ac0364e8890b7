/** The environment section of results.json: enough to judge whether two results are comparable. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import type { Environment } from '../metrics/result-types.ts';

const ROOT = new URL('..', import.meta.url);

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function labVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export function collectEnvironment(startedAt: Date): Environment {
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  const cpuList = cpus();
  return {
    node: process.version,
    platform: platform(),
    osRelease: release(),
    arch: arch(),
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    totalMemoryBytes: totalmem(),
    hostname: hostname(),
    gitCommit: commit,
    gitDirty: status === null ? null : status !== '',
    labVersion: labVersion(),
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    otherCpuCores: null,
  };
}

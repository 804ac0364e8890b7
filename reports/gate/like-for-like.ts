/**
 * Whether two sets of results files were measured alike (pure): the machine, Node, the profile and
 * the servers' heap setting (--server-heap moves memory, CPU and capacity figures).
 * A comparison across them says so beside its verdicts, since a difference may then come from the
 * environment rather than the code.
 */
import type { ResultsFile } from '../../metrics/result-types.ts';
import { formatBytes } from '../format.ts';

/** The profile the bench ran with (config.profile), or null. */
export function profileOf(results: ResultsFile): string | null {
  const profile = results.config['profile'];
  return typeof profile === 'string' ? profile : null;
}

/** The lab servers' heap setting (config.serverHeap); files from before --server-heap ran Node's default. */
export function serverHeapOf(results: ResultsFile): string {
  const heap = results.config['serverHeap'];
  return typeof heap === 'string' ? heap : 'default';
}

/** What differs between the first base file and the head files' environment; empty when like for like. */
export function environmentDifferences(baseFiles: readonly ResultsFile[], headFiles: readonly ResultsFile[]): string[] {
  const [base] = baseFiles;
  const [head] = headFiles;
  if (base === undefined || head === undefined) return [];
  const now = head.environment;
  const before = base.environment;
  const differences: string[] = [];
  if (now.cpuModel !== before.cpuModel) differences.push(`CPU model: ${before.cpuModel} → ${now.cpuModel}`);
  if (now.cpuCount !== before.cpuCount) differences.push(`CPU count: ${before.cpuCount} → ${now.cpuCount}`);
  if (now.node !== before.node) differences.push(`Node: ${before.node} → ${now.node}`);
  const profileNow = profileOf(head);
  const profileBefore = profileOf(base);
  if (profileNow !== profileBefore) differences.push(`profile: ${profileBefore ?? 'unknown'} → ${profileNow ?? 'unknown'}`);
  const heapNow = serverHeapOf(head);
  const heapBefore = serverHeapOf(base);
  if (heapNow !== heapBefore) differences.push(`server heap: ${heapBefore} → ${heapNow}`);
  if (now.totalMemoryBytes !== before.totalMemoryBytes) differences.push(`memory: ${formatBytes(before.totalMemoryBytes)} → ${formatBytes(now.totalMemoryBytes)}`);
  if (now.platform !== before.platform || now.arch !== before.arch) differences.push(`OS: ${before.platform} ${before.arch} → ${now.platform} ${now.arch}`);
  if (now.hostname !== before.hostname) differences.push(`hostname: ${before.hostname} → ${now.hostname}`);
  for (const [side, files] of [['baseline', baseFiles], ['current', headFiles]] as const) {
    const incomplete = files.filter((file) => !file.complete);
    if (incomplete.length > 0) differences.push(`${incomplete.length} ${side} file${incomplete.length === 1 ? ' is' : 's are'} incomplete (${incomplete[0]!.interruption ?? 'no reason recorded'})`);
  }
  return differences;
}

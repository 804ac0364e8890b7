/** Assertions whose failure reads well in a report: seqs summarized, problems listed one per line. */

/** Throws unless `actual` is exactly `expected`, with a message short enough to read for thousands of seqs. */
export function assertSeqs(actual: readonly number[], expected: readonly number[], who: string): void {
  const differs = actual.findIndex((seq, i) => seq !== expected[i]);
  if (differs === -1 && actual.length === expected.length) return;
  const at = differs === -1 ? Math.min(actual.length, expected.length) : differs;
  const seen = new Set<number>();
  const duplicated = actual.filter((seq) => seen.has(seq) || !seen.add(seq)).length;
  const missing = expected.filter((seq) => !seen.has(seq)).length;
  throw new Error(
    `${who} received seqs ${summarize(actual)}, expected ${summarize(expected)}: ${missing} missing, ${duplicated} duplicated; ` +
      `first difference at position ${at + 1} (expected ${expected[at] ?? 'nothing'}, got ${actual[at] ?? 'nothing'})`,
  );
}

function summarize(seqs: readonly number[]): string {
  if (seqs.length === 0) return '(none)';
  const contiguous = seqs.every((seq, i) => seq === seqs[0]! + i);
  if (contiguous) return `${seqs[0]}..${seqs.at(-1)} (${seqs.length})`;
  return `[${seqs.slice(0, 8).join(', ')}${seqs.length > 8 ? ', ...' : ''}] (${seqs.length})`;
}

/** Throws listing every problem found, one per line, unless there is none. */
export function assertNone(problems: readonly string[], what: string): void {
  if (problems.length > 0) throw new Error(`${what}:\n${problems.map((p) => `- ${p}`).join('\n')}`);
}

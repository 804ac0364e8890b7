/** The runner's results as lines of text: one per check and encoding, then the count. */
import type { CheckResult } from './runner.ts';
import type { Target } from './target.ts';

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

export function formatHeader(target: Target): string {
  const has = (what: string, yes: boolean): string => `${what} ${yes ? 'yes' : 'no'}`;
  return (
    `conformance of the ${target.transport} server at ${target.baseUrl} to docs/PROTOCOL.md: ` +
    `topic ${target.topic}; encodings ${target.encodings.join(', ')}; ${target.token === null ? 'no token' : 'token set'}; ` +
    `${has('PUT /feed', target.capabilities.has('feedControl'))}; ${has('POST /drop', target.capabilities.has('drop'))}`
  );
}

/** `PASS  §3     json    resume after ...`, and for a failure or a skip the reason, indented below. */
export function formatResult(result: CheckResult): string {
  const line = `${LABEL[result.status]}  ${result.check.section.padEnd(6)} ${result.encoding.padEnd(7)} ${result.check.title}`;
  if (result.detail === undefined) return line;
  return `${line}\n${result.detail.split('\n').map((text) => `      ${text}`).join('\n')}`;
}

export function formatCount(results: readonly CheckResult[]): string {
  const count = (status: CheckResult['status']): number => results.filter((r) => r.status === status).length;
  return `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
}

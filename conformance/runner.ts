/**
 * Runs the checks against a target, one at a time (they read the server's counters, so nothing else
 * may run beside them), each in every encoding asked for, and says of each: passed, failed (with
 * what was wrong) or skipped (with why).
 */
import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';
import type { Encoding, TransportName } from '../scenarios/constants.ts';
import type { Check } from './check.ts';
import { CHECKS } from './checks/index.ts';
import { CheckContext } from './context.ts';
import { TRANSPORT_CAPABILITIES, type Capability, type Target } from './target.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  check: Check;
  encoding: Encoding;
  status: CheckStatus;
  /** Why it failed or was skipped. */
  detail?: string;
}

/** A check's whole run may take this many waits' worth of time before it is called stuck. */
const DEADLINE_WAITS = 6;

/** Why a check cannot run without a capability. Transport capabilities never reach here: checks for another transport are not listed. */
const WITHOUT: Record<Capability, string> = {
  membership: 'only for transports with join and leave (ws, sse)',
  backPressureCut: 'only for transports with an outgoing buffer per connection (ws, sse)',
  polling: 'only for long-poll',
  streamKey: 'only for sse',
  feedControl: 'needs PUT /feed (§10.1), which this server does not serve (optional)',
  drop: 'needs POST /drop (§10.2), which this server does not serve (optional)',
  token: 'needs a server started with a token: pass it as --token T (§7)',
};

const TRANSPORT_ONLY = new Set<Capability>(['membership', 'backPressureCut', 'polling', 'streamKey']);

/** The checks that apply to a transport: its real differences decide, not what a particular server offers. */
export function checksFor(transport: TransportName, checks: readonly Check[] = CHECKS): Check[] {
  const has = new Set(TRANSPORT_CAPABILITIES[transport]);
  return checks.filter((check) => (check.needs ?? []).every((need) => !TRANSPORT_ONLY.has(need) || has.has(need)));
}

function skipReason(check: Check, target: Target): string | undefined {
  const missing = (check.needs ?? []).find((need) => !target.capabilities.has(need));
  return missing === undefined ? undefined : WITHOUT[missing];
}

/** A check's own words for what failed, and for a comparison what was expected and what came, one line each. */
function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof AssertionError && !err.generatedMessage && (err.operator === 'strictEqual' || err.operator === 'deepStrictEqual')) {
    const show = (value: unknown): string => inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 12, maxStringLength: 120 });
    return `${err.message.split('\n')[0]}\nexpected ${show(err.expected)}\nactual   ${show(err.actual)}`;
  }
  return err.message;
}

function withDeadline(run: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms (${DEADLINE_WAITS} times --timeout): the server stopped answering something`)), ms);
  });
  return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
}

export async function runCheck(check: Check, target: Target, encoding: Encoding): Promise<CheckResult> {
  const skipped = skipReason(check, target);
  if (skipped !== undefined) return { check, encoding, status: 'skip', detail: skipped };
  const ctx = new CheckContext(target, encoding);
  const openBefore = (await ctx.api.stats().catch(() => null))?.connections.open;
  const run = (async () => {
    try {
      await check.run(ctx);
    } finally {
      await ctx.close();
    }
    // The next check counts from here: every connection this one opened must be gone from /stats.
    if (openBefore !== undefined) {
      await ctx.wait(async () => (await ctx.stats()).connections.open <= openBefore, `/stats connections.open to fall back to ${openBefore} once the check's clients closed`);
    }
  })();
  // After a deadline the run is abandoned; its late failure has nobody to tell.
  run.catch(() => undefined);
  try {
    await withDeadline(run, DEADLINE_WAITS * target.timing.timeoutMs);
    return { check, encoding, status: 'pass' };
  } catch (err) {
    const detail = describeFailure(err);
    if (check.required) return { check, encoding, status: 'fail', detail };
    return { check, encoding, status: 'skip', detail: `optional, a server may leave it out: ${detail}` };
  } finally {
    await ctx.close();
  }
}

export interface RunOptions {
  /** Default: every check that applies to the target's transport. */
  checks?: readonly Check[];
  /** Called as each result comes, so a long run shows progress. */
  onResult?: (result: CheckResult) => void;
}

export async function runChecks(target: Target, options: RunOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checksFor(target.transport, options.checks)) {
    for (const encoding of target.encodings) {
      const result = await runCheck(check, target, encoding);
      results.push(result);
      options.onResult?.(result);
    }
  }
  return results;
}

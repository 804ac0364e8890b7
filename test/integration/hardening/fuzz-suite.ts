/**
 * The seeded fuzzer: per transport, a fixed number of random cases per kind (connect queries; WS
 * frames after a welcome or a refusal; POST /messages bodies), within a time bound, against an
 * in-process server that publishes to a subscriber throughout. No case may crash the server, be
 * answered 5xx or be counted INTERNAL; the subscriber must keep receiving.
 *
 * A failure prints the base seed and the case's own seed. To replay one case:
 *   PUSHBENCH_FUZZ_CASE=<kind>:<case seed> npx vitest run test/integration/hardening/fuzz-<transport>.test.ts
 * and to run a whole other sequence: PUSHBENCH_FUZZ_SEED=<seed>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportName } from '../../../scenarios/constants.ts';
import { endpointOf, httpExchange } from '../../support/hostile.ts';
import { caseSeed, hex, SeededRandom } from '../../support/seeded-random.ts';
import { aftermath, connect, CrashWatcher, fromHttp, openWs, owedByEveryAnswer, wsOutcome, type Outcome } from './corpus-runner.ts';
import { startInProcessLab, type InProcessLab } from './corpus-suite.ts';
import { bodyCase, connectCase, describeCase, framesCase } from './fuzz-cases.ts';

const FUZZ_CASES = 300;
/** Per kind: the cases stop here if the count is not reached (a loaded machine runs fewer, never longer). */
const FUZZ_TIME_MS = 2000;
/** Fewer cases than this within the time bound means the fuzzer itself is stuck, not the server. */
const MIN_CASES = 20;
const DEFAULT_SEED = 0x5eed_1100;

type FuzzKind = 'connect' | 'ws-frames' | 'post-bodies';

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`a fuzz seed is an integer such as 0x5eed1100, got ${JSON.stringify(text)}`);
  return seed >>> 0;
}

const BASE_SEED = process.env.PUSHBENCH_FUZZ_SEED === undefined ? DEFAULT_SEED : parseSeed(process.env.PUSHBENCH_FUZZ_SEED);
const ONLY = process.env.PUSHBENCH_FUZZ_CASE?.split(':');

/** The seeds to run for `kind`: one from PUSHBENCH_FUZZ_CASE, or FUZZ_CASES derived from the base seed. */
function seedsOf(kind: FuzzKind): number[] {
  if (ONLY !== undefined) return ONLY[0] === kind && ONLY[1] !== undefined ? [parseSeed(ONLY[1])] : [];
  const salt = [...kind].reduce((hash, c) => Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);
  return Array.from({ length: FUZZ_CASES }, (_, i) => caseSeed(BASE_SEED ^ salt, i));
}

async function runCase(kind: FuzzKind, lab: InProcessLab, rng: SeededRandom): Promise<{ described: string; outcome: Outcome }> {
  if (kind === 'connect') {
    const spec = connectCase(rng);
    return { described: describeCase(spec), outcome: await connect(lab, spec.query, spec.headers, spec.prefix) };
  }
  if (kind === 'ws-frames') {
    const spec = framesCase(rng);
    const query = { welcome: 'topic=ticks&token={token}', unauthorized: 'topic=ticks&token=wrong', 'bad-query': 'topic=ticks&token={token}&fuzz=1' }[spec.after];
    const ws = await openWs(lab, query);
    if (ws.status === 101) {
      await ws.waitFor(() => ws.ended || ws.closeCode !== undefined || ws.controls().some((c) => c.type === 'welcome'), 1500);
      for (const frame of spec.frames) ws.write(frame);
      // The server reads what was written before this side's end, so ending at once loses nothing.
      await ws.endAndWait(500);
    }
    ws.destroy();
    return { described: describeCase(spec), outcome: wsOutcome(ws) };
  }
  const spec = bodyCase(rng);
  const answer = await httpExchange(endpointOf(lab.baseUrl), {
    method: 'POST',
    path: `/messages?${spec.query}`,
    headers: spec.contentType === undefined ? {} : { 'content-type': spec.contentType },
    body: spec.body,
  });
  return { described: describeCase(spec), outcome: fromHttp(answer) };
}

export function defineFuzzSuite(transport: TransportName, kinds: readonly FuzzKind[]): void {
  describe(`seeded fuzzer, ${transport} (base seed ${hex(BASE_SEED)})`, () => {
    let lab: InProcessLab;
    const crashes = new CrashWatcher();
    beforeAll(async () => {
      crashes.install();
      lab = await startInProcessLab(transport, 'locked');
    });
    afterAll(async () => {
      crashes.uninstall();
      await lab.close();
    });

    for (const kind of kinds) {
      it(`${kind}: up to ${FUZZ_CASES} cases in ${FUZZ_TIME_MS / 1000} s, none crashes, is answered 5xx or INTERNAL, or starves the subscriber`, async () => {
        const seeds = seedsOf(kind);
        const failures: string[] = [];
        const started = performance.now();
        const internalAtStart = await lab.internalErrors();
        let ran = 0;
        for (const seed of seeds) {
          if (performance.now() - started > FUZZ_TIME_MS) break;
          const internalBefore = await lab.internalErrors();
          const since = performance.now();
          const { described, outcome } = await runCase(kind, lab, new SeededRandom(seed));
          ran++;
          const problems = [...owedByEveryAnswer(outcome), ...crashes.since(since).map((what) => `threw in the server's process: ${what}`)];
          if ((await lab.internalErrors()) > internalBefore) problems.push('/stats counted an INTERNAL error');
          if (problems.length > 0) failures.push(`PUSHBENCH_FUZZ_CASE=${kind}:${hex(seed)} ${problems.join('; ')}\n      case: ${described}\n      answer: ${outcome.note}`);
        }
        const after = await aftermath(lab, started, internalAtStart);
        // The per-case INTERNAL checks already named their cases.
        failures.push(...after.filter((problem) => !problem.includes('INTERNAL')));
        expect(failures, `${failures.length} failing fuzz case(s) of ${ran} (base seed ${hex(BASE_SEED)}):\n  ${failures.slice(0, 15).join('\n  ')}`).toEqual([]);
        if (ONLY === undefined) expect(ran, 'cases run within the time bound').toBeGreaterThanOrEqual(MIN_CASES);
      }, FUZZ_TIME_MS + 15_000);
    }
  });
}

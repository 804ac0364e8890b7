/**
 * The transport contract: the conformance runner's checks (conformance/checks), one test per check
 * and encoding, against the lab's own server of each transport, so the suite and
 * `npm run conformance` cannot drift apart. Capability flags (conformance/target.ts) decide which
 * checks a transport gets; against the lab's servers every one of them must pass, optional ones included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksFor, runCheck } from '../../conformance/runner.ts';
import { ENCODINGS, type TransportName } from '../../scenarios/constants.ts';
import { CHECK_TEST_TIMEOUT_MS, startLabTarget, type LabTarget } from './lab-target.ts';

export function contractSuite(transport: TransportName): void {
  let lab: LabTarget | undefined;
  beforeAll(async () => {
    lab = await startLabTarget(transport);
  });
  afterAll(() => lab?.stop());

  describe.each(ENCODINGS)(`${transport} contract (%s)`, (encoding) => {
    for (const check of checksFor(transport)) {
      it(`${check.section} ${check.title} [${check.id}]`, { timeout: CHECK_TEST_TIMEOUT_MS }, async () => {
        const result = await runCheck(check, lab!.target, encoding);
        expect(result.status, result.detail).toBe('pass');
      });
    }
  });
}

/**
 * The corpus replayed against in-process servers of one transport (one vitest test per probe, so a
 * failure names its probe), and the servers it runs against: one started with a token (the locked
 * one, most probes) and one without (the default), both publishing the feed at 100 msg/s to a
 * well-behaved subscriber that stays connected throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportName } from '../../../scenarios/constants.ts';
import { startServer, type RunningServer } from '../../../servers/server.ts';
import { SteadySubscriber } from '../../support/steady-subscriber.ts';
import { appliesTo, CORPUS, CORPUS_TOKEN, serversOf, type ServerKind } from './corpus.ts';
import { aftermath, CrashWatcher, judge, replay, type Lab } from './corpus-runner.ts';

export const FEED_RATE = 100;
const FEED_PAYLOAD_BYTES = 16;

export interface InProcessLab extends Lab {
  readonly server: RunningServer;
  close(): Promise<void>;
}

/**
 * The control token (issue 11): the server's own when it exposes one, else its token, which then
 * doubles as the control token. (Read loosely so this suite runs before and after that change.)
 */
export function controlTokenOf(server: object, token: string | undefined): string | undefined {
  const own = (server as { controlToken?: unknown }).controlToken ?? (server as { options?: { controlToken?: unknown } }).options?.controlToken;
  return typeof own === 'string' ? own : token;
}

export async function startInProcessLab(transport: TransportName, kind: ServerKind): Promise<InProcessLab> {
  const token = kind === 'locked' ? CORPUS_TOKEN : undefined;
  // A short SSE retry so that a probe that cuts the subscriber costs that probe alone.
  const server = await startServer({ transport, port: 0, feedRate: 0, token, heartbeatMs: 60_000, sseRetryMs: 20 });
  server.publisher.configure(FEED_RATE, FEED_PAYLOAD_BYTES);
  const subscriber = await SteadySubscriber.start(transport, server.baseUrl, token);
  return {
    transport,
    kind,
    baseUrl: server.baseUrl,
    token,
    controlToken: controlTokenOf(server, token),
    subscriber,
    server,
    internalErrors: () => Promise.resolve(server.stats().errors.INTERNAL ?? 0),
    ended: () => undefined,
    async close() {
      await subscriber.close();
      await server.close();
    },
  };
}

export function defineCorpusSuite(transport: TransportName): void {
  describe(`bad-input corpus, ${transport}, in-process servers`, () => {
    const labs = new Map<ServerKind, InProcessLab>();
    const crashes = new CrashWatcher();
    beforeAll(async () => {
      crashes.install();
      labs.set('open', await startInProcessLab(transport, 'open'));
      labs.set('locked', await startInProcessLab(transport, 'locked'));
    });
    afterAll(async () => {
      crashes.uninstall();
      await Promise.allSettled([...labs.values()].map((lab) => lab.close()));
    });

    const probes = CORPUS.filter((probe) => appliesTo(probe, transport));
    for (const probe of probes.filter((p) => p.slow !== true)) {
      for (const kind of serversOf(probe)) {
        it(`${kind} server: ${probe.name}`, async () => {
          const lab = labs.get(kind)!;
          const internalBefore = await lab.internalErrors();
          const since = performance.now();
          const outcome = await replay(probe, lab);
          const problems = [...judge(probe, outcome), ...(await aftermath(lab, since, internalBefore, crashes))];
          expect(problems, `${problems.join('; ')}\n    what came back: ${outcome.note}`).toEqual([]);
        });
      }
    }

    // Slow bodies, slowloris and floods at once: each is bounded to about 2 s, and together they also
    // show that one kind of abuse does not open the door for another.
    it('slow bodies, slowloris and floods, together (about 1.5 s)', async () => {
      const lab = labs.get('locked')!;
      const internalBefore = await lab.internalErrors();
      const since = performance.now();
      const slow = probes.filter((p) => p.slow === true);
      const outcomes = await Promise.all(slow.map((probe) => replay(probe, lab)));
      const problems = slow.flatMap((probe, i) => judge(probe, outcomes[i]!).map((problem) => `${probe.name}: ${problem}`));
      problems.push(...(await aftermath(lab, since, internalBefore, crashes)));
      expect(problems, `${problems.join('; ')}\n    what came back: ${slow.map((probe, i) => `${probe.name}: ${outcomes[i]!.note}`).join(' | ')}`).toEqual([]);
    }, 20_000);
  });
}

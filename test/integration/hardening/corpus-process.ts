/**
 * The corpus once more against `npm run serve` in its own process, the way the bench runs servers:
 * in-process, vitest catches what would end a real server (an uncaught exception, an unhandled
 * 'error' event), so only a child process shows that nothing a client sends ends the server. A
 * probe that ends it is named, and the server is started again for the probes after it.
 */
import type { ChildProcess } from 'node:child_process';
import { expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../../bench/server-process.ts';
import type { TransportName } from '../../../scenarios/constants.ts';
import { httpExchange, endpointOf } from '../../support/hostile.ts';
import { SteadySubscriber } from '../../support/steady-subscriber.ts';
import { appliesTo, CORPUS, CORPUS_TOKEN, serversOf } from './corpus.ts';
import { aftermath, judge, replay, type Lab } from './corpus-runner.ts';
import { controlTokenOf, FEED_RATE } from './corpus-suite.ts';

/** A build that crashes restarts its server after each crash (a few seconds each); past this many the run stops counting. */
const MAX_RESTARTS = 30;

interface ChildLab extends Lab {
  stop(): Promise<void>;
}

async function startChildLab(transport: TransportName): Promise<ChildLab> {
  const registry = new Set<ChildProcess>();
  const server: ServerProcess = await startServerProcess({
    transport,
    payloadBytes: 16,
    token: CORPUS_TOKEN,
    // The last --feed-rate wins: the bench starts its servers at rate 0 and sets it with PUT /feed.
    serveArgs: ['--feed-rate', String(FEED_RATE), '--sse-retry-ms', '20', '--heartbeat-ms', '60000'],
    registry,
  });
  const child = [...registry][0]!;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const subscriber = await SteadySubscriber.start(transport, server.baseUrl, CORPUS_TOKEN);
  return {
    transport,
    kind: 'locked',
    baseUrl: server.baseUrl,
    token: CORPUS_TOKEN,
    controlToken: controlTokenOf(server, CORPUS_TOKEN),
    subscriber,
    async internalErrors() {
      const answer = await httpExchange(endpointOf(server.baseUrl), { method: 'GET', path: `/stats?token=${CORPUS_TOKEN}`, timeoutMs: 2000 });
      if (answer.status !== 200) return 0;
      return (JSON.parse(answer.body) as { errors: Record<string, number> }).errors.INTERNAL ?? 0;
    },
    ended() {
      if (child.exitCode === null && child.signalCode === null) return undefined;
      // The error's own line and the first frame in the lab's code say what ended it.
      const lines = stderr.split('\n').map((line) => line.trim());
      const error = lines.find((line) => /^(\w*Error\b|Error:|node:events|Uncaught)/.test(line)) ?? lines.filter(Boolean).at(-1) ?? '';
      const frame = lines.find((line) => /^at .*\/(servers|scenarios)\//.test(line)) ?? '';
      return `exit ${child.exitCode ?? child.signalCode}: ${[error, frame.replace(/^at .*?\/((servers|scenarios)\/)/, 'at $1')].filter(Boolean).join(' ').slice(0, 300)}`;
    },
    async stop() {
      await subscriber.close();
      await server.stop();
    },
  };
}

export function defineProcessCorpusTest(transport: TransportName): void {
  it(`${transport}: no probe of the corpus ends a server process, answers 5xx or starves its subscriber`, async () => {
    const probes = CORPUS.filter((probe) => appliesTo(probe, transport) && probe.slow !== true && serversOf(probe).includes('locked'));
    const ended: string[] = [];
    const problems: string[] = [];
    let lab = await startChildLab(transport);
    try {
      for (const probe of probes) {
        const internalBefore = await lab.internalErrors();
        const since = performance.now();
        const outcome = await replay(probe, lab);
        const found = [...judge(probe, outcome), ...(await aftermath(lab, since, internalBefore))];
        if (found.length > 0) problems.push(`${probe.name}: ${found.join('; ')}`);
        const why = lab.ended();
        if (why === undefined) continue;
        ended.push(`${probe.name} (${why})`);
        if (ended.length > MAX_RESTARTS) break;
        await lab.stop();
        lab = await startChildLab(transport);
      }
    } finally {
      await lab.stop();
    }
    expect.soft(ended, `probes that ended the server process:\n  ${ended.join('\n  ')}`).toEqual([]);
    expect(problems, `probes answered wrongly:\n  ${problems.join('\n  ')}`).toEqual([]);
  }, 180_000);
}

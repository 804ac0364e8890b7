/**
 * The lab's load connections against a server that requires a token: a wrong token is a failed
 * connect on every transport, never an opened connection. WebSocket is the subtle one: the server
 * accepts the upgrade and refuses with a 4001 close right after (docs/PROTOCOL.md §7), so a client
 * that trusted the upgrade would count a refusal as a successful connect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoadConnection } from '../../clients/load/create-connection.ts';
import { LoadContext, type LoadSink } from '../../clients/load/load-connection.ts';
import { ENCODINGS, TRANSPORTS, type TransportName } from '../../scenarios/constants.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';

const servers = new Map<TransportName, RunningServer>();

beforeAll(async () => {
  for (const transport of TRANSPORTS) servers.set(transport, await startServer({ transport, port: 0, feedRate: 0, token: 'secret' }));
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.close()));
});

function context(transport: TransportName, encoding: (typeof ENCODINGS)[number], token: string, lost: string[]): LoadContext {
  const sink: LoadSink = { data: () => undefined, problem: () => undefined, lost: (_c, detail) => void lost.push(detail) };
  return new LoadContext({ transport, baseUrl: servers.get(transport)!.baseUrl, encoding, token }, sink);
}

describe.each(TRANSPORTS.flatMap((transport) => ENCODINGS.map((encoding) => [transport, encoding] as const)))('%s load connection (%s) with a token', (transport, encoding) => {
  it('a wrong token fails the connect; the right one opens', async () => {
    const lost: string[] = [];
    const wrong = context(transport, encoding, 'wrong', lost);
    const refused = createLoadConnection({ id: 'w1', topics: ['ticks'], rooms: [] }, wrong);
    await expect(refused.open()).rejects.toThrow(/4001|401|UNAUTHORIZED/);
    await refused.close().catch(() => undefined);
    await wrong.close();

    const right = context(transport, encoding, 'secret', lost);
    const accepted = createLoadConnection({ id: 'w2', topics: ['ticks'], rooms: [] }, right);
    await accepted.open();
    await accepted.close();
    await right.close();
    expect(lost).toEqual([]);
  });
});

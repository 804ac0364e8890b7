/** --server-heap lean: the lab's server process starts with the lean heap's Node options and still serves. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerApi } from '../../bench/server-api.ts';
import { serverHeapArgs } from '../../bench/server-heap.ts';
import { startServerProcess, type ServerProcess } from '../../bench/server-process.ts';

const registry = new Set<ChildProcess>();
const started: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
});

const commandLineOf = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe.runIf(process.platform === 'linux')('server heap', () => {
  it.each(['default', 'lean'] as const)('%s: the server process runs with exactly its Node options and answers /stats', async (heap) => {
    const server = await startServerProcess({ transport: 'ws', payloadBytes: 100, token: null, registry, nodeArgs: serverHeapArgs(heap) });
    started.push(server);
    const argv = commandLineOf(server.pid);
    const heapFlags = argv.filter((arg) => arg.startsWith('--max-semi-space-size') || arg.startsWith('--heap-growing-percent'));
    expect(heapFlags).toEqual([...serverHeapArgs(heap)]);
    const stats = await new ServerApi(server.baseUrl, null, server.controlToken).stats();
    expect(stats?.connections.open).toBe(0);
  });
});

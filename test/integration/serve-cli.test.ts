/** `npm run serve` as a user runs it: a real process that prints its URL, serves, and stops on a signal. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../clients/create-client.ts';
import type { Envelope } from '../../scenarios/envelope.ts';
import { TRANSPORTS } from '../../scenarios/constants.ts';
import { waitFor } from '../support/harness.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function serve(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('npm run serve', () => {
  it.each(TRANSPORTS)('%s: prints the URL, serves the feed, and exits cleanly on SIGTERM', async (transport) => {
    const server = serve(['--transport', transport, '--port', '0', '--feed-rate', '50', '--payload-bytes', '16']);
    await waitFor(() => server.out().includes('stats:'), 'the server to print its URLs', 10_000);
    const connect = /connect: (\S+)\?topic=ticks/.exec(server.out())![1]!;
    const base = new URL(connect.replace(/^ws/, 'http')).origin;
    const client = createClient(transport, { url: base, topics: ['ticks'], reconnect: false });
    const messages: Envelope[] = [];
    client.on('message', (m) => messages.push(m));
    await client.connect();
    await waitFor(() => messages.length >= 3, 'three ticks');
    await client.close();
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.err()).toContain('SIGTERM');
  });

  it('--extra-ports N: prints every URL, and each one is the same server', async () => {
    const server = serve(['--transport', 'sse', '--port', '0', '--extra-ports', '2', '--feed-rate', '0']);
    await waitFor(() => server.out().includes('stats:'), 'the server to print its URLs', 10_000);
    const main = new URL(/connect: (\S+)\?topic=ticks/.exec(server.out())![1]!).origin;
    const extra = /also on: (.+)\n/.exec(server.out())![1]!.split(' ');
    expect(extra).toHaveLength(2);
    expect(new Set([main, ...extra]).size).toBe(3);
    const client = createClient('sse', { url: extra[1]!, topics: ['ticks'], reconnect: false });
    await client.connect();
    for (const url of [main, ...extra]) {
      const stats = (await (await fetch(`${url}/stats`)).json()) as { connections: { open: number } };
      expect(stats.connections.open, url).toBe(1);
    }
    await client.close();
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it.each([
    [['--transport', 'pigeon'], /--transport must be one of ws, sse, long-poll, got pigeon/],
    [['--transport', 'ws', '--port', 'eighty'], /--port takes a whole number, got "eighty"/],
    [['--transport', 'ws', '--port', '70000'], /--port must be an integer from 0 to 65535, got 70000/],
    [['--transport', 'ws', '--feed-rate=-5'], /--feed-rate must be an integer from 0 to 1000000, got -5/],
    [['--transport', 'ws', '--topics', 'a b'], /--topics must be one or more names/],
    [['--transprot', 'ws'], /Unknown option '--transprot'/],
    [['--transport', 'ws', '--extra-ports', '65'], /--extra-ports must be an integer from 0 to 64, got 65/],
    [['--transport', 'ws', '--encoding', 'xml'], /--encoding must be one of json, binary, got xml/],
    [[], /--transport is required/],
  ])('refuses %j with a message that says what to fix', async (args, message) => {
    const run = serve(args);
    expect(await run.exit).toBe(2);
    expect(run.err()).toMatch(message);
    expect(run.out()).toBe('');
  });
});

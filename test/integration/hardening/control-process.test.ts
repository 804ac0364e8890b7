/**
 * A server the bench starts gets its tokens by environment, never on its command line (which `ps`
 * shows every user of the machine), and a control token of its own that the bench then uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerApi } from '../../../bench/server-api.ts';
import { startServerProcess, type ServerProcess } from '../../../bench/server-process.ts';
import { waitFor } from '../../support/harness.ts';
import { labProcessOf } from '../../support/lab-processes.ts';

const CLIENT_TOKEN = 'client-secret-for-ps';
let server: ServerProcess | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.stop();
});

/** `npm run serve` as a user runs it; resolves with its printed lines once it listens. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', '--port', '0', '--feed-rate', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(() => out.includes('control:'), 'the server to print its URLs', 10_000);
  return out;
}

describe('a bench-started server process', () => {
  it('has no token on its command line, and answers the client and control tokens it was given', { timeout: 20_000 }, async () => {
    server = await startServerProcess({ transport: 'sse', payloadBytes: 8, token: CLIENT_TOKEN, registry: new Set<ChildProcess>() });
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(labProcessOf(cmdline.join(' '))).toBe('server');
    expect(cmdline.join(' ')).not.toContain(CLIENT_TOKEN);
    expect(cmdline.join(' ')).not.toContain(server.controlToken);
    expect(cmdline).not.toContain('--token');
    expect(cmdline).not.toContain('--control-token');

    expect(server.controlToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(server.controlToken).not.toBe(CLIENT_TOKEN);
    expect((await fetch(`${server.baseUrl}/stats`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/stats?token=${CLIENT_TOKEN}`)).status).toBe(200);
    const bench = new ServerApi(server.baseUrl, CLIENT_TOKEN, server.controlToken);
    expect(await bench.setFeed(0, 8)).toBe(true);
    expect(await bench.stats(true)).not.toBeNull();
    // The client token steers nothing.
    await expect(new ServerApi(server.baseUrl, CLIENT_TOKEN).setFeed(100, 8)).rejects.toThrow(/answered 401/);
  });

  it('npm run serve prints the control token it made, which then works', { timeout: 20_000 }, async () => {
    const out = await serve(['--transport', 'ws']);
    const base = /stats: +(\S+)\/stats/.exec(out)![1]!;
    const token = /control: (\S+) /.exec(out)![1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect((await fetch(`${base}/feed`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"rate":0}' })).status).toBe(401);
    expect(await new ServerApi(base, null, token).setFeed(0, 8)).toBe(true);
  });

  it('npm run serve takes the control token from PUSHBENCH_CONTROL_TOKEN and does not print it', { timeout: 20_000 }, async () => {
    const out = await serve(['--transport', 'sse'], { PUSHBENCH_CONTROL_TOKEN: 'from-the-environment' });
    expect(out).not.toContain('from-the-environment');
    expect(out).toMatch(/control: the token given \(PUSHBENCH_CONTROL_TOKEN\)/);
    const base = /stats: +(\S+)\/stats/.exec(out)![1]!;
    expect(await new ServerApi(base, null, 'from-the-environment').setFeed(0, 8)).toBe(true);
  });
});

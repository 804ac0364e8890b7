/**
 * Starts one pushbench server in its own process (so its CPU and memory are its own) and stops it.
 * The server learns over IPC that it was started by the bench and exits if the bench disappears.
 * Its tokens go by environment, never on its command line, which every user of the machine can read.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { TransportName } from '../scenarios/constants.ts';
import { CONTROL_TOKEN_ENV, randomToken, TOKEN_ENV } from '../servers/access.ts';
import { profilingArgs } from './worker-pool.ts';
import { forkUnder, type PinTo } from './pinning.ts';
import { processBundle } from './process-bundle.ts';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ServerProcess {
  readonly baseUrl: string;
  /** Every port it listens on, the main one (baseUrl) first: one server (see `extraPorts`). */
  readonly baseUrls: readonly string[];
  readonly pid: number;
  /** What its control calls need (PUT /feed, POST /drop, /stats?reset=1): the one given, or one made for this server. */
  readonly controlToken: string;
  /** Null while it runs or after stop(); else how it ended on its own and the end of its stderr (a crash, an out-of-memory kill). */
  exitNote(): string | null;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  transport: TransportName;
  payloadBytes: number;
  token: string | null;
  /** Default: a random one, so nobody but the bench steers the server. */
  controlToken?: string;
  /** Free ports to listen on besides the main one, for browser clients (6 HTTP/1.1 connections per host:port); default 0. */
  extraPorts?: number;
  /** More `npm run serve` flags, e.g. ['--sse-retry-ms', '50'] (tests start servers with small limits). */
  serveArgs?: readonly string[];
  /** Node options for the server process (bench/server-heap.ts). */
  nodeArgs?: readonly string[];
  /** Every live child is registered here so an interrupted bench can kill them all. */
  registry: Set<ChildProcess>;
  /** --pin on: start it under taskset on these CPUs. */
  pin?: PinTo;
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const args = ['--transport', options.transport, '--host', '127.0.0.1', '--port', '0', '--feed-rate', '0', '--payload-bytes', String(options.payloadBytes)];
  const controlToken = options.controlToken ?? randomToken();
  const env: NodeJS.ProcessEnv = { ...process.env, [CONTROL_TOKEN_ENV]: controlToken };
  if (options.token !== null) env[TOKEN_ENV] = options.token;
  else delete env[TOKEN_ENV];
  if (options.extraPorts !== undefined && options.extraPorts > 0) args.push('--extra-ports', String(options.extraPorts));
  args.push(...(options.serveArgs ?? []));
  // scripts/serve.ts, bundled: plain node starts it in half the time tsx takes (bench/process-bundle.ts).
  const child = fork(processBundle('server'), args, { ...forkUnder(options.pin, [...profilingArgs(), ...(options.nodeArgs ?? [])]), stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env });
  options.registry.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let stopping = false;
  let exitedAs: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedAs = signal === null ? `code ${code}` : `signal ${signal}`;
      resolve();
    }),
  );
  void exited.then(() => options.registry.delete(child));
  const baseUrls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${options.transport} server did not start within ${READY_TIMEOUT_MS / 1000} s: ${stderr}`)), READY_TIMEOUT_MS);
    child.on('message', (message: { type?: string; baseUrl?: string; baseUrls?: unknown }) => {
      if (message.type === 'ready' && typeof message.baseUrl === 'string') {
        clearTimeout(timer);
        const all = Array.isArray(message.baseUrls) ? message.baseUrls.filter((url): url is string => typeof url === 'string') : [];
        resolve(all[0] === message.baseUrl ? all : [message.baseUrl, ...all]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${options.transport} server exited with code ${code} before it was ready: ${stderr.trim()}`));
    });
  });
  return {
    baseUrl: baseUrls[0]!,
    baseUrls,
    pid: child.pid!,
    controlToken,
    exitNote(): string | null {
      if (stopping || exitedAs === null) return null;
      const tail = stderr.trim().split('\n').slice(-5).join(' | ');
      return `the ${options.transport} server process exited by itself (${exitedAs})${tail === '' ? ', printing nothing on stderr' : `: ${tail}`}`;
    },
    async stop(): Promise<void> {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

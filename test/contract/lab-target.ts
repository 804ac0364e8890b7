/**
 * The lab's own server of one transport as a conformance target: its own process started by the
 * serve CLI on port 0, reached only through its URL, with small limits so the load-sized checks
 * stay quick, and a token so the token checks run: one token for connects and control calls, as a
 * third-party server measured with --target has.
 */
import type { ChildProcess } from 'node:child_process';
import { startServerProcess, type ServerProcess } from '../../bench/server-process.ts';
import { discoverTarget, type ServerLimits, type Target, type Timing } from '../../conformance/target.ts';
import type { TransportName } from '../../scenarios/constants.ts';

export const LAB_TOKEN = 'contract-token';
export const LAB_LIMITS: ServerLimits = { maxMessageBytes: 64 * 1024, maxBufferedBytes: 64 * 1024, pollMaxBatchBytes: 4096 };
/** Waits end when their event comes; 10 s is for a busy machine. Reconnects start after 10 ms, so "never reconnects" is watched for 100 ms. */
export const LAB_TIMING: Timing = { timeoutMs: 10_000, reconnectDelayMs: 10 };
/** A test may take the runner's deadline for one check (6 waits) and the settling after it. */
export const CHECK_TEST_TIMEOUT_MS = 8 * LAB_TIMING.timeoutMs;

export function startLabServer(transport: TransportName): Promise<ServerProcess> {
  return startServerProcess({
    transport,
    payloadBytes: 16,
    token: LAB_TOKEN,
    controlToken: LAB_TOKEN,
    registry: new Set<ChildProcess>(),
    serveArgs: [
      '--max-message-bytes', String(LAB_LIMITS.maxMessageBytes),
      '--max-buffered-bytes', String(LAB_LIMITS.maxBufferedBytes),
      '--poll-max-batch-bytes', String(LAB_LIMITS.pollMaxBatchBytes),
      // The SSE client waits the server's retry: before it reconnects.
      '--sse-retry-ms', '50',
    ],
  });
}

export interface LabTarget {
  target: Target;
  stop(): Promise<void>;
}

export async function startLabTarget(transport: TransportName): Promise<LabTarget> {
  const server = await startLabServer(transport);
  const { target } = await discoverTarget({ baseUrl: server.baseUrl, token: LAB_TOKEN, transport, limits: LAB_LIMITS, timing: LAB_TIMING });
  return { target, stop: () => server.stop() };
}

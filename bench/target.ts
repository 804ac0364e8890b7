/**
 * Meeting a server the lab did not start (`--target`), for the bench and the conformance runner:
 * it must answer GET /health with a transport, and the one the flags name if they name one.
 */
import type { TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { ServerApi } from './server-api.ts';

/** The transport the target serves; refuses an unreachable target, or one serving none of `wanted`. */
export async function targetTransport(api: ServerApi, wanted: readonly TransportName[], flag: string): Promise<TransportName> {
  const served = await api.transport().catch((err: Error) => {
    throw new UsageError('TARGET_UNREACHABLE', `cannot reach --target ${api.baseUrl} (${err.message}): start the server first, or check the host and port`);
  });
  if (wanted.length > 0 && !wanted.includes(served)) throw new UsageError('TARGET_MISMATCH', `--target ${api.baseUrl} serves ${served}, not ${wanted.join(', ')}: drop ${flag} or name ${served}`);
  return served;
}

/**
 * Refuses, before any connection opens, a target whose control calls (PUT /feed, POST /drop,
 * /stats?reset=1) do not take the bench's --token: every run would fail on its first PUT /feed.
 */
export async function checkTargetControl(api: ServerApi): Promise<void> {
  if ((await api.controlAccess()) !== 'refused') return;
  throw new UsageError(
    'TARGET_REFUSED',
    `--target ${api.baseUrl} refuses the bench's control calls (GET /stats?reset=1 answered 401/403): pass its control token as --token (\`npm run serve\` prints it as "control:" at start, or start it with --token T and pass the same T)`,
  );
}

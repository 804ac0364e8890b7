import type { ClientKind, Encoding, ScenarioName, TransportName } from '../scenarios/constants.ts';

/**
 * How the bench names a session in its progress lines and notices ("sse feed json", "ws chat json
 * browser"): one definition, so the CI gate can find the "… failed: …" notice of a run it lost.
 */
export function sessionLabel(key: { transport: TransportName; scenario: ScenarioName; encoding: Encoding; client: ClientKind }): string {
  return `${key.transport} ${key.scenario} ${key.encoding}${key.client === 'browser' ? ' browser' : ''}`;
}

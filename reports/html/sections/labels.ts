/**
 * How the page names transports and scenarios in words ("Server-Sent Events", "Feed"), and counts
 * with their noun ("1 run is", "3 runs are"): shared by the header, answer and comparison sections.
 */
import type { TransportName } from '../../../scenarios/constants.ts';
import type { ScenarioName } from '../../../metrics/result-types.ts';
import { formatCount } from '../../format.ts';

export const TRANSPORT_LABELS: Record<TransportName, string> = {
  ws: 'WebSocket',
  sse: 'Server-Sent Events',
  'long-poll': 'Long polling',
};

const SCENARIO_LABELS: Record<ScenarioName, string> = { feed: 'Feed', chat: 'Chat' };

export const scenarioLabel = (scenario: string): string => SCENARIO_LABELS[scenario as ScenarioName] ?? scenario;
export const transportLabel = (transport: string): string => TRANSPORT_LABELS[transport as TransportName] ?? transport;
export const plural = (count: number, one: string, many: string): string => `${formatCount(count)} ${count === 1 ? one : many}`;

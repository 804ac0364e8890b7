/** Who connects to what: the connection specs of a scenario, and how they are shared among workers (pure). */
import type { LoadConnectionSpec } from '../clients/load/load-connection.ts';
import type { BenchConfig, ClientKind, ScenarioName } from '../scenarios/bench-config.ts';

/** Connections per worker, well under the 20,000 open files a process may hold here. */
const MAX_CONNECTIONS_PER_WORKER = 6000;

export function connectionSpecs(config: BenchConfig, scenario: ScenarioName, topic: string, client: ClientKind = 'node'): LoadConnectionSpec[] {
  const browser = client === 'browser';
  const prefix = browser ? 'b' : '';
  if (scenario === 'feed') return Array.from({ length: browser ? config.browser.feedSubscribers : config.feed.subscribers }, (_, i) => ({ id: `${prefix}f${i}`, topics: [topic], rooms: [] }));
  const rooms = browser ? config.browser.chatRooms : config.chat.rooms;
  const members = browser ? config.browser.chatMembersPerRoom : config.chat.membersPerRoom;
  const specs: LoadConnectionSpec[] = [];
  for (let r = 0; r < rooms; r++) {
    for (let m = 0; m < members; m++) specs.push({ id: `${prefix}r${r}m${m}`, topics: [], rooms: [`room${r}`] });
  }
  return specs;
}

/** Chromium processes for a browser run: each holds at most browser.clientsPerBrowser clients. */
export function browserWorkerCount(config: BenchConfig, clients: number): number {
  return Math.max(1, Math.ceil(clients / config.browser.clientsPerBrowser));
}

/**
 * SSE or long-poll browser clients per origin: Chromium opens 6 HTTP/1.1 connections per host:port.
 * Feed clients only hold their stream; chat clients also POST their sends, so they leave room for them.
 */
export function streamsPerOrigin(scenario: ScenarioName): number {
  return scenario === 'feed' ? 6 : 3;
}

export function workerCount(config: BenchConfig, connections: number, cores: number): number {
  if (config.workers > 0) return config.workers;
  return Math.max(Math.min(cores, Math.max(1, connections)), Math.ceil(connections / MAX_CONNECTIONS_PER_WORKER));
}

/** Round-robin, so the members of a room (and any slow stretch of ids) spread over every worker. */
export function shareOut<T>(items: readonly T[], workers: number): T[][] {
  const shares: T[][] = Array.from({ length: workers }, () => []);
  items.forEach((item, i) => shares[i % workers]!.push(item));
  return shares;
}

/** Who connects to what: the connection specs of a scenario, and how they are shared among workers (pure). */
import type { LoadConnectionSpec } from '../clients/load/load-connection.ts';
import type { BenchConfig, ScenarioName } from '../scenarios/bench-config.ts';

/** Connections per worker, well under the 20,000 open files a process may hold here. */
const MAX_CONNECTIONS_PER_WORKER = 6000;

export function connectionSpecs(config: BenchConfig, scenario: ScenarioName, topic: string): LoadConnectionSpec[] {
  if (scenario === 'feed') return Array.from({ length: config.feed.subscribers }, (_, i) => ({ id: `f${i}`, topics: [topic], rooms: [] }));
  const specs: LoadConnectionSpec[] = [];
  for (let r = 0; r < config.chat.rooms; r++) {
    for (let m = 0; m < config.chat.membersPerRoom; m++) specs.push({ id: `r${r}m${m}`, topics: [], rooms: [`room${r}`] });
  }
  return specs;
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

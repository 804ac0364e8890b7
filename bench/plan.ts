/** How many workers hold a run's connections, and how the connections are shared among them (pure). */
import type { BenchConfig } from '../scenarios/bench-config.ts';

/** Connections per worker, well under the 20,000 open files a process may hold here. */
const MAX_CONNECTIONS_PER_WORKER = 6000;

/** Chromium processes for a browser run: each holds at most browser.clientsPerBrowser clients. */
export function browserWorkerCount(config: BenchConfig, clients: number): number {
  return Math.max(1, Math.ceil(clients / config.browser.clientsPerBrowser));
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

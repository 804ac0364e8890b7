/**
 * `npm run floor`: the lab's servers beside the least a Node server of each protocol does, on this
 * machine, through one client (bench/floor/floor.ts). What it prints answers "is the comparison
 * fair?": a lab server far above its floor would make its transport look worse than it is.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { runFloor, type Figures, type FloorOptions } from '../bench/floor/floor.ts';
import { TRANSPORTS, type TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { intFlag, parseFlags, runMain } from './cli.ts';

const USAGE = `usage: npm run floor [-- options]

Measures the lab's servers and floor servers (node:http and ws holding connections and nothing
else: bench/floor/bare-server.ts) through one raw-socket client, in alternating rounds:
server memory per idle connection per transport, and for long-poll the server CPU per answered
poll. Loopback only; about 3 minutes 20 s with the defaults here (2 cores).

  --transports LIST   ws,sse,long-poll (default all)
  --connections N     idle connections per memory measurement, 100 to 15000 (default 10000)
  --pollers N         long-poll clients re-polling at once, 10 to 5000 (default 1000)
  --poll-rates LIST   feed messages per second for the long-poll CPU measurement (default 20,200)
  --rounds N          rounds per figure, 1 to 10 (default 3)
  --memory-only       skip the long-poll CPU measurement
  --help              this text`;

function inRange(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (chosen < min || chosen > max) throw new UsageError('BAD_FLAG', `--${name} must be from ${min} to ${max}, got ${chosen}`);
  return chosen;
}

function optionsOf(argv: string[]): FloorOptions | null {
  const flags = parseFlags(
    argv,
    {
      transports: { type: 'string' },
      connections: { type: 'string' },
      pollers: { type: 'string' },
      'poll-rates': { type: 'string' },
      rounds: { type: 'string' },
      'memory-only': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    USAGE,
  );
  if (flags.help === true) return null;
  const transports = (flags.transports ?? TRANSPORTS.join(',')).split(',').map((name) => name.trim());
  for (const name of transports) {
    if (!TRANSPORTS.includes(name as TransportName)) throw new UsageError('BAD_FLAG', `--transports: ${JSON.stringify(name)} is not a transport; use a comma-separated list of ${TRANSPORTS.join(', ')}`);
  }
  const rates = (flags['poll-rates'] ?? '20,200').split(',').map((rate) => inRange('poll-rates', intFlag('poll-rates', rate.trim()), 0, 1, 100_000));
  return {
    transports: transports as TransportName[],
    // The client holds every connection in one process: the open-file limit here is 20,000.
    connections: inRange('connections', intFlag('connections', flags.connections), 10_000, 100, 15_000),
    pollers: inRange('pollers', intFlag('pollers', flags.pollers), 1000, 10, 5000),
    pollRates: flags['memory-only'] === true ? [] : rates,
    rounds: inRange('rounds', intFlag('rounds', flags.rounds), 3, 1, 10),
  };
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(2);
const us = (value: number): string => value.toFixed(1);

function describe(figures: Figures, format: (value: number) => string): string {
  return `${format(figures.median)} (${figures.rounds.map(format).join(', ')})`;
}

function ratio(lab: number, floor: number): string {
  const change = lab / floor - 1;
  return `${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %`;
}

runMain(async () => {
  const options = optionsOf(process.argv.slice(2));
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const registry = new Set<ChildProcess>();
  const killAll = (): void => {
    for (const child of registry) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\npushbench: ${signal}: stopping every server\n`);
      killAll();
      process.exit(128 + constants.signals[signal]);
    });
  }
  const report = await runFloor(options, registry, (line) => process.stderr.write(`  ${line}\n`));
  const lines = [`Server memory per idle connection, KB: median (each round), ${options.connections.toLocaleString('en-US')} connections`];
  for (const row of report.memory) lines.push(`  ${row.transport.padEnd(9)}  lab ${describe(row.lab, kb)}   floor ${describe(row.floor, kb)}   lab over floor ${ratio(row.lab.median, row.floor.median)}`);
  if (report.pollCost.length > 0) {
    lines.push('', `Long-poll server CPU per answered poll, µs: median (each round), ${options.pollers.toLocaleString('en-US')} pollers re-polling at once`);
    for (const row of report.pollCost) {
      const cores = (list: number[]): string => list.map((value) => value.toFixed(2)).join(', ');
      lines.push(`  ${String(row.rate).padStart(6)} msg/s  lab ${describe(row.lab, us)}   floor ${describe(row.floor, us)}   lab over floor ${ratio(row.lab.median, row.floor.median)}`);
      lines.push(`  ${''.padStart(12)}  server cores: lab ${cores(row.labCores)}; floor ${cores(row.floorCores)}`);
    }
    lines.push(
      '',
      "  The floor answers a held poll with the messages of the last publish only (no replay buffer, cursor,",
      "  auth or limits), so it may deliver fewer messages per answer than the lab's server: it is the",
      '  least node:http does per poll, not a long-poll server to compare transports with.',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
});

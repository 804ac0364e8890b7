/** `npm run serve -- --transport ws|sse|long-poll [...]`: one server in this process, until SIGINT/SIGTERM. */
import { SERVER_DEFAULTS, TRANSPORTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { INT_OPTION_RANGES, type ServerOptionsInput } from '../servers/options.ts';
import { startServer } from '../servers/server.ts';
import { intFlag, parseFlags, runMain } from './cli.ts';

const USAGE = `usage: npm run serve -- --transport ws|sse|long-poll [options]

  --transport NAME          ws, sse or long-poll (required)
  --host ADDR               address to bind (default ${SERVER_DEFAULTS.host})
  --port N                  port, 0 for any free one (default ${SERVER_DEFAULTS.port})
  --topics A,B              feed topics (default ${SERVER_DEFAULTS.topics.join(',')})
  --feed-rate N             messages per second per topic, 0 for none (default ${SERVER_DEFAULTS.feedRate})
  --payload-bytes N         feed payload size (default ${SERVER_DEFAULTS.payloadBytes})
  --encoding json|binary    default data encoding (default ${SERVER_DEFAULTS.encoding})
  --token T                 require this token from every client
  --max-message-bytes N     largest client message (default ${SERVER_DEFAULTS.maxMessageBytes})
  --max-buffered-bytes N    outgoing buffer per connection before a slow consumer is cut (default ${SERVER_DEFAULTS.maxBufferedBytes})
  --replay-size N           messages kept per channel for resume (default ${SERVER_DEFAULTS.replaySize})
  --max-rooms N             most live chat rooms (default ${SERVER_DEFAULTS.maxRooms})
  --room-idle-ms N          free a room after N ms with no member and no message, 0 never (default ${SERVER_DEFAULTS.roomIdleMs})
  --max-replay-bytes N      bytes held by all replay buffers together; the oldest go first (default ${SERVER_DEFAULTS.maxReplayBytes})
  --heartbeat-ms N          WS ping / SSE comment interval (default ${SERVER_DEFAULTS.heartbeatMs})
  --poll-timeout-ms N       how long a long poll waits (default ${SERVER_DEFAULTS.pollTimeoutMs})
  --poll-max-batch-bytes N  most bytes in one poll response (default ${SERVER_DEFAULTS.pollMaxBatchBytes})
  --sse-retry-ms N          SSE retry: field (default ${SERVER_DEFAULTS.sseRetryMs})
  --extra-ports N           also listen on N more free ports of the same host, 0 to 64 (default ${SERVER_DEFAULTS.extraPorts});
                            one server: browsers open at most 6 HTTP/1.1 connections per host:port
  --help                    this text`;

/** Flags are the option names in kebab case (feedRate is --feed-rate). */
const flagName = (option: string): string => option.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const INT_OPTIONS = Object.keys(INT_OPTION_RANGES) as (keyof typeof INT_OPTION_RANGES)[];

const FLAGS = {
  transport: { type: 'string' },
  host: { type: 'string' },
  topics: { type: 'string' },
  encoding: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean' },
  ...Object.fromEntries(INT_OPTIONS.map((option) => [flagName(option), { type: 'string' as const }])),
} as const;

type Flags = Record<string, string | boolean | undefined>;

function serverOptions(flags: Flags): ServerOptionsInput {
  const options: ServerOptionsInput = {
    transport: flags.transport as TransportName,
    host: flags.host as string | undefined,
    topics: (flags.topics as string | undefined)?.split(','),
    encoding: flags.encoding as Encoding | undefined,
    token: flags.token as string | undefined,
  };
  for (const option of INT_OPTIONS) options[option] = intFlag(flagName(option), flags[flagName(option)] as string | undefined);
  return options;
}

runMain(async () => {
  const flags: Flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (flags.transport === undefined) throw new UsageError('BAD_FLAG', `--transport is required (one of ${TRANSPORTS.join(', ')})\n\n${USAGE}`);
  const server = await startServer(serverOptions(flags)).catch((err: unknown) => {
    // Options are validated by their API names; a CLI user typed flags, so name the flag.
    if (err instanceof UsageError) throw new UsageError(err.code, err.message.replace(/^option (\w+)/, (_m, name: string) => '--' + flagName(name)));
    throw err;
  });
  const topic = server.options.topics[0]!;
  const extra = server.baseUrls.slice(1);
  process.stdout.write(
    `pushbench ${server.transport} server listening\n  connect: ${server.connectUrl}?topic=${topic}\n` +
      (extra.length > 0 ? `  also on: ${extra.join(' ')}\n` : '') +
      `  stats:   ${server.baseUrl}/stats\n`,
  );
  const stop = (signal: string): void => {
    process.stderr.write(`pushbench: ${signal}, closing connections\n`);
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // Started by the bench over IPC: report the address, and never outlive the bench.
  if (process.send !== undefined) {
    process.send({ type: 'ready', transport: server.transport, baseUrl: server.baseUrl, baseUrls: server.baseUrls, connectUrl: server.connectUrl });
    process.once('disconnect', () => stop('the bench exited'));
  }
});

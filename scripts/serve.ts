/**
 * `npm run serve -- --transport ws|sse|long-poll [...]`: one server in this process, until SIGINT/SIGTERM.
 * `npm run serve -- --mint-token 10m`: prints a client token that expires, and exits.
 */
import { SERVER_DEFAULTS, TRANSPORTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { INT_OPTION_RANGES, type ServerOptionsInput } from '../servers/options.ts';
import { startServer } from '../servers/server.ts';
import { mintToken } from '../scenarios/tokens.ts';
import { CONTROL_TOKEN_ENV, TOKEN_ENV } from '../servers/access.ts';
import { intFlag, parseFlags, runMain } from './cli.ts';

const USAGE = `usage: npm run serve -- --transport ws|sse|long-poll [options]

  --transport NAME          ws, sse or long-poll (required)
  --host ADDR               address to bind (default ${SERVER_DEFAULTS.host})
  --port N                  port, 0 for any free one (default ${SERVER_DEFAULTS.port})
  --topics A,B              feed topics (default ${SERVER_DEFAULTS.topics.join(',')})
  --feed-rate N             messages per second per topic, 0 for none (default ${SERVER_DEFAULTS.feedRate})
  --payload-bytes N         feed payload size (default ${SERVER_DEFAULTS.payloadBytes})
  --encoding json|binary    default data encoding (default ${SERVER_DEFAULTS.encoding})
  --token T                 require this token (or one minted from it) from every client; also from env ${TOKEN_ENV}
  --control-token T         the token of the control calls (PUT /feed, POST /drop, /ban, /unban, /stats?reset=1);
                            also from env ${CONTROL_TOKEN_ENV}; default: --token, else a random one, printed at start
  --allow-origin LIST       origins whose web pages may use the server: origins such as http://example.com:3000,
                            loopback (http://127.0.0.1, localhost or [::1], any port) or * (default loopback)
  --ban IDS                 refuse these client ids, comma-separated (POST /ban and /unban change the list)
  --mint-token TIME         print a client token that expires in TIME (e.g. 90s, 10m, 2h), signed with --token
                            (or ${TOKEN_ENV}), and exit
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
  --rate-limit-messages N   client messages per second per client, 0 for no limit (default ${SERVER_DEFAULTS.rateLimitMessages})
  --rate-limit-burst N      messages a client may send at once above that rate, 0 for one second's worth (default ${SERVER_DEFAULTS.rateLimitBurst})
  --rate-limit-close-after N
                            WS: refused messages within one second before a 1008 close, 0 never closes (default ${SERVER_DEFAULTS.rateLimitCloseAfter})
  --connect-rate-limit N    WS upgrades and SSE streams per second per address, 0 for no limit (default ${SERVER_DEFAULTS.connectRateLimit})
  --connect-burst N         connection attempts at once above that rate, 0 for one second's worth (default ${SERVER_DEFAULTS.connectBurst})
  --max-held-polls-per-ip N long polls held at once per address, 0 for no limit (default ${SERVER_DEFAULTS.maxHeldPollsPerIp})
  --max-uploads-per-ip N    POST /messages bodies received at once per address, 0 for no limit (default ${SERVER_DEFAULTS.maxUploadsPerIp})
  --request-timeout-ms N    longest time to receive a whole request, headers and body, 0 for none (default ${SERVER_DEFAULTS.requestTimeoutMs})
  --help                    this text`;

/** Flags are the option names in kebab case (feedRate is --feed-rate), but for these. */
const FLAG_NAMES: Record<string, string> = { allowOrigins: 'allow-origin' };
const flagName = (option: string): string => FLAG_NAMES[option] ?? option.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const INT_OPTIONS = Object.keys(INT_OPTION_RANGES) as (keyof typeof INT_OPTION_RANGES)[];

const FLAGS = {
  transport: { type: 'string' },
  host: { type: 'string' },
  topics: { type: 'string' },
  encoding: { type: 'string' },
  token: { type: 'string' },
  'control-token': { type: 'string' },
  'allow-origin': { type: 'string' },
  ban: { type: 'string' },
  'mint-token': { type: 'string' },
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
    token: (flags.token as string | undefined) ?? secretFromEnv(TOKEN_ENV),
    controlToken: (flags['control-token'] as string | undefined) ?? secretFromEnv(CONTROL_TOKEN_ENV),
    allowOrigins: (flags['allow-origin'] as string | undefined)?.split(','),
    ban: (flags.ban as string | undefined)?.split(','),
  };
  for (const option of INT_OPTIONS) options[option] = intFlag(flagName(option), flags[flagName(option)] as string | undefined);
  return options;
}

/** A token handed over by environment (the bench does so: a command line is visible to every user in `ps`); read once, then removed. */
function secretFromEnv(name: string): string | undefined {
  const value = process.env[name];
  delete process.env[name];
  return value === '' ? undefined : value;
}

/** --mint-token TIME: 90s, 10m, 2h, 1500ms. */
function lifetimeMs(value: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(value.trim());
  if (match === null) throw new UsageError('BAD_FLAG', `--mint-token takes a lifetime such as 90s, 10m or 2h, got ${JSON.stringify(value)}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
}

function describeControlToken(flags: Flags, options: ServerOptionsInput, controlToken: string): string {
  if (options.controlToken !== undefined) return `the token given (${flags['control-token'] !== undefined ? '--control-token' : CONTROL_TOKEN_ENV})`;
  if (options.token !== undefined) return 'the same as the client token';
  return controlToken;
}

runMain(async () => {
  const flags: Flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (flags['mint-token'] !== undefined) {
    const secret = (flags.token as string | undefined) ?? secretFromEnv(TOKEN_ENV);
    if (secret === undefined) throw new UsageError('BAD_FLAG', `--mint-token signs with the server's token: give it as --token T or in ${TOKEN_ENV}`);
    const expiresAtMs = Date.now() + lifetimeMs(flags['mint-token'] as string);
    process.stdout.write(`${mintToken(secret, expiresAtMs)}\n`);
    process.stderr.write(`pushbench: a token for the server with that --token, valid until ${new Date(expiresAtMs).toISOString()}\n`);
    return;
  }
  if (flags.transport === undefined) throw new UsageError('BAD_FLAG', `--transport is required (one of ${TRANSPORTS.join(', ')})\n\n${USAGE}`);
  const input = serverOptions(flags);
  const server = await startServer(input).catch((err: unknown) => {
    // Options are validated by their API names; a CLI user typed flags, so name the flag.
    if (err instanceof UsageError) throw new UsageError(err.code, err.message.replace(/^option (\w+)/, (_m, name: string) => '--' + flagName(name)));
    throw err;
  });
  const topic = server.options.topics[0]!;
  const extra = server.baseUrls.slice(1);
  process.stdout.write(
    `pushbench ${server.transport} server listening\n  connect: ${server.connectUrl}?topic=${topic}\n` +
      (extra.length > 0 ? `  also on: ${extra.join(' ')}\n` : '') +
      `  stats:   ${server.baseUrl}/stats\n` +
      `  control: ${describeControlToken(flags, input, server.controlToken)} (PUT /feed, POST /drop, /ban, /unban and /stats?reset=1 take it as ?token=)\n`,
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

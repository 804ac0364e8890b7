/** `npm run conformance -- --target URL`: the transport contract suite against any server that follows docs/PROTOCOL.md. */
import { CHECKS } from '../conformance/checks/index.ts';
import { formatCount, formatHeader, formatResult } from '../conformance/report.ts';
import { checksFor, runChecks } from '../conformance/runner.ts';
import { DEFAULT_LIMITS, DEFAULT_TIMING, discoverTarget, type TargetOptions } from '../conformance/target.ts';
import { ENCODINGS, TRANSPORTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import { UsageError } from '../scenarios/errors.ts';
import { targetUrlProblem } from '../scenarios/target-url.ts';
import { intFlag, parseFlags, runMain } from './cli.ts';

const USAGE = `usage: npm run conformance -- --target URL [options]

Checks a running server against docs/PROTOCOL.md over the wire and prints, per behaviour and
encoding, PASS, FAIL (with what was wrong) or SKIP (with why), each with the section that requires
it. Exits 0 when every required behaviour passes, 1 when one fails, 2 for bad flags or a target
that does not answer. Run it against a server nobody else is using: it runs the feed (PUT /feed,
put back as found afterwards), drops connections (POST /drop) and reads the server's counters.

  --target URL              the server, http://host:port (required); its transport comes from /health
  --transport NAME          ${TRANSPORTS.join(', ')}: refuse a target that serves another
  --encoding LIST           data encodings to check (default ${ENCODINGS.join(',')})
  --token T                 the server's token; without one the token checks are skipped
  --topic NAME              a feed topic of the server (default: the first in its /stats, else ticks)
  --max-message-bytes N     the server's --max-message-bytes (default ${DEFAULT_LIMITS.maxMessageBytes})
  --max-buffered-bytes N    the server's --max-buffered-bytes (default ${DEFAULT_LIMITS.maxBufferedBytes})
  --poll-max-batch-bytes N  the server's --poll-max-batch-bytes (default ${DEFAULT_LIMITS.pollMaxBatchBytes})
  --timeout MS              longest wait for one expected event (default ${DEFAULT_TIMING.timeoutMs})
  --reconnect-delay MS      the clients' first reconnect delay; "never reconnects" is watched for 10 of them (default ${DEFAULT_TIMING.reconnectDelayMs})
  --checks LIST             run only these checks, by id (see --list)
  --list                    print every check (id, section, title) and exit
  --help                    this text`;

const FLAGS = {
  target: { type: 'string' },
  transport: { type: 'string' },
  encoding: { type: 'string' },
  token: { type: 'string' },
  topic: { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'max-buffered-bytes': { type: 'string' },
  'poll-max-batch-bytes': { type: 'string' },
  timeout: { type: 'string' },
  'reconnect-delay': { type: 'string' },
  checks: { type: 'string' },
  list: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new UsageError('BAD_FLAG', `--${flag} takes one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function positive(flag: string, value: string | undefined): number | undefined {
  const n = intFlag(flag, value);
  if (n !== undefined && n < 1) throw new UsageError('BAD_FLAG', `--${flag} takes a whole number of at least 1, got ${n}`);
  return n;
}

function targetUrl(value: string | undefined): string {
  if (value === undefined) throw new UsageError('BAD_FLAG', `--target URL is required: the server to check, e.g. --target http://127.0.0.1:8080\n\n${USAGE}`);
  const problem = targetUrlProblem(value);
  if (problem !== undefined) throw new UsageError('BAD_FLAG', `--target takes ${problem}, got ${JSON.stringify(value)}`);
  return new URL(value).origin;
}

function targetOptions(flags: Flags): TargetOptions {
  const limits = {
    maxMessageBytes: positive('max-message-bytes', flags['max-message-bytes']),
    maxBufferedBytes: positive('max-buffered-bytes', flags['max-buffered-bytes']),
    pollMaxBatchBytes: positive('poll-max-batch-bytes', flags['poll-max-batch-bytes']),
  };
  const timing = { timeoutMs: positive('timeout', flags.timeout), reconnectDelayMs: positive('reconnect-delay', flags['reconnect-delay']) };
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    baseUrl: targetUrl(flags.target),
    token: flags.token ?? null,
    ...(flags.transport === undefined ? {} : { transport: oneOf<TransportName>('transport', flags.transport, TRANSPORTS) }),
    ...(flags.topic === undefined ? {} : { topic: flags.topic }),
    ...(flags.encoding === undefined ? {} : { encodings: [...new Set(flags.encoding.split(','))].map((e) => oneOf<Encoding>('encoding', e, ENCODINGS)) }),
    limits: defined(limits),
    timing: defined(timing),
  };
}

function selectedChecks(list: string | undefined): typeof CHECKS {
  if (list === undefined) return CHECKS;
  const ids = list.split(',');
  const unknown = ids.filter((id) => !CHECKS.some((check) => check.id === id));
  if (unknown.length > 0) throw new UsageError('BAD_FLAG', `--checks names no check ${unknown.join(', ')}: the ids are ${CHECKS.map((c) => c.id).join(', ')}`);
  return CHECKS.filter((check) => ids.includes(check.id));
}

// `npm run conformance ... | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (flags.list) {
    for (const check of CHECKS) {
      const needs = check.needs === undefined ? '' : ` [needs ${check.needs.join(', ')}]`;
      process.stdout.write(`${check.id.padEnd(20)} ${check.section.padEnd(6)} ${check.title}${check.required ? '' : ' (optional)'}${needs}\n`);
    }
    return;
  }
  const options = targetOptions(flags);
  const checks = selectedChecks(flags.checks);
  const { target, restore } = await discoverTarget(options);
  if (checksFor(target.transport, checks).length === 0) {
    await restore();
    throw new UsageError('BAD_FLAG', `--checks ${flags.checks} names no check that applies to a ${target.transport} server: see --list`);
  }
  // Interrupted, the target still gets its feed back.
  process.once('SIGINT', () => void restore().finally(() => process.exit(130)));
  process.stdout.write(formatHeader(target) + '\n');
  const results = await runChecks(target, { checks, onResult: (result) => process.stdout.write(formatResult(result) + '\n') }).finally(restore);
  process.stdout.write(formatCount(results) + '\n');
  if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
});

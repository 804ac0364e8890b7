/**
 * `npm run bench` as a user runs it, but only up to validation: --help, and inputs that must be refused
 * (exit 2, nothing on stdout, `pushbench: <message> [CODE]` on stderr) before any server starts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROFILE_DEFAULTS } from '../../scenarios/bench-config.ts';
import { MAX_BROWSER_CLIENTS } from '../../scenarios/bench-config.ts';

// Each case spawns the bench, which loads all of it (about 1.7 s of CPU) once or twice, several cases at once:
// on a 2-core machine with other work running, vitest's default 20 s per test is not enough.
vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function bench(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], { cwd: ROOT, timeout: 45_000 }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, signal: null, stdout, stderr });
      if (typeof err.code === 'string') return reject(err); // could not start at all
      resolve({ code: err.code ?? null, signal: err.signal ?? null, stdout, stderr });
    });
  });
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pushbench-bench-cli-'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/**
 * Runs a case that must be refused. `--out` points into the temp dir so that, should a regression let a
 * case through to a real run, nothing lands in reports/ (the 45 s timeout then stops it with SIGTERM).
 */
async function refused(args: string[]): Promise<Run> {
  return bench([...args, '--out', path.join(dir, 'must-not-run')]);
}

function expectRefusal(run: Run, code: string, message: RegExp | string): void {
  expect(run.stdout).toBe('');
  expect(run.stderr).not.toContain('unexpected error');
  expect(run.stderr).toMatch(/^pushbench: /);
  expect(run.stderr.endsWith(`[${code}]\n`), `stderr should end with [${code}]:\n${run.stderr}`).toBe(true);
  if (typeof message === 'string') expect(run.stderr).toContain(message);
  else expect(run.stderr).toMatch(message);
  expect({ code: run.code, signal: run.signal }).toEqual({ code: 2, signal: null });
}

/** The flag names of the FLAGS object in scripts/bench.ts, read from the source so a new flag cannot hide from --help. */
async function flagNames(): Promise<string[]> {
  const source = await readFile(path.join(ROOT, 'scripts/bench.ts'), 'utf8');
  const block = /\nconst FLAGS = \{([\s\S]*?)\n\} as const;/.exec(source);
  expect(block, 'const FLAGS = { ... } as const; in scripts/bench.ts').not.toBeNull();
  return [...block![1]!.matchAll(/^\s*'?([a-z][a-z0-9-]*)'?\s*:\s*\{\s*type:/gm)].map((m) => m[1]!);
}

/** --help entries: a line starting with two spaces and --, plus its indented continuation lines. */
function helpEntries(usage: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string[] = [];
  let text = '';
  const flush = (): void => {
    for (const name of current) entries.set(name, text);
  };
  for (const line of usage.split('\n')) {
    if (/^ {2}--/.test(line)) {
      flush();
      current = [...line.matchAll(/(?:^ {2}| \/ )--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
      text = line;
    } else if (/^ {4,}\S/.test(line) && current.length > 0) text += '\n' + line;
    else {
      flush();
      current = [];
    }
  }
  flush();
  return entries;
}

describe('npm run bench --help', () => {
  it('exits 0 and documents every flag of FLAGS, with the defaults of both profiles', async () => {
    const [run, names] = await Promise.all([bench(['--help']), flagNames()]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^usage: npm run bench/);
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect(names).toEqual(expect.arrayContaining(['profile', 'connections', 'capacity', 'no-capacity', 'scenario-file', 'help']));

    const entries = helpEntries(run.stdout);
    const undocumented = names.filter((name) => !entries.has(name));
    expect(undocumented, 'flags in FLAGS without a --help entry').toEqual([]);
    const unknown = [...entries.keys()].filter((name) => !names.includes(name));
    expect(unknown, '--help entries for flags that FLAGS does not define').toEqual([]);
    for (const name of names) expect(entries.get(name)!.length, `--${name} has help text`).toBeGreaterThan(`  --${name}`.length + 5);

    const d = PROFILE_DEFAULTS.default;
    const q = PROFILE_DEFAULTS.quick;
    const defaults: Record<string, string> = {
      profile: 'default default',
      connections: `(default ${d.feed.subscribers} subscribers and ${d.chat.rooms * d.chat.membersPerRoom} members; quick ${q.feed.subscribers} and ${q.chat.rooms * q.chat.membersPerRoom})`,
      rooms: `default ${d.chat.rooms}; quick ${q.chat.rooms}`,
      'room-size': `default ${d.chat.membersPerRoom}`,
      rate: `default ${d.feed.ratePerSec}; quick ${q.feed.ratePerSec}`,
      'send-rate': `default ${d.chat.sendRatePerMember}`,
      'payload-bytes': `default ${d.feed.payloadBytes}`,
      encoding: `default ${d.encodings.join(',')}`,
      duration: `default ${d.durationMs}; quick ${q.durationMs} ms`,
      warmup: `default ${d.warmupMs}; quick ${q.warmupMs} ms`,
      capacity: 'default on',
      'capacity-scenarios': `default ${d.capacity.scenarios.join(',')}`,
      'capacity-steps': 'default none: search',
      'chat-capacity-steps': 'default none: search',
      'capacity-start': `default ${d.capacity.feedStartRate}`,
      'chat-capacity-start': `default ${d.capacity.chatStartRate}`,
      'capacity-max-rate': `default ${d.capacity.feedMaxRate}`,
      'chat-capacity-max-rate': `default ${d.capacity.chatMaxRate}`,
      'capacity-max-steps': `default ${d.capacity.maxSteps}; quick ${q.capacity.maxSteps}`,
      'capacity-resolution': `default ${d.capacity.resolution}`,
      'step-duration': `default ${d.capacity.stepDurationMs}; quick ${q.capacity.stepDurationMs} ms`,
      'slo-p99-ms': `default ${d.capacity.sloP99Ms}`,
      'slo-max-loss': `default ${d.capacity.sloMaxLoss}`,
      'capacity-axis': `default ${d.capacity.axis})`,
      'capacity-start-connections': `default ${d.capacity.startConnections}`,
      'capacity-max-connections': `default ${d.capacity.maxConnections}`,
      'capacity-conn-rate': `default ${d.capacity.connectionRate}`,
      workers: `default ${d.workers}`,
      'connect-rate': `default ${d.connectRatePerSec}`,
      out: `default ${d.out}`,
      repeat: `default ${d.repeat}`,
      pin: 'default off',
      'server-heap': 'default default',
    };
    for (const [name, text] of Object.entries(defaults)) expect(entries.get(name), `--${name} shows its default`).toContain(text);

    // --connections sizes feed and chat, so its entry is two lines: what it sets, then both defaults of both profiles.
    const [first, second, ...more] = entries.get('connections')!.split('\n');
    expect(first).toMatch(/^ {2}--connections N {2,}feed subscribers, and chat members in rooms of --room-size$/);
    expect(second).toMatch(/^ {4,}\(default \d+ subscribers and \d+ members; quick \d+ and \d+\)$/);
    expect(second!.trim()).toBe(`(default ${d.feed.subscribers} subscribers and ${d.chat.rooms * d.chat.membersPerRoom} members; quick ${q.feed.subscribers} and ${q.chat.rooms * q.chat.membersPerRoom})`);
    expect(second!.indexOf('(')).toBe(first!.indexOf('feed subscribers'));
    expect(more).toEqual([]);
  });
});

describe('npm run bench refuses bad flags with exit 2 and a message naming the flag and what it accepts', () => {
  it.concurrent.for<{ label: string; args: string[]; code: string; message: RegExp | string }>([
    { label: '--connections 0', args: ['--connections', '0'], code: 'BAD_OPTION', message: 'pushbench: --connections must be an integer from 1 to 20000, got 0 [BAD_OPTION]\n' },
    { label: '--connections 20001', args: ['--connections', '20001'], code: 'BAD_OPTION', message: '--connections must be an integer from 1 to 20000, got 20001' },
    { label: '--connections abc', args: ['--connections', 'abc'], code: 'BAD_FLAG', message: 'pushbench: --connections takes an integer from 1 to 20000, got "abc" [BAD_FLAG]\n' },
    { label: '--room-size 2.5', args: ['--room-size', '2.5'], code: 'BAD_FLAG', message: 'pushbench: --room-size takes an integer from 2 to 1000, got "2.5" [BAD_FLAG]\n' },
    { label: '--workers x', args: ['--workers', 'x'], code: 'BAD_FLAG', message: 'pushbench: --workers takes an integer from 0 to 64, got "x" [BAD_FLAG]\n' },
    { label: '--capacity-steps 100,abc', args: ['--capacity-steps', '100,abc'], code: 'BAD_FLAG', message: 'pushbench: --capacity-steps takes 1 to 20 increasing integers from 1 to 100000, got "abc" [BAD_FLAG]\n' },
    { label: '--clients 0', args: ['--clients', '0'], code: 'BAD_OPTION', message: '--clients must be an integer from 1 to 20000, got 0' },
    { label: '--transports ws,carrier-pigeon', args: ['--transports', 'ws,carrier-pigeon'], code: 'BAD_OPTION', message: '--transports must be a non-empty list of distinct values from ws, sse, long-poll, got ["ws","carrier-pigeon"]' },
    { label: '--transports ws,ws', args: ['--transports', 'ws,ws'], code: 'BAD_OPTION', message: '--transports must be a non-empty list of distinct values from ws, sse, long-poll, got ["ws","ws"]' },
    { label: '--duration "5 parsecs"', args: ['--duration', '5 parsecs'], code: 'BAD_FLAG', message: '--duration takes a duration such as 5s, 1500ms or 2m, got "5 parsecs"' },
    { label: '--duration 5 parsecs', args: ['--duration', '5', 'parsecs'], code: 'BAD_FLAG', message: /^pushbench: Unexpected argument 'parsecs'\. This command does not take positional arguments\n[\s\S]*--duration TIME/ },
    { label: '--duration 100ms', args: ['--duration', '100ms'], code: 'BAD_OPTION', message: '--duration must be a duration from 0.5 s to 3600 s (in ms: an integer from 500 to 3600000), got 100' },
    { label: '--profile huge', args: ['--profile', 'huge'], code: 'BAD_OPTION', message: '--profile must be one of quick, default, got "huge"' },
    { label: '--capacity --no-capacity', args: ['--capacity', '--no-capacity'], code: 'BAD_FLAG', message: 'pushbench: give --capacity or --no-capacity, not both [BAD_FLAG]\n' },
    { label: '--unknown-flag', args: ['--unknown-flag'], code: 'BAD_FLAG', message: /^pushbench: Unknown option '--unknown-flag'[\s\S]*usage: npm run bench[\s\S]*--connections N/ },
    { label: '--rate -5', args: ['--rate', '-5'], code: 'BAD_FLAG', message: /^pushbench: Option '--rate' argument is ambiguous\.[\s\S]*'--rate=-XYZ'/ },
    { label: '--rate=-5', args: ['--rate=-5'], code: 'BAD_FLAG', message: 'pushbench: --rate takes an integer from 1 to 100000, got "-5" [BAD_FLAG]\n' },
    { label: '--rate 0', args: ['--rate', '0'], code: 'BAD_OPTION', message: '--rate must be an integer from 1 to 100000, got 0' },
    { label: '--encoding xml', args: ['--encoding', 'xml'], code: 'BAD_OPTION', message: '--encoding must be a non-empty list of distinct values from json, binary, got ["xml"]' },
    { label: '--capacity-axis sideways', args: ['--capacity-axis', 'sideways'], code: 'BAD_OPTION', message: 'pushbench: --capacity-axis must be one of rate, connections, got "sideways" [BAD_OPTION]\n' },
    { label: '--capacity-max-connections 20001', args: ['--capacity-max-connections', '20001'], code: 'BAD_OPTION', message: '--capacity-max-connections must be an integer from 1 to 20000, got 20001' },
    { label: '--capacity-conn-rate x', args: ['--capacity-conn-rate', 'x'], code: 'BAD_FLAG', message: 'pushbench: --capacity-conn-rate takes an integer from 1 to 1000, got "x" [BAD_FLAG]\n' },
    { label: '--capacity-start-connections 5000 --capacity-max-connections 4000', args: ['--capacity-start-connections', '5000', '--capacity-max-connections', '4000'], code: 'BAD_OPTION', message: 'pushbench: --capacity-start-connections (5000) must not exceed --capacity-max-connections (4000): lower the start or raise the maximum [BAD_OPTION]\n' },
    { label: '--capacity-steps 300,200', args: ['--capacity-steps', '300,200'], code: 'BAD_OPTION', message: '--capacity-steps must be 1 to 20 increasing integers from 1 to 100000, got [300,200]' },
    { label: '--rooms 2001 --room-size 10', args: ['--rooms', '2001', '--room-size', '10'], code: 'BAD_OPTION', message: 'chat would open 20010 connections (2001 rooms x 10 members); at most 20000: lower chat.rooms or chat.membersPerRoom (--rooms, --room-size, --connections)' },
    { label: '--target https://…', args: ['--target', 'https://127.0.0.1:8443'], code: 'BAD_OPTION', message: '--target must be an http://host:port URL of the server (no path: the lab adds /ws, /sse, /poll), got "https://127.0.0.1:8443"' },
    { label: '--repeat 0', args: ['--repeat', '0'], code: 'BAD_OPTION', message: 'pushbench: --repeat must be an integer from 1 to 20, got 0 [BAD_OPTION]\n' },
    { label: '--repeat x', args: ['--repeat', 'x'], code: 'BAD_FLAG', message: 'pushbench: --repeat takes an integer from 1 to 20, got "x" [BAD_FLAG]\n' },
    { label: '--repeat 21', args: ['--repeat', '21'], code: 'BAD_OPTION', message: '--repeat must be an integer from 1 to 20, got 21' },
    { label: '--server-heap huge', args: ['--server-heap', 'huge'], code: 'BAD_OPTION', message: 'pushbench: --server-heap must be one of default, lean, got "huge" [BAD_OPTION]\n' },
    { label: '--pin maybe', args: ['--pin', 'maybe'], code: 'BAD_FLAG', message: 'pushbench: --pin takes on or off, got "maybe" [BAD_FLAG]\n' },
    { label: '--target with a path', args: ['--target', 'http://127.0.0.1:8080/ws'], code: 'BAD_OPTION', message: '--target must be an http://host:port URL of the server (no path' },
  ])('$label', async ({ args, code, message }) => {
    expectRefusal(await refused(args), code, message);
  });
});

describe('npm run bench checks its paths before any work: exit 2 and one line, before any progress (so before any server or worker)', () => {
  it.concurrent.for<{ label: string; args: string[]; code: string; message: string }>([
    // /proc: Node's recursive mkdir spun there forever, after the bench had printed where its results would go.
    { label: '--out /proc/forbidden', args: ['--out', '/proc/forbidden'], code: 'BAD_PATH', message: "pushbench: --out /proc/forbidden is on /proc, a kernel file system, not storage for the lab's files: pass a folder on a disk instead [BAD_PATH]\n" },
    { label: '--out /sys/forbidden', args: ['--out', '/sys/forbidden'], code: 'BAD_PATH', message: "pushbench: --out /sys/forbidden is on /sys, a kernel file system, not storage for the lab's files: pass a folder on a disk instead [BAD_PATH]\n" },
    { label: '--out /etc/passwd/sub (an ancestor is a file)', args: ['--out', '/etc/passwd/sub'], code: 'BAD_PATH', message: 'pushbench: --out /etc/passwd/sub is below /etc/passwd, which is a file, not a folder: pass a path whose parents are folders [BAD_PATH]\n' },
    { label: '--scenario-file /nonexistent', args: ['--scenario-file', '/nonexistent', '--out', path.join(os.tmpdir(), 'pushbench-must-not-run')], code: 'BAD_SCENARIO', message: 'pushbench: --scenario-file /nonexistent does not exist: check the path, or pass the path of a JSON file of options [BAD_SCENARIO]\n' },
  ])('$label', async ({ args, code, message }) => {
    // A hang (as /proc did) is stopped by bench()'s 45 s timeout and fails the exit-code check.
    const run = await bench(args);
    expectRefusal(run, code, message);
    expect(run.stderr).toBe(message);
  });
});

describe('npm run bench: --connections N sizes chat as N members in rooms of --room-size, then the cap applies', () => {
  it.concurrent('--connections 1000 --room-size 1000 --rate 0: one room of 1000 passes; only --rate is refused', async () => {
    const run = await refused(['--connections', '1000', '--room-size', '1000', '--rate', '0']);
    expectRefusal(run, 'BAD_OPTION', 'pushbench: --rate must be an integer from 1 to 100000, got 0 [BAD_OPTION]\n');
    expect(run.stderr).toBe('pushbench: --rate must be an integer from 1 to 100000, got 0 [BAD_OPTION]\n');
    expect(run.stderr).not.toContain('chat');
  });

  it.concurrent('--connections 1000 --room-size 1000 gets past every config check (to the unreachable --target)', async () => {
    // Port 1 on loopback: nothing listens there, so the run stops at its first step, before any server or worker starts.
    const run = await refused(['--connections', '1000', '--room-size', '1000', '--target', 'http://127.0.0.1:1']);
    expectRefusal(run, 'TARGET_UNREACHABLE', 'pushbench: cannot reach --target http://127.0.0.1:1 (');
    expect(run.stderr).not.toContain('chat');
  });

  it.concurrent('--connections 20000 --room-size 3 is refused: 6667 rooms x 3 members is one connection too many', async () => {
    expectRefusal(
      await refused(['--connections', '20000', '--room-size', '3']),
      'BAD_OPTION',
      'pushbench: chat would open 20001 connections (6667 rooms x 3 members); at most 20000: lower chat.rooms or chat.membersPerRoom (--rooms, --room-size, --connections) [BAD_OPTION]\n',
    );
  });

  it.concurrent('--rooms wins over --connections: 2001 rooms of 10 are refused whatever --connections says', async () => {
    expectRefusal(await refused(['--connections', '100', '--rooms', '2001']), 'BAD_OPTION', 'chat would open 20010 connections (2001 rooms x 10 members)');
  });
});

describe('npm run bench --scenario-file refusals name the file and the problem', () => {
  const file = async (name: string, content: string): Promise<string> => {
    const full = path.join(dir, name);
    await writeFile(full, content);
    return full;
  };

  it.concurrent.for<{ label: string; name: string; content: string | null; code: string; message: (file: string) => string[]; absent?: string[] }>([
    { label: 'a missing file', name: 'missing.json', content: null, code: 'BAD_SCENARIO', message: (f) => [`pushbench: --scenario-file ${f} does not exist: check the path, or pass the path of a JSON file of options [BAD_SCENARIO]\n`] },
    { label: 'invalid JSON', name: 'broken.json', content: '{"feed": {"subscribers": 10}', code: 'BAD_SCENARIO', message: (f) => [`pushbench: --scenario-file ${f} is not valid JSON (`, '): it must be one JSON object of options, see --help [BAD_SCENARIO]'] },
    { label: 'a JSON array', name: 'array.json', content: '[{"durationMs": 1000}]', code: 'BAD_SCENARIO', message: (f) => [`pushbench: scenario file ${f} must be a JSON object of options, such as {"feed": {"subscribers": 1000}} [BAD_SCENARIO]`] },
    {
      label: 'an unknown key (lists the top-level keys, groups by their name)',
      name: 'unknown.json',
      content: '{"feed": {"subscribers": 10}, "durations": 5000}',
      code: 'UNKNOWN_OPTION',
      message: (f) => [`pushbench: unknown option "durations" in scenario file ${f}; accepted: profile, transports,`, 'durationMs', 'feed, chat,', 'capacity,'],
      absent: ['feed.subscribers', 'chat.rooms', 'capacity.enabled'],
    },
    { label: 'an unknown nested key (lists its group)', name: 'nested-unknown.json', content: '{"feed": {"subscriber": 10}}', code: 'UNKNOWN_OPTION', message: (f) => [`pushbench: unknown option "feed.subscriber" in scenario file ${f}; accepted: feed.subscribers, feed.ratePerSec, feed.payloadBytes [UNKNOWN_OPTION]`], absent: ['durationMs'] },
    { label: 'a flat dotted key {"feed.subscribers": 7}', name: 'dotted.json', content: '{"feed.subscribers": 7}', code: 'UNKNOWN_OPTION', message: (f) => [`pushbench: unknown option "feed.subscribers" in scenario file ${f}: write {"feed": {"subscribers": ...}} [UNKNOWN_OPTION]\n`] },
    {
      label: 'an unknown dotted key {"nope.x": 1}',
      name: 'dotted-unknown.json',
      content: '{"nope.x": 1}',
      code: 'UNKNOWN_OPTION',
      message: (f) => [
        `pushbench: unknown option "nope.x" in scenario file ${f}; accepted: profile, transports, scenarios, clients, encodings, feed, chat, browser, warmupMs, durationMs, drainMaxMs, capacity, connectRatePerSec, maxConnectsInFlight, workers, target, token, out, json, repeat, pin, serverHeap [UNKNOWN_OPTION]\n`,
      ],
    },
    { label: 'an out-of-range nested value', name: 'range.json', content: '{"feed": {"subscribers": 20001}}', code: 'BAD_OPTION', message: (f) => [`pushbench: option "feed.subscribers" (scenario file ${f}) must be an integer from 1 to 20000, got 20001 [BAD_OPTION]`] },
    { label: 'a nested option that is not an object', name: 'nested-number.json', content: '{"capacity": true}', code: 'BAD_SCENARIO', message: (f) => [`pushbench: option "capacity" (scenario file ${f}) must be an object with keys enabled, scenarios, feedRates,`] },
    { label: 'an empty file', name: 'empty.json', content: '', code: 'BAD_SCENARIO', message: (f) => [`--scenario-file ${f} is not valid JSON (`] },
  ])('$label', async ({ name, content, code, message, absent = [] }) => {
    const full = content === null ? path.join(dir, name) : await file(name, content);
    const run = await refused(['--scenario-file', full]);
    expectRefusal(run, code, message(full)[0]!);
    for (const part of message(full)) expect(run.stderr).toContain(part);
    for (const part of absent) expect(run.stderr).not.toContain(part);
  });

  it.concurrent('a valid file does not hide a bad flag: the flag is named', async () => {
    const full = await file('valid.json', '{"feed": {"subscribers": 5000}, "durationMs": 10000}');
    expectRefusal(await refused(['--scenario-file', full, '--rate', '0']), 'BAD_OPTION', 'pushbench: --rate must be an integer from 1 to 100000, got 0 [BAD_OPTION]\n');
  });

  it.concurrent('counts chat connections over the merged file and flags', async () => {
    const full = await file('rooms.json', '{"chat": {"rooms": 1000}}');
    expectRefusal(await refused(['--scenario-file', full, '--room-size', '21']), 'BAD_OPTION', 'chat would open 21000 connections');
  });

  // Every layer is validated before the profile is looked up, so a bad --profile next to a file is a refusal, not a crash.
  it.concurrent('an unknown --profile next to a scenario file is refused like without one', async () => {
    const full = await file('profile.json', '{"durationMs": 10000}');
    expectRefusal(await refused(['--scenario-file', full, '--profile', 'huge']), 'BAD_OPTION', 'pushbench: --profile must be one of quick, default, got "huge" [BAD_OPTION]\n');
  });

  it.concurrent('a valid file with a profile of its own and an unknown --profile: the flag is refused', async () => {
    const full = await file('profile-quick.json', '{"profile": "quick"}');
    expectRefusal(await refused(['--scenario-file', full, '--profile', 'huge']), 'BAD_OPTION', 'pushbench: --profile must be one of quick, default, got "huge" [BAD_OPTION]\n');
  });
});

describe('npm run bench browser flags: --no-browser, --browser-clients, and --connections with --clients browser', () => {
  const UNREACHABLE = ['--target', 'http://127.0.0.1:1'];
  const file = async (name: string, content: string): Promise<string> => {
    const full = path.join(dir, name);
    await writeFile(full, content);
    return full;
  };

  it('--help documents --no-browser and --browser-clients with its range and defaults', async () => {
    const run = await bench(['--help']);
    expect(run.code).toBe(0);
    const entries = helpEntries(run.stdout);
    expect(entries.get('no-browser')).toMatch(/skip the browser clients/);
    const d = PROFILE_DEFAULTS.default;
    const entry = entries.get('browser-clients')!;
    expect(entry).toContain(`1 to ${MAX_BROWSER_CLIENTS}`);
    expect(entry).toContain(`(default ${d.browser.feedSubscribers} and ${d.browser.chatRooms * d.browser.chatMembersPerRoom};`);
    expect(entries.get('clients')).toContain(`default node,browser; quick node`);
  });

  it.concurrent.for<{ label: string; args: string[]; code: string; message: string }>([
    { label: '--no-browser --clients browser', args: ['--no-browser', '--clients', 'browser'], code: 'BAD_FLAG', message: 'pushbench: --no-browser contradicts --clients naming browser: drop one of them [BAD_FLAG]\n' },
    { label: '--no-browser --clients browser,node', args: ['--no-browser', '--clients', 'browser,node'], code: 'BAD_FLAG', message: 'pushbench: --no-browser contradicts --clients naming browser: drop one of them [BAD_FLAG]\n' },
    { label: '--browser-clients 0', args: ['--browser-clients', '0'], code: 'BAD_OPTION', message: `pushbench: --browser-clients must be an integer from 1 to ${MAX_BROWSER_CLIENTS}, got 0 [BAD_OPTION]\n` },
    { label: '--browser-clients 5000', args: ['--browser-clients', '5000'], code: 'BAD_OPTION', message: `pushbench: --browser-clients must be an integer from 1 to ${MAX_BROWSER_CLIENTS}, got 5000 [BAD_OPTION]\n` },
    { label: '--browser-clients abc', args: ['--browser-clients', 'abc'], code: 'BAD_FLAG', message: `pushbench: --browser-clients takes an integer from 1 to ${MAX_BROWSER_CLIENTS}, got "abc" [BAD_FLAG]\n` },
    // --connections sizes browser clients when --clients names browser: the browser cap applies to it.
    { label: '--clients browser --connections 1001', args: ['--clients', 'browser', '--connections', '1001'], code: 'BAD_OPTION', message: `pushbench: --connections must be an integer from 1 to ${MAX_BROWSER_CLIENTS}, got 1001 [BAD_OPTION]\n` },
    { label: '--clients node,browser --connections 5000', args: ['--clients', 'node,browser', '--connections', '5000'], code: 'BAD_OPTION', message: `pushbench: --connections must be an integer from 1 to ${MAX_BROWSER_CLIENTS}, got 5000 [BAD_OPTION]\n` },
  ])('$label', async ({ args, code, message }) => {
    const run = await refused(args);
    expectRefusal(run, code, message);
    expect(run.stderr).toBe(message);
  });

  it.concurrent.for<{ label: string; args: string[] }>([
    // Without --clients naming browser, --connections leaves the (modest) browser run alone: 5000 is fine.
    { label: '--connections 5000 (default profile: node and browser)', args: ['--connections', '5000'] },
    { label: '--clients node --connections 5000', args: ['--clients', 'node', '--connections', '5000'] },
    { label: '--clients 5000 (a number names no kind)', args: ['--clients', '5000'] },
    // --browser-clients wins over --connections for the browser clients.
    { label: '--clients browser --connections 5000 --browser-clients 10', args: ['--clients', 'browser', '--connections', '5000', '--browser-clients', '10'] },
    { label: '--browser-clients 1000 (the top of the range; chat: 100 rooms of 10)', args: ['--browser-clients', '1000'] },
    { label: '--no-browser --clients node', args: ['--no-browser', '--clients', 'node'] },
    { label: '--no-browser with the default profile', args: ['--no-browser'] },
  ])('$label gets past every config check (to the unreachable --target)', async ({ args }) => {
    const run = await refused([...args, ...UNREACHABLE]);
    expectRefusal(run, 'TARGET_UNREACHABLE', 'pushbench: cannot reach --target http://127.0.0.1:1 (');
  });

  it.concurrent('a scenario file with browser.clientsPerPage 0 is refused naming the option, the file and the range', async () => {
    const full = await file('browser-page.json', '{"browser":{"clientsPerPage":0}}');
    const run = await refused(['--scenario-file', full]);
    expectRefusal(run, 'BAD_OPTION', `pushbench: option "browser.clientsPerPage" (scenario file ${full}) must be an integer from 1 to 200, got 0 [BAD_OPTION]\n`);
  });

  it.concurrent('a scenario file with an unknown browser key lists the browser keys', async () => {
    const full = await file('browser-unknown.json', '{"browser":{"pages":2}}');
    expectRefusal(await refused(['--scenario-file', full]), 'UNKNOWN_OPTION', `pushbench: unknown option "browser.pages" in scenario file ${full}; accepted: browser.feedSubscribers, browser.chatRooms,`);
  });

  it.concurrent('browser chat above the cap is refused: a file with 11 rooms of 91', async () => {
    const full = await file('browser-chat.json', '{"browser":{"chatRooms":11,"chatMembersPerRoom":91}}');
    expectRefusal(
      await refused(['--scenario-file', full]),
      'BAD_OPTION',
      `pushbench: browser chat would open 1001 clients (11 rooms x 91 members); at most ${MAX_BROWSER_CLIENTS}: lower --browser-clients (or --connections with --clients browser), browser.chatRooms or browser.chatMembersPerRoom [BAD_OPTION]\n`,
    );
  });

  it.concurrent('--browser-clients sizes browser chat in rooms of browser.chatMembersPerRoom, then the cap applies (1000 in rooms of 7: 143 x 7)', async () => {
    const full = await file('browser-seven.json', '{"browser":{"chatMembersPerRoom":7}}');
    expectRefusal(await refused(['--scenario-file', full, '--browser-clients', '1000']), 'BAD_OPTION', `browser chat would open 1001 clients (143 rooms x 7 members); at most ${MAX_BROWSER_CLIENTS}`);
    // 994 in rooms of 7 is 142 rooms, 994 clients: within the cap.
    expectRefusal(await refused(['--scenario-file', full, '--browser-clients', '994', ...UNREACHABLE]), 'TARGET_UNREACHABLE', 'cannot reach --target');
  });

  it.concurrent('--no-browser leaving no client kind is refused', async () => {
    const full = await file('browser-only.json', '{"clients":["browser"]}');
    expectRefusal(await refused(['--scenario-file', full, '--no-browser']), 'BAD_FLAG', 'pushbench: --no-browser leaves no client kind to run: use --clients node [BAD_FLAG]\n');
  });

  // --no-browser drops browser clients before the checks about them: a browser size it makes irrelevant does not refuse the run.
  it('--no-browser with an oversized browser chat in the scenario file still runs the Node clients', async () => {
    const full = await file('browser-big.json', '{"browser":{"chatRooms":100,"chatMembersPerRoom":100}}');
    expectRefusal(await refused(['--scenario-file', full, '--no-browser', ...UNREACHABLE]), 'TARGET_UNREACHABLE', 'cannot reach --target');
  });
});

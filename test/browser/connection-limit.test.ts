/**
 * The connections-per-origin finding in a real Chromium against a real sse server on two ports:
 * 6 streams open to one origin, the 7th waits for one of them to close, and spread over two origins
 * all 7 open. The finding must fit the results schema, and Chromium must be gone afterwards whatever
 * happened, which the test proves through the pid and profile folder of every browser launched.
 */
import { readFileSync, readdirSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { measureConnectionLimit } from '../../clients/browser/connection-limit.ts';
import type { ConnectionLimitFinding } from '../../metrics/result-types.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import { isAlive } from '../support/bench-run.ts';

const launched = vi.hoisted(() => [] as { pid: number; profile: string }[]);

vi.mock('../../clients/browser/chromium.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../clients/browser/chromium.ts')>();
  return {
    ...actual,
    async launchChromium() {
      const chromium = await actual.launchChromium();
      const child = chromium.browser.process();
      const profile = child?.spawnargs.find((arg) => arg.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
      if (child?.pid === undefined || profile === undefined) throw new Error('the test cannot see the Chromium it launched');
      launched.push({ pid: child.pid, profile });
      return chromium;
    },
  };
});

// ajv is CommonJS: see metrics/results-io.ts.
type Ajv2020Class = typeof Ajv2020Module.default;
const Ajv2020: Ajv2020Class = (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class);

function findingValidator(): (value: unknown) => string[] {
  const schema = JSON.parse(readFileSync(new URL('../../metrics/results.schema.json', import.meta.url), 'utf8')) as { $id: string };
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictNumbers: true });
  ajv.addSchema(schema);
  const validate = ajv.getSchema(`${schema.$id}#/$defs/connectionLimitFinding`);
  if (validate === undefined) throw new Error('no connectionLimitFinding in the results schema');
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? e.keyword}`));
}
const validateFinding = findingValidator();

/** Any process, ours or orphaned, still running with that profile folder on its command line. */
function processesUsing(profile: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(profile)) found.push(Number(name));
    } catch {
      // Gone while listing.
    }
  }
  return found;
}

afterEach(() => {
  expect(launched.length, 'no Chromium was launched').toBeGreaterThan(0);
  for (const { pid, profile } of launched.splice(0)) {
    expect(isAlive(pid), 'Chromium is still running').toBe(false);
    expect(processesUsing(profile), 'a Chromium process outlived the browser').toEqual([]);
  }
});

async function withServer<T>(token: string | undefined, body: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer({ transport: 'sse', port: 0, feedRate: 0, extraPorts: 1, ...(token === undefined ? {} : { token }) });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

function expectLimitShown(finding: ConnectionLimitFinding): void {
  expect(validateFinding(finding)).toEqual([]);
  expect(finding).toMatchObject({ kind: 'connections-per-origin', transport: 'sse', attempted: 7, openedAtOnce: 6, waitMs: 1500 });
  expect(finding.browserVersion).toMatch(/\d+\.\d+\.\d+/);
  expect(finding.openMs).toHaveLength(7);
  // The first 6 open at once; the 7th only opens after the close, so its time from creation
  // includes the whole first wait.
  for (const ms of finding.openMs.slice(0, 6)) {
    expect(ms).not.toBeNull();
    expect(ms!).toBeLessThan(1000);
  }
  expect(finding.openMs[6]).not.toBeNull();
  expect(finding.openMs[6]!).toBeGreaterThanOrEqual(finding.waitMs);
  expect(finding.waitingOpenedAfterCloseMs).not.toBeNull();
  expect(finding.waitingOpenedAfterCloseMs!).toBeLessThan(1000);
  expect(finding.openMs[6]!).toBeGreaterThanOrEqual(finding.waitMs + finding.waitingOpenedAfterCloseMs! - 1);
  expect(finding.spread).toEqual({ streams: 7, origins: 2, opened: 7 });
}

describe('connections-per-origin finding', () => {
  it('shows 6 streams per origin, the 7th waiting for a close, and all 7 open when spread over two origins', { timeout: 30_000 }, async () => {
    const finding = await withServer(undefined, async (server) => {
      expect(server.baseUrls).toHaveLength(2);
      return measureConnectionLimit({ baseUrls: server.baseUrls, token: null });
    });
    expectLimitShown(finding);
  });

  it('passes the token to a server that requires one', { timeout: 30_000 }, async () => {
    const finding = await withServer('secret', (server) => measureConnectionLimit({ baseUrls: server.baseUrls, token: 'secret' }));
    expectLimitShown(finding);
  });

  it('rejects with the reason when the server refuses the streams, and still closes Chromium', { timeout: 30_000 }, async () => {
    await withServer('secret', async (server) => {
      await expect(measureConnectionLimit({ baseUrls: server.baseUrls, token: 'wrong' })).rejects.toThrow(/refused 7 stream\(s\).*token/);
    });
  });

  it('has no spread with a single origin', { timeout: 30_000 }, async () => {
    const finding = await withServer(undefined, (server) => measureConnectionLimit({ baseUrls: server.baseUrls.slice(0, 1), token: null, streams: 7, waitMs: 800 }));
    expect(validateFinding(finding)).toEqual([]);
    expect(finding).toMatchObject({ attempted: 7, openedAtOnce: 6, waitMs: 800, spread: null });
  });
});

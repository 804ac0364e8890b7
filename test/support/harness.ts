/** Test helpers: real servers on port 0 in this process, clients that record what they receive, and waiting. */
import { createClient } from '../../clients/create-client.ts';
import type { ClientOptions } from '../../clients/client.ts';
import { record, type Recorder } from '../../conformance/recorder.ts';
import type { Encoding, TransportName } from '../../scenarios/constants.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import type { ServerOptionsInput } from '../../servers/options.ts';

// Written once for the conformance runner (production code), shared with the tests.
export { waitFor } from '../../conformance/wait.ts';
export { range, record, type Recorder } from '../../conformance/recorder.ts';

export async function startTestServer(transport: TransportName, overrides: Partial<ServerOptionsInput> = {}): Promise<RunningServer> {
  return startServer({ transport, port: 0, feedRate: 0, heartbeatMs: 60_000, ...overrides });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function makeClient(server: RunningServer, encoding: Encoding, options: Partial<ClientOptions> = {}): Recorder {
  return record(createClient(server.transport, { url: server.baseUrl, encoding, reconnect: false, ...options }));
}

/** Publishes `count` feed messages in bursts of `burst`, yielding to the loop between bursts. */
export async function publishMany(server: RunningServer, count: number, burst = 10, topic = 'ticks', payload = Buffer.from('tick')): Promise<void> {
  for (let sent = 0; sent < count; ) {
    for (let i = 0; i < burst && sent < count; i++, sent++) server.hub.publish(topic, payload);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Closes clients and server whatever happened in the test. */
export class Cleanup {
  private readonly tasks: (() => Promise<unknown>)[] = [];
  add<T extends { close(): Promise<unknown> }>(thing: T): T {
    this.tasks.push(() => thing.close());
    return thing;
  }
  async run(): Promise<void> {
    await Promise.allSettled(this.tasks.splice(0).reverse().map((task) => task()));
  }
}

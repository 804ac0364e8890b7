/** Test helpers: real servers on port 0, clients that record what they receive, and waiting. */
import { createClient } from '../../clients/create-client.ts';
import type { ClientOptions, PushClient } from '../../clients/client.ts';
import type { Encoding, TransportName } from '../../scenarios/constants.ts';
import type { ControlMessage, Envelope } from '../../scenarios/envelope.ts';
import { startServer, type RunningServer } from '../../servers/server.ts';
import type { ServerOptionsInput } from '../../servers/options.ts';

export async function startTestServer(transport: TransportName, overrides: Partial<ServerOptionsInput> = {}): Promise<RunningServer> {
  return startServer({ transport, port: 0, feedRate: 0, heartbeatMs: 60_000, ...overrides });
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A client with everything it received, in order. */
export interface Recorder {
  client: PushClient;
  messages: Envelope[];
  controls: ControlMessage[];
  seqs(channel: string): number[];
}

export function record(client: PushClient): Recorder {
  const recorder: Recorder = {
    client,
    messages: [],
    controls: [],
    seqs: (channel) => recorder.messages.filter((m) => m.channel === channel).map((m) => m.seq),
  };
  client.on('message', (m) => recorder.messages.push(m));
  client.on('control', (c) => recorder.controls.push(c));
  return recorder;
}

export function makeClient(server: RunningServer, encoding: Encoding, options: Partial<ClientOptions> = {}): Recorder {
  return record(createClient(server.transport, { url: server.baseUrl, encoding, reconnect: false, ...options }));
}

export function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
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

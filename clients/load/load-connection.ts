/**
 * The load runner's connections: one interface, one thin adapter per transport. Unlike the
 * library clients (clients/client.ts) they build no envelope per message: each data message is
 * peeked (scenarios/peek.ts) and handed to the sink with the time its bytes were read, so the
 * client stays far from being the bottleneck it measures.
 */
import { Pool } from 'undici';
import { encodeClient } from '../../scenarios/codec.ts';
import { connectQuery } from '../../scenarios/connect-query.ts';
import { PATHS, type Encoding, type TransportName } from '../../scenarios/constants.ts';
import type { EndCause } from '../../metrics/integrity.ts';
import type { PeekedData } from '../../scenarios/peek.ts';
import type { ConnectionSpec } from '../../scenarios/scenario.ts';
import { SocketBytes } from '../../scenarios/socket-bytes.ts';
import { countingConnector } from '../byte-counter.ts';

/** Who one connection is and what it joins, as the scenario modules plan it. */
export type LoadConnectionSpec = ConnectionSpec;

export interface LoadEndpoint {
  transport: TransportName;
  /** http://host:port of the server. */
  baseUrl: string;
  encoding: Encoding;
  token: string | null;
}

/** Where connections report; the recorder implements it. */
export interface LoadSink {
  data(connection: LoadConnection, message: PeekedData, receivedAtUs: number): void;
  /** A protocol error message, undecodable data, or a failed send. */
  problem(connection: LoadConnection, kind: 'decode' | 'server-error' | 'send', detail: string): void;
  /** An open connection ended without the runner asking; `cause`: how (the server cut it, with its code, or it failed), unknown meaning failed. */
  lost(connection: LoadConnection, detail: string, cause?: EndCause): void;
}

export interface LoadConnection {
  readonly spec: LoadConnectionSpec;
  /** Per-connection state owned by the recorder. */
  slot: unknown;
  /** Resolves when the connection can receive (WS open, SSE response head, first poll answered). */
  open(): Promise<void>;
  /** Sends one chat message; failures go to the sink. */
  send(room: string, mid: number, payload: string): void;
  close(): Promise<void>;
  /** Bytes at this connection's own sockets (sends over the shared POST pool are counted there). */
  bytes(): { read: number; written: number };
}

/** What the connections of one worker share: the endpoint, the sink, and one POST pool. */
export class LoadContext {
  readonly postBytes = new SocketBytes();
  private postPool: Pool | undefined;

  constructor(
    readonly endpoint: LoadEndpoint,
    readonly sink: LoadSink,
  ) {}

  connectQuery(spec: LoadConnectionSpec, withClientId: boolean): URLSearchParams {
    return connectQuery({ topics: spec.topics, rooms: spec.rooms, client: withClientId ? spec.id : undefined, encoding: this.endpoint.encoding, token: this.endpoint.token });
  }

  /** POST /messages for SSE and long-poll sends, over a keep-alive pool shared by the worker. `key`: SSE, the stream's (§6.4). */
  post(connection: LoadConnection, room: string, mid: number, payload: string, key?: string): void {
    this.postPool ??= new Pool(this.endpoint.baseUrl, { connections: 32, pipelining: 1, connect: countingConnector(this.postBytes) });
    const body = encodeClient({ type: 'send', room, mid, payload: this.endpoint.encoding === 'binary' ? Buffer.from(payload) : payload }, this.endpoint.encoding);
    const query = new URLSearchParams({ client: connection.spec.id });
    if (key !== undefined) query.set('key', key);
    if (this.endpoint.token !== null) query.set('token', this.endpoint.token);
    this.postPool
      .request({
        path: `${PATHS.messages}?${query.toString()}`,
        method: 'POST',
        headers: { 'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' },
        body,
      })
      .then(async (response) => {
        const text = await response.body.text();
        if (response.statusCode !== 204) this.sink.problem(connection, 'send', `POST /messages answered ${response.statusCode}: ${text.slice(0, 200)}`);
      })
      .catch((err: Error) => this.sink.problem(connection, 'send', `POST /messages failed: ${err.message}`));
  }

  async close(): Promise<void> {
    await this.postPool?.destroy();
  }
}

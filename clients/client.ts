/**
 * The one client interface the load runner uses, whatever the transport. The base class owns
 * everything transports share: the position (last seq per channel) for resume, the reconnect
 * loop, and byte counting; adapters only open a connection, transmit, and report what arrives.
 */
import { EventEmitter } from 'node:events';
import { connectQuery } from '../scenarios/connect-query.ts';
import { SERVER_DEFAULTS, type Encoding, type TransportName } from '../scenarios/constants.ts';
import type { ClientMessage, ControlMessage, Envelope } from '../scenarios/envelope.ts';
import { formatCursor, parseCursor, type Position } from '../scenarios/names.ts';
import { SocketBytes, type ByteTotals } from '../scenarios/socket-bytes.ts';
import { BackoffPolicy, DEFAULT_RECONNECT, type ReconnectOptions } from './reconnect-policy.ts';

export interface ClientOptions {
  /** The server's base URL, http://host:port (the adapter adds its path). */
  url: string;
  topics?: string[];
  rooms?: string[];
  /** Chosen by the client; when absent the server assigns one (WS, SSE). */
  clientId?: string;
  token?: string;
  encoding?: Encoding;
  /** Resume from this position on the first connection. */
  cursor?: string;
  /** false: never reconnect. Otherwise the backoff of the seed notes, overridable. */
  reconnect?: Partial<ReconnectOptions> | false;
}

export interface OpenInfo {
  client: string;
  cursor: string;
  reconnected: boolean;
}

export interface CloseInfo {
  code: string;
  detail: string;
  willReconnect: boolean;
}

/** A refusal or failure with the protocol's error code (UNAUTHORIZED, BAD_CURSOR, ...). */
export class ClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** True when retrying cannot help (auth, bad request): the client will not reconnect. */
    readonly fatal: boolean,
    readonly status?: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ClientError';
  }
}

export interface ClientEvents {
  open: [OpenInfo];
  message: [Envelope];
  control: [ControlMessage];
  close: [CloseInfo];
  error: [Error];
}

export interface PushClient {
  readonly transport: TransportName;
  /** Resolves once the server has accepted the subscription and data can arrive. */
  connect(): Promise<OpenInfo>;
  send(message: ClientMessage): Promise<void>;
  /**
   * The token for the next connect and sends. After a final refusal (TOKEN_EXPIRED, BANNED, ...)
   * the client stays closed; with a refreshed token, connect() again.
   */
  setToken(token: string | undefined): void;
  close(): Promise<void>;
  position(): Position;
  bytes(): ByteTotals;
  readonly reconnects: number;
  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this;
  off<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this;
  once<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this;
}

export abstract class BaseClient extends EventEmitter<ClientEvents> implements PushClient {
  abstract readonly transport: TransportName;
  protected readonly options: ClientOptions;
  protected readonly encoding: Encoding;
  protected readonly counter = new SocketBytes();
  protected readonly topics: Set<string>;
  protected readonly rooms: Set<string>;
  protected clientId: string | undefined;
  private readonly held: Position = new Map();
  private readonly backoff: BackoffPolicy | undefined;
  private closing = false;
  private opens = 0;
  private pendingOpen: { resolve: (info: OpenInfo) => void; reject: (err: Error) => void } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  reconnects = 0;

  constructor(options: ClientOptions) {
    super();
    this.options = options;
    this.encoding = options.encoding ?? SERVER_DEFAULTS.encoding;
    this.topics = new Set(options.topics ?? []);
    this.rooms = new Set(options.rooms ?? []);
    this.clientId = options.clientId;
    this.backoff = options.reconnect === false ? undefined : new BackoffPolicy({ ...DEFAULT_RECONNECT, ...options.reconnect });
    if (options.cursor !== undefined) for (const [channel, seq] of parseCursor(options.cursor)) this.held.set(channel, seq);
  }

  /** Opens one connection; resolves when it is established (the adapter then calls opened()). */
  protected abstract openConnection(cursor: string | undefined): Promise<void>;
  protected abstract transmit(message: ClientMessage): Promise<void>;
  /** Ends the current connection deliberately. */
  protected abstract closeConnection(): Promise<void>;

  connect(): Promise<OpenInfo> {
    this.closing = false;
    return new Promise<OpenInfo>((resolve, reject) => {
      this.pendingOpen = { resolve, reject };
      this.attempt();
    });
  }

  send(message: ClientMessage): Promise<void> {
    return this.transmit(message);
  }

  setToken(token: string | undefined): void {
    this.options.token = token;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    await this.closeConnection();
  }

  position(): Position {
    return new Map(this.held);
  }

  bytes(): ByteTotals {
    return this.counter.totals();
  }

  /** The query every transport sends when it connects. */
  protected connectQuery(cursor: string | undefined): URLSearchParams {
    return connectQuery({ topics: this.topics, rooms: this.rooms, client: this.clientId, encoding: this.encoding, cursor, token: this.options.token });
  }

  private attempt(): void {
    const cursor = this.held.size > 0 ? formatCursor(this.held) : undefined;
    this.openConnection(cursor).catch((err: Error) => this.connectionLost(err));
  }

  /** Adapters call this when the server has accepted the subscription. */
  protected opened(cursor: string, client?: string): void {
    if (client !== undefined) this.clientId = client;
    for (const [channel, seq] of parseCursor(cursor)) if (!this.held.has(channel) || this.held.get(channel)! < seq) this.held.set(channel, seq);
    this.backoff?.reset();
    const info: OpenInfo = { client: this.clientId ?? '', cursor, reconnected: this.opens > 0 };
    if (this.opens > 0) this.reconnects++;
    this.opens++;
    this.emit('open', info);
    this.pendingOpen?.resolve(info);
    this.pendingOpen = undefined;
  }

  protected delivered(envelope: Envelope): void {
    this.held.set(envelope.channel, envelope.seq);
    this.emit('message', envelope);
  }

  protected control(message: ControlMessage): void {
    if (message.type === 'welcome') this.opened(message.cursor, message.client);
    else if (message.type === 'joined') {
      this.rooms.add(message.room);
      const [entry] = parseCursor(message.cursor);
      if (entry !== undefined && !this.held.has(entry[0])) this.held.set(entry[0], entry[1]);
    } else if (message.type === 'left') {
      this.rooms.delete(message.room);
      this.held.delete(message.room);
    }
    this.emit('control', message);
  }

  protected reportError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** The server's suggested delay (SSE `retry:`) replaces backoff where a transport has one. */
  protected reconnectDelay(): number | undefined {
    return this.backoff?.next();
  }

  /** Adapters call this when a connection ends or fails; it decides whether to reconnect. */
  protected connectionLost(err: ClientError | Error): void {
    const code = err instanceof ClientError ? err.code : 'NETWORK';
    const fatal = err instanceof ClientError && err.fatal;
    if (this.closing) {
      this.emit('close', { code: 'CLOSED', detail: 'closed by the client', willReconnect: false });
      return;
    }
    const delay = fatal || this.backoff === undefined ? undefined : this.reconnectDelay();
    // connect() settles on the first success, or when the client gives up (a refusal, or no retries left).
    if (this.pendingOpen !== undefined && delay === undefined) {
      this.pendingOpen.reject(err);
      this.pendingOpen = undefined;
    }
    this.emit('close', { code, detail: err.message, willReconnect: delay !== undefined });
    if (delay === undefined) return;
    this.retryTimer = setTimeout(() => this.attempt(), delay);
  }
}

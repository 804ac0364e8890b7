/**
 * The server's rate limits and per-address bounds (docs/PROTOCOL.md §9.1), in one object the shared
 * server and the transports call at their hooks. Each limit is off (and costs nothing) when its
 * option is 0. Refusals are counted in /stats `limits` (and, as every wire error, in `errors`).
 *
 * What counts as a client: a WebSocket connection (its limit lives on the connection); for
 * POST /messages the `client=` id at its remote address, or the address alone without one. Keying
 * by address too means a client elsewhere cannot use up someone else's limit by sending their id.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PATHS } from '../../scenarios/constants.ts';
import { WireError } from '../../scenarios/errors.ts';
import { endSocketWithError, failRequest } from '../http.ts';
import type { ServerOptions } from '../options.ts';
import type { ServerCounters } from '../stats.ts';
import { ConcurrencyLimit } from './concurrency.ts';
import { KeyedBuckets } from './keyed-buckets.ts';
import { MessageRateLimit } from './message-rate.ts';
import { burstOf } from './token-bucket.ts';

/** Concurrency refusals have no refill to wait for: the client may try again in a second. */
const CONCURRENCY_RETRY_AFTER_S = 1;

type LimitOptions = Pick<
  ServerOptions,
  'transport' | 'rateLimitMessages' | 'rateLimitBurst' | 'rateLimitCloseAfter' | 'connectRateLimit' | 'connectBurst' | 'maxHeldPollsPerIp' | 'maxUploadsPerIp' | 'requestTimeoutMs'
>;

/** The peer's address; a socket already gone has none, and such requests share one key. */
export function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export class ServerLimits {
  private readonly messageBurst: number;
  private readonly posts: KeyedBuckets | undefined;
  private readonly connects: KeyedBuckets | undefined;
  private readonly heldPolls: ConcurrencyLimit | undefined;
  private readonly uploads: ConcurrencyLimit | undefined;

  constructor(
    private readonly options: LimitOptions,
    private readonly counters: ServerCounters,
    private readonly clock: () => number = () => performance.now(),
  ) {
    const now = clock();
    this.messageBurst = burstOf(options.rateLimitMessages, options.rateLimitBurst);
    if (options.rateLimitMessages > 0) this.posts = new KeyedBuckets(options.rateLimitMessages, this.messageBurst, now);
    if (options.connectRateLimit > 0) this.connects = new KeyedBuckets(options.connectRateLimit, burstOf(options.connectRateLimit, options.connectBurst), now);
    if (options.maxHeldPollsPerIp > 0) this.heldPolls = new ConcurrencyLimit(options.maxHeldPollsPerIp);
    if (options.maxUploadsPerIp > 0) this.uploads = new ConcurrencyLimit(options.maxUploadsPerIp);
  }

  /** node:http server settings: a request (headers and body) must arrive whole within --request-timeout-ms. */
  httpServerOptions(): { requestTimeout: number; headersTimeout?: number; connectionsCheckingInterval?: number } {
    const timeout = this.options.requestTimeoutMs;
    if (timeout === 0) return { requestTimeout: 0 };
    // node:http checks its timeouts on an interval (30 s by default): check often enough for the limit to mean what it says.
    return { requestTimeout: timeout, headersTimeout: Math.min(60_000, timeout), connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(timeout / 4))) };
  }

  // --- WebSocket -------------------------------------------------------------------------------

  /** Whether client messages are limited at all (--rate-limit-messages above 0). */
  get limitsMessages(): boolean {
    return this.options.rateLimitMessages > 0;
  }

  /**
   * A connection's own message limit (kept on its member: no lookup per message); undefined when off.
   * Made at the connection's first message: a fresh bucket is full, so one made later admits the same.
   */
  forConnection(): MessageRateLimit | undefined {
    if (this.options.rateLimitMessages === 0) return undefined;
    return new MessageRateLimit(this.options.rateLimitMessages, this.messageBurst, this.options.rateLimitCloseAfter, this.clock());
  }

  /** The `error` message for a refused WS message, counted. */
  messageRefused(limit: MessageRateLimit): WireError {
    this.counters.limits.messagesRefused++;
    this.counters.error('RATE_LIMITED');
    return new WireError('RATE_LIMITED', `more than ${limit.ratePerSec} messages per second (bursts of ${limit.burst}); this message was dropped, retry in ${limit.retryAfterSeconds(this.clock())} s`);
  }

  /**
   * Every upgrade request, before any other work: over the per-address connect rate it gets an HTTP
   * 429 on the raw socket (a refused handshake costs the server nothing more). True when refused.
   */
  refuseUpgrade(req: IncomingMessage, socket: Duplex): boolean {
    const retryAfter = this.connectRetryAfter(req);
    if (retryAfter === 0) return false;
    this.counters.error('CONNECT_RATE_LIMITED');
    endSocketWithError(socket, this.connectError(retryAfter), { 'retry-after': retryAfter });
    return true;
  }

  // --- HTTP ------------------------------------------------------------------------------------

  /**
   * SSE stream opens, before any other work: over the per-address connect rate → 429. Polls are not
   * connection attempts (a long-poll client polls all the time); held polls are bounded instead.
   */
  refuseConnect(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (this.connects === undefined || pathname !== PATHS.sse || this.options.transport !== 'sse') return false;
    const retryAfter = this.connectRetryAfter(req);
    if (retryAfter === 0) return false;
    res.setHeader('retry-after', retryAfter);
    failRequest(res, this.connectError(retryAfter), this.counters);
    return true;
  }

  /** POST /messages: one token from the client's bucket, or 429 RATE_LIMITED (thrown, with Retry-After set). */
  checkMessagePost(req: IncomingMessage, res: ServerResponse, client: string | undefined): void {
    if (this.posts === undefined) return;
    const address = addressOf(req);
    const retryAfter = this.posts.take(client === undefined ? address : `${address} ${client}`, this.clock(), address);
    if (retryAfter === 0) return;
    this.counters.limits.messagesRefused++;
    res.setHeader('retry-after', retryAfter);
    throw new WireError('RATE_LIMITED', `${client ?? 'this address'} sent more than ${this.options.rateLimitMessages} messages per second (bursts of ${this.messageBurst})`);
  }

  /**
   * POST /messages: an upload slot of the address until the request is answered (or its connection
   * closes), or 429 TOO_MANY_UPLOADS. The refusal closes the connection: a body that trickles is
   * not worth draining.
   */
  holdUpload(req: IncomingMessage, res: ServerResponse): void {
    const uploads = this.uploads;
    if (uploads === undefined) return;
    const address = addressOf(req);
    if (!uploads.tryAcquire(address)) {
      this.counters.limits.uploadsRefused++;
      res.setHeader('retry-after', CONCURRENCY_RETRY_AFTER_S);
      res.setHeader('connection', 'close');
      throw new WireError('TOO_MANY_UPLOADS', `${uploads.max} request bodies from this address are being received already`);
    }
    res.once('close', () => uploads.release(address));
  }

  /** GET /poll: 429 TOO_MANY_POLLS (thrown) when the address already holds its most polls. */
  checkPoll(req: IncomingMessage, res: ServerResponse): void {
    if (this.heldPolls === undefined || !this.heldPolls.atLimit(addressOf(req))) return;
    this.counters.limits.pollsRefused++;
    res.setHeader('retry-after', CONCURRENCY_RETRY_AFTER_S);
    throw new WireError('TOO_MANY_POLLS', `this address holds ${this.heldPolls.max} polls already`);
  }

  /** A poll is being held: counted against its address until `releasePoll` with the key returned. */
  holdPoll(req: IncomingMessage): string | undefined {
    if (this.heldPolls === undefined) return undefined;
    const address = addressOf(req);
    this.heldPolls.tryAcquire(address);
    return address;
  }

  releasePoll(key: string | undefined): void {
    if (key !== undefined) this.heldPolls?.release(key);
  }

  /** node:http's clientError for a request not received whole in time: 408 REQUEST_TIMEOUT, then the connection ends. True when handled. */
  answerRequestTimeout(err: Error & { code?: string }, socket: Duplex): boolean {
    if (err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') return false;
    this.counters.limits.requestTimeouts++;
    this.counters.error('REQUEST_TIMEOUT');
    const error = new WireError('REQUEST_TIMEOUT', `the request did not arrive whole within ${this.options.requestTimeoutMs} ms`);
    endSocketWithError(socket, error);
    return true;
  }

  private connectRetryAfter(req: IncomingMessage): number {
    if (this.connects === undefined) return 0;
    const retryAfter = this.connects.take(addressOf(req), this.clock());
    if (retryAfter > 0) this.counters.limits.connectsRefused++;
    return retryAfter;
  }

  private connectError(retryAfter: number): WireError {
    return new WireError('CONNECT_RATE_LIMITED', `more than ${this.options.connectRateLimit} connection attempts per second from this address; retry in ${retryAfter} s`);
  }
}

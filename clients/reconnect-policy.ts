/**
 * When and whether a client reconnects, for every client of the lab (library clients, browser
 * pages): delays as the seed notes prescribe, 1 s, 2 s, 4 s ... capped at 30 s, reset after a
 * successful connection; none after a close code that says retrying cannot help. Pure and
 * platform-free, so it is tested without sockets and runs in pages as it is.
 */
import { CLOSE_CODES } from '../scenarios/constants.ts';

export interface ReconnectOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up after this many failed attempts in a row (Infinity: never). */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: Infinity };

export class BackoffPolicy {
  private attempts = 0;
  constructor(private readonly options: ReconnectOptions = DEFAULT_RECONNECT) {}

  /** The delay before the next attempt, or undefined when the client should give up. */
  next(): number | undefined {
    if (this.attempts >= this.options.maxAttempts) return undefined;
    const delay = Math.min(this.options.initialDelayMs * 2 ** this.attempts, this.options.maxDelayMs);
    this.attempts++;
    return delay;
  }

  reset(): void {
    this.attempts = 0;
  }
}

/** WebSocket close codes after which reconnecting cannot help: the same request would be refused again (docs/PROTOCOL.md §8). */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE_CODES.unauthorized, CLOSE_CODES.tokenExpired, CLOSE_CODES.forbidden, CLOSE_CODES.badRequest]);

export function isFinalCloseCode(code: number): boolean {
  return FINAL_CLOSE_CODES.has(code);
}

/**
 * Error codes that end an SSE stream (or answer a poll) for good: the same request would be refused
 * again until the client has a new token, or its id is unbanned (docs/PROTOCOL.md §7).
 */
const FINAL_ERROR_CODES: ReadonlySet<string> = new Set(['UNAUTHORIZED', 'TOKEN_EXPIRED', 'BANNED']);

export function isFinalErrorCode(code: string): boolean {
  return FINAL_ERROR_CODES.has(code);
}

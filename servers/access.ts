/**
 * Who may reach the server, beside the token checks of http.ts: the web origins whose pages may
 * use it (CORS, and the same rule for WebSocket upgrades, which CORS does not cover), the banned
 * client ids, the control token, and the timer that ends a connection when its token expires.
 */
import { randomBytes } from 'node:crypto';
import { WireError } from '../scenarios/errors.ts';

/** How the bench hands tokens to a server process it starts: by environment, never on the command line, where `ps` shows them. */
export const TOKEN_ENV = 'PUSHBENCH_TOKEN';
export const CONTROL_TOKEN_ENV = 'PUSHBENCH_CONTROL_TOKEN';

/** A fresh secret: 192 random bits, base64url (no whitespace or commas, so it is a valid token). */
export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

/** `--allow-origin` entries: an exact origin (scheme://host[:port]), `loopback` or `*`. */
export const LOOPBACK_ORIGINS = 'loopback';
export const ANY_ORIGIN = '*';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True when `entry` is something `--allow-origin` takes. */
export function isOriginEntry(entry: string): boolean {
  if (entry === LOOPBACK_ORIGINS || entry === ANY_ORIGIN) return true;
  try {
    return new URL(entry).origin === entry;
  } catch {
    return false;
  }
}

/** The browser origins whose pages may use the server: loopback ones by default, as the lab's own pages are. */
export class OriginPolicy {
  private readonly exact: ReadonlySet<string>;
  private readonly loopback: boolean;
  private readonly any: boolean;

  constructor(entries: readonly string[]) {
    this.exact = new Set(entries.filter((entry) => entry !== LOOPBACK_ORIGINS && entry !== ANY_ORIGIN));
    this.loopback = entries.includes(LOOPBACK_ORIGINS);
    this.any = entries.includes(ANY_ORIGIN);
  }

  /** `origin` is a request's Origin header. */
  allows(origin: string): boolean {
    if (this.any || this.exact.has(origin)) return true;
    if (!this.loopback) return false;
    try {
      const url = new URL(origin);
      // An Origin header is scheme://host[:port] and nothing else; `null` (sandboxed pages, files) is no loopback page.
      return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.origin === origin;
    } catch {
      return false;
    }
  }
}

/** Banned client ids (`--ban`, POST /ban, POST /unban): their connects and POSTs are refused with BANNED. */
export class BanList {
  private readonly ids: Set<string>;

  constructor(initial: readonly string[]) {
    this.ids = new Set(initial);
  }

  get size(): number {
    return this.ids.size;
  }

  has(client: string | undefined): boolean {
    return client !== undefined && this.ids.has(client);
  }

  add(client: string): void {
    this.ids.add(client);
  }

  /** False when the id was not banned. */
  delete(client: string): boolean {
    return this.ids.delete(client);
  }

  /** Throws BANNED for a banned client id; anonymous requests are never banned. */
  check(client: string | undefined): void {
    if (this.has(client)) throw new WireError('BANNED', `client id ${client!} is banned`);
  }
}

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `expired` when a token that expires at `expiresAtMs` (Unix ms) runs out. No timer at all
 * for a token that never expires (undefined). Returns the cancel function, to call when the
 * connection ends first.
 */
export function onTokenExpiry(expiresAtMs: number | undefined, expired: () => void): (() => void) | undefined {
  if (expiresAtMs === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  // Re-armed until the wall clock has passed the expiry: timers run on another clock, and cannot wait longer than MAX_TIMER_MS.
  const arm = (): void => {
    const left = expiresAtMs - Date.now();
    if (left <= 0) {
      expired();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/** The bench's view of a server over HTTP (docs/PROTOCOL.md §10, PUT /feed and POST /drop): works for a target server too. */
import { request } from 'undici';
import { PATHS, TRANSPORTS, type TransportName } from '../scenarios/constants.ts';
import type { PublishedWindow } from '../servers/hub.ts';
import type { ServerStatsSnapshot } from '../servers/stats.ts';

/** A loaded server answers late: wait this long before calling it unresponsive. */
const TIMEOUT_MS = 15_000;

/** Runs one request; a failure names the request and what it likely means. */
async function attempt<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new Error(`${what} failed (${(err as Error).message}): the server did not answer within ${TIMEOUT_MS / 1000} s or went away; it may be overloaded or have crashed`);
  }
}

export class ServerApi {
  /**
   * `token` goes with /health and plain /stats; `controlToken` with the control calls (PUT /feed,
   * POST /drop, /ban, /unban, /stats?reset=1). A --target has one token for both.
   */
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
    private readonly controlToken: string | null = token,
  ) {}

  private path(path: string, query: Record<string, string> = {}, token = this.token): string {
    const params = new URLSearchParams(query);
    if (token !== null) params.set('token', token);
    const text = params.toString();
    return `${this.baseUrl}${path}${text === '' ? '' : '?' + text}`;
  }

  /** The transport the server says it serves (GET /health). */
  async transport(): Promise<TransportName> {
    const response = await attempt(`GET ${PATHS.health}`, () => request(this.path(PATHS.health), { headersTimeout: 5000, bodyTimeout: 5000 }));
    const body = (await response.body.json()) as { transport?: unknown };
    if (response.statusCode !== 200 || !TRANSPORTS.includes(body.transport as TransportName)) {
      throw new Error(`GET ${PATHS.health} answered ${response.statusCode} without a transport (${TRANSPORTS.join(', ')}); is this a pushbench server?`);
    }
    return body.transport as TransportName;
  }

  /**
   * Whether the control calls take this client's control token, asked with GET /stats?reset=1 (the
   * one control call without side effects the bench minds: it resets the loop-delay histogram,
   * which the bench resets before every window anyway). 'absent': the server has no /stats.
   */
  async controlAccess(): Promise<'accepted' | 'refused' | 'absent'> {
    const response = await attempt(`GET ${PATHS.stats}?reset=1`, () => request(this.path(PATHS.stats, { reset: '1' }, this.controlToken), { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS }));
    await response.body.dump();
    if (response.statusCode === 401 || response.statusCode === 403) return 'refused';
    return response.statusCode === 200 ? 'accepted' : 'absent';
  }

  /** GET /stats; null when the server does not serve it (a target may not). */
  async stats(resetLoopDelay = false): Promise<ServerStatsSnapshot | null> {
    const response = await attempt(`GET ${PATHS.stats}`, () => request(resetLoopDelay ? this.path(PATHS.stats, { reset: '1' }, this.controlToken) : this.path(PATHS.stats), { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS }));
    if (response.statusCode !== 200) {
      await response.body.dump();
      return null;
    }
    return (await response.body.json()) as ServerStatsSnapshot;
  }

  /**
   * GET /published (docs/PROTOCOL.md §10.4): what each channel published with its ts in [fromUs,
   * toUs); null when the server cannot say (404 or 405: a target without it).
   */
  async published(fromUs: number, toUs: number): Promise<PublishedWindow | null> {
    const query = { from: String(Math.floor(fromUs)), to: String(Math.floor(toUs)) };
    const response = await attempt(`GET ${PATHS.published}`, () => request(this.path(PATHS.published, query, this.controlToken), { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS }));
    const text = await response.body.text();
    if (response.statusCode === 404 || response.statusCode === 405) return null;
    if (response.statusCode !== 200) throw new Error(`GET ${PATHS.published} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as Partial<PublishedWindow>;
    if (typeof body.channels !== 'object' || body.channels === null || !Array.isArray(body.incomplete)) {
      throw new Error(`GET ${PATHS.published} answered without "channels" and "incomplete" (docs/PROTOCOL.md §10.4): ${text.slice(0, 300)}`);
    }
    return { from: fromUs, to: toUs, channels: body.channels, incomplete: body.incomplete };
  }

  /** PUT /feed; false when the server does not support changing its feed (then it publishes at its own rate). */
  async setFeed(rate: number, payloadBytes: number): Promise<boolean> {
    const response = await attempt(`PUT ${PATHS.feed}`, () =>
      request(this.path(PATHS.feed, {}, this.controlToken), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rate, payloadBytes }),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      }),
    );
    const text = await response.body.text();
    if (response.statusCode === 404 || response.statusCode === 405) return false;
    if (response.statusCode !== 200) throw new Error(`PUT ${PATHS.feed} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    return true;
  }

  /** POST /drop: the server destroys every other open connection at once, as a network failure would; how many, or null when the server does not support it. */
  async drop(): Promise<number | null> {
    const response = await attempt(`POST ${PATHS.drop}`, () => request(this.path(PATHS.drop, {}, this.controlToken), { method: 'POST', headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS }));
    const text = await response.body.text();
    if (response.statusCode === 404 || response.statusCode === 405) return null;
    if (response.statusCode !== 200) throw new Error(`POST ${PATHS.drop} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    let dropped: unknown;
    try {
      dropped = (JSON.parse(text) as { dropped?: unknown }).dropped;
    } catch {
      // not JSON: reported below
    }
    if (!Number.isInteger(dropped)) throw new Error(`POST ${PATHS.drop} answered without a "dropped" count: ${text.slice(0, 300)}`);
    return dropped as number;
  }

  /** POST /ban (or /unban): how many open connections the ban closed; null when the server has no bans. */
  async ban(client: string, banned = true): Promise<number | null> {
    const path = banned ? PATHS.ban : PATHS.unban;
    const response = await attempt(`POST ${path}`, () =>
      request(this.path(path, {}, this.controlToken), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client }),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      }),
    );
    const text = await response.body.text();
    if (response.statusCode === 404 || response.statusCode === 405) return null;
    if (response.statusCode !== 200) throw new Error(`POST ${path} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    return banned ? Number((JSON.parse(text) as { closed?: unknown }).closed ?? 0) : 0;
  }
}

/** HTTP helpers shared by every transport: errors as JSON, auth, connect parameters, bounded bodies. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENCODINGS, WIRE_LIMITS, type Encoding } from '../scenarios/constants.ts';
import { WireError } from '../scenarios/errors.ts';
import { parseCursor, validateName, type Position } from '../scenarios/names.ts';
import { verifyToken } from '../scenarios/tokens.ts';

/** Answers a failed request with its error code and counts it; the server carries on. */
export function failRequest(res: ServerResponse, err: unknown, counters: { error(code: WireError['code']): void }): void {
  const wire = toWireError(err);
  counters.error(wire.code);
  writeError(res, wire);
}

export function writeError(res: ServerResponse, err: WireError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err);
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Unexpected errors are bugs: logged, and still answered with a code, never with a hang. */
export function toWireError(err: unknown): WireError {
  if (err instanceof WireError) return err;
  // express.json() (admin endpoints) reports bad bodies with a `type`; they are the client's mistake.
  const bodyError = (err as { type?: unknown })?.type;
  if (bodyError === 'entity.parse.failed') return new WireError('BAD_JSON', `the body is not valid JSON (${(err as Error).message})`);
  if (bodyError === 'entity.too.large') return new WireError('MESSAGE_TOO_LARGE', 'the body is larger than this endpoint accepts');
  console.error('pushbench server: unexpected error', err);
  return new WireError('INTERNAL', (err as Error)?.message ?? String(err));
}

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  return undefined;
}

/**
 * The client token: query `token`, or `Authorization: Bearer`; the server token itself (never
 * expires) or one minted from it (scenarios/tokens.ts), compared in constant time. Returns when the
 * token expires (Unix ms), undefined when it never does or the server has no token.
 */
export function checkAuth(req: IncomingMessage, url: URL, expected: string | undefined): number | undefined {
  if (expected === undefined) return undefined;
  const given = tokenOf(req, url);
  if (given === undefined) throw new WireError('UNAUTHORIZED', 'this server requires a token');
  const check = verifyToken(expected, given);
  if (check.ok) return check.expiresAtMs;
  if (check.reason === 'expired') throw new WireError('TOKEN_EXPIRED', `the token expired at ${new Date(check.expiresAtMs!).toISOString()}`);
  throw new WireError('UNAUTHORIZED', 'the token is not valid');
}

/**
 * The control token, for the calls that steer the lab (PUT /feed, POST /drop, /ban, /unban,
 * /stats?reset=1): the exact token, never a minted one, and never from a web page: no page of the
 * lab needs these calls, and a page of any site could otherwise send them (a text/plain POST needs
 * no CORS preflight).
 */
export function checkControl(req: IncomingMessage, url: URL, controlToken: string): void {
  if (req.headers.origin !== undefined) throw new WireError('FORBIDDEN_ORIGIN', `${url.pathname} is a control call and takes no request from a web page (Origin: ${req.headers.origin.slice(0, 100)})`);
  const given = tokenOf(req, url);
  if (given === undefined) throw new WireError('UNAUTHORIZED', `${url.pathname} needs the server's control token`);
  const a = Buffer.from(given);
  const b = Buffer.from(controlToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new WireError('UNAUTHORIZED', `the control token for ${url.pathname} is not valid`);
}

export interface ConnectParams {
  topics: string[];
  rooms: string[];
  client: string | undefined;
  encoding: Encoding;
  cursor: Position | undefined;
}

const CONNECT_PARAMS = new Set(['topic', 'room', 'client', 'encoding', 'cursor', 'token']);

/**
 * Parses the query every transport shares. `cursorOverride` is the SSE Last-Event-ID header,
 * which wins over the query because a browser reconnects with the query it first used.
 */
export function parseConnectParams(url: URL, defaultEncoding: Encoding, cursorOverride?: { text: string; source: string }, extraParams: readonly string[] = []): ConnectParams {
  for (const key of url.searchParams.keys()) {
    if (!CONNECT_PARAMS.has(key) && !extraParams.includes(key) && !key.startsWith('_')) {
      throw new WireError('BAD_QUERY', `unknown query parameter "${key}" (known: ${[...CONNECT_PARAMS, ...extraParams].join(', ')})`);
    }
  }
  const topics = [...new Set(url.searchParams.getAll('topic'))].map((t) => validateName('topic', t));
  const rooms = [...new Set(url.searchParams.getAll('room'))].map((r) => validateName('room', r));
  if (topics.length + rooms.length > WIRE_LIMITS.maxChannelsPerConnection) {
    throw new WireError('CHANNEL_LIMIT', `the query names ${topics.length + rooms.length} channels`);
  }
  const clientParam = url.searchParams.get('client');
  const encodingParam = url.searchParams.get('encoding');
  if (encodingParam !== null && !ENCODINGS.includes(encodingParam as Encoding)) {
    throw new WireError('BAD_QUERY', `encoding must be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(encodingParam)}`);
  }
  // An empty cursor (or Last-Event-ID) means none: some clients send the header empty.
  const cursorText = cursorOverride?.text || url.searchParams.get('cursor') || null;
  return {
    topics,
    rooms,
    client: clientParam === null ? undefined : validateName('client', clientParam),
    encoding: (encodingParam as Encoding | null) ?? defaultEncoding,
    cursor: cursorText === null ? undefined : parseCursor(cursorText, cursorOverride?.source ?? 'cursor'),
  };
}

/** Reads a request body of at most `maxBytes`, refusing larger ones before reading them when it can. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      reject(new WireError('MESSAGE_TOO_LARGE', `the body is ${declared} bytes, more than the server's ${maxBytes}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new WireError('MESSAGE_TOO_LARGE', `the body is more than the server's ${maxBytes} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

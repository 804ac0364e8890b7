/** HTTP helpers shared by every transport: errors as JSON, auth, connect parameters, bounded bodies. */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ENCODINGS, WIRE_LIMITS, type Encoding } from '../scenarios/constants.ts';
import { quoteInput, WireError } from '../scenarios/errors.ts';
import { parseCursor, validateName, type Position } from '../scenarios/names.ts';
import { sameSecret, verifyToken } from '../scenarios/tokens.ts';

/** Answers a failed request with its error code and counts it; the server carries on. */
export function failRequest(res: ServerResponse, err: unknown, counters: { error(code: WireError['code']): void }): void {
  const wire = toWireError(err);
  counters.error(wire.code);
  writeError(res, wire);
}

export function writeError(res: ServerResponse, err: WireError): void {
  // The client is gone (an aborted upload): there is no one to answer.
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' };
  // Refused before its body was read (401, 413 by content-length, 415): node:http would otherwise
  // read the rest of the body, however long, to keep the connection; closing it costs one reconnect.
  if (bodyStillComing(res.req)) headers.connection = 'close';
  res.writeHead(err.status, headers);
  res.end(body);
}

function bodyStillComing(req: IncomingMessage | undefined): boolean {
  if (req === undefined || req.complete) return false;
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** Refuses a body by its declared content-length, before reading any of it. */
export function checkDeclaredLength(req: IncomingMessage, maxBytes: number): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new WireError('MESSAGE_TOO_LARGE', `the body is ${declared} bytes, more than the server's ${maxBytes}`);
}

/**
 * An error answered straight on a socket, for requests that have no ServerResponse (upgrades, and
 * requests node:http could not parse), then the connection is closed. Destroyed once flushed, as ws
 * does: a peer that never closes its side must not hold the socket half-open.
 */
export function endSocketWithError(socket: Duplex, err: WireError, extraHeaders: Readonly<Record<string, string | number>> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(err);
  let extra = '';
  for (const [name, value] of Object.entries(extraHeaders)) extra += `${name}: ${value}\r\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\nconnection: close\r\ncontent-type: application/json\r\n${extra}` +
      `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\n\r\n${body}`,
  );
}

/** The request's URL. A target the WHATWG parser refuses (such as `//[`) is the client's mistake: BAD_REQUEST, never an exception. */
export function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new WireError('BAD_REQUEST', `the request target ${quoteInput(req.url)} is not a valid path`);
  }
}

/** The peer closed or reset the connection while we were reading from it. */
function isConnectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE';
}

type BodyParserError = Error & { type?: string; charset?: string; encoding?: string; status?: number; expose?: boolean };

/**
 * express.json() (PUT /feed) reports what is wrong with a body by a `type` (body-parser's and
 * raw-body's own names): each is the client's mistake, or the client going away, never a bug.
 */
function bodyParserError(err: BodyParserError): WireError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new WireError('BAD_JSON', `the body is not valid JSON (${quoteInput(err.message)})`);
    case 'entity.too.large':
      return new WireError('MESSAGE_TOO_LARGE', 'the body is larger than this endpoint accepts');
    case 'charset.unsupported':
      return new WireError('UNSUPPORTED_MEDIA_TYPE', `the body's charset ${quoteInput(err.charset)} is not accepted`);
    case 'encoding.unsupported':
      return new WireError('UNSUPPORTED_MEDIA_TYPE', `content-encoding ${quoteInput(err.encoding)} is not accepted`);
    case 'request.aborted':
      return new WireError('ABORTED', 'the connection closed before the whole body arrived');
    case 'request.size.invalid':
      return new WireError('BAD_REQUEST', 'the body is not as long as its content-length says');
  }
  // Any other error body-parser marks as the client's (an http-errors 4xx it exposes) is still a client error.
  if (err.expose === true && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new WireError('BAD_REQUEST', `the request body could not be read (${quoteInput(err.message)})`);
  }
  return undefined;
}

/** Unexpected errors are bugs: logged, and still answered with a code, never with a hang. */
export function toWireError(err: unknown): WireError {
  if (err instanceof WireError) return err;
  if (isConnectionLost(err)) return new WireError('ABORTED', 'the connection closed before the request was read');
  if (typeof err === 'object' && err !== null) {
    const clientMistake = bodyParserError(err as BodyParserError);
    if (clientMistake !== undefined) return clientMistake;
  }
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
  if (req.headers.origin !== undefined) throw new WireError('FORBIDDEN_ORIGIN', `${url.pathname} is a control call and takes no request from a web page (Origin: ${quoteInput(req.headers.origin)})`);
  const given = tokenOf(req, url);
  if (given === undefined) throw new WireError('UNAUTHORIZED', `${url.pathname} needs the server's control token (--control-token, else --token; \`npm run serve\` prints it as "control:" when it made one)`);
  if (!sameSecret(given, controlToken)) throw new WireError('UNAUTHORIZED', `the control token for ${url.pathname} is not valid`);
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
      throw new WireError('BAD_QUERY', `unknown query parameter ${quoteInput(key)} (known: ${[...CONNECT_PARAMS, ...extraParams].join(', ')})`);
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
    throw new WireError('BAD_QUERY', `encoding must be one of ${ENCODINGS.join(', ')}, got ${quoteInput(encodingParam)}`);
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
    try {
      checkDeclaredLength(req, maxBytes);
    } catch (err) {
      reject(err);
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
    let ended = false;
    req.on('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    // A client that goes away mid-body: 'error' (ECONNRESET, only emitted to listeners) and always
    // 'close'. Either settles the read: no upload waits forever, and none counts as a server bug.
    // Every request emits 'close' once it is done, so the error (an Error captures a stack: several
    // µs, on every POST) is made only when the body did not end.
    const aborted = (): void => {
      if (!ended) reject(new WireError('ABORTED', `the connection closed after ${size} bytes of the body`));
    };
    req.on('error', (err) => (isConnectionLost(err) ? aborted() : reject(err)));
    req.on('close', aborted);
  });
}

/**
 * One pushbench server: node:http with one transport adapter on the hot paths and an express app
 * for everything else. Binds 127.0.0.1 unless told otherwise; with `extraPorts` it listens on that many
 * more free ports of the same host with the same handlers, so browsers can spread their connections
 * over several origins.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import express from 'express';
import { CURSOR_HEADER, PATHS, TRUNCATED_HEADER, type TransportName } from '../scenarios/constants.ts';
import { quoteInput, WireError } from '../scenarios/errors.ts';
import { FeedPublisher } from './feed-publisher.ts';
import { validateName } from '../scenarios/names.ts';
import { BanList, OriginPolicy } from './access.ts';
import { checkAuth, checkControl, checkDeclaredLength, endSocketWithError, failRequest, requestUrl, toWireError, writeError } from './http.ts';
import type { PublicHub } from './hub.ts';
import { ServerLimits } from './limits/server-limits.ts';
import { INT_OPTION_RANGES, resolveServerOptions, type ServerOptions, type ServerOptionsInput } from './options.ts';
import { ServerCounters, type ServerStatsSnapshot } from './stats.ts';
import type { TransportAdapter, TransportFactory } from './transport.ts';
import { createLongPollTransport } from './transports/long-poll.ts';
import { createSseTransport } from './transports/sse.ts';
import { createWsTransport } from './transports/ws.ts';

const FACTORIES: Record<TransportName, TransportFactory> = {
  ws: createWsTransport,
  sse: createSseTransport,
  'long-poll': createLongPollTransport,
};

const SHUTDOWN_GRACE_MS = 1000;
/** PUT /feed bodies (docs/PROTOCOL.md §9: 1 KiB). */
/** PUT /feed, POST /ban and /unban take one small JSON object. */
const CONTROL_BODY_LIMIT = 1024;

/** What a page of an allowed origin may read of an answer: the long-poll cursor headers. */
const CORS_EXPOSE = `${CURSOR_HEADER}, ${TRUNCATED_HEADER}`;
/** PUT is not among the methods: the only PUT (/feed) is a control call, which no page may make. */
const CORS_PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST',
  'access-control-allow-headers': 'content-type, authorization, last-event-id',
  'access-control-max-age': '600',
  'content-length': '0',
};
const CONTROL_PATHS: ReadonlySet<string> = new Set([PATHS.feed, PATHS.drop, PATHS.ban, PATHS.unban, PATHS.published]);

/** The calls that steer the lab: the control token only, never from a page. */
function isControlCall(url: URL): boolean {
  return CONTROL_PATHS.has(url.pathname) || (url.pathname === PATHS.stats && url.searchParams.get('reset') === '1');
}

export interface RunningServer {
  readonly transport: TransportName;
  readonly options: ServerOptions;
  /** http://host:port of the main port */
  readonly baseUrl: string;
  /** Every port the server listens on (the main one first, then `extraPorts` more): one server, one hub, one set of counters. */
  readonly baseUrls: readonly string[];
  /** The URL a client connects to (ws://.../ws, http://.../sse or http://.../poll). */
  readonly connectUrl: string;
  readonly port: number;
  readonly hub: PublicHub;
  readonly publisher: FeedPublisher;
  readonly counters: ServerCounters;
  /** The token the control calls need (PUT /feed, POST /drop, /ban, /unban, /stats?reset=1): options.controlToken. */
  readonly controlToken: string;
  stats(resetLoopDelay?: boolean): ServerStatsSnapshot;
  /** Destroys every open TCP connection (on every port) at once, as a network failure would, except `except`; returns how many (POST /drop). */
  dropConnections(except?: Socket): number;
  close(): Promise<void>;
}

/** PUT /feed body: {"rate": N, "payloadBytes": N}, either may be left out to keep the current value. */
function parseFeedUpdate(body: unknown, publisher: FeedPublisher): { rate: number; payloadBytes: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WireError('BAD_JSON', 'PUT /feed takes a JSON object such as {"rate":100,"payloadBytes":64} with content-type application/json');
  }
  const fields = body as Record<string, unknown>;
  const read = (name: 'rate' | 'payloadBytes', range: { min: number; max: number }, current: number): number => {
    const value = fields[name];
    if (value === undefined) return current;
    if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max) {
      throw new WireError('BAD_FIELD', `field "${name}" must be an integer from ${range.min} to ${range.max}, got ${quoteInput(value)}`);
    }
    return value as number;
  };
  return {
    rate: read('rate', INT_OPTION_RANGES.feedRate, publisher.rate),
    payloadBytes: read('payloadBytes', INT_OPTION_RANGES.payloadBytes, publisher.payloadBytes),
  };
}

/** GET /published's `from` or `to`: µs on the host clock, a whole number. */
function windowEdge(url: URL, name: 'from' | 'to'): number {
  const text = url.searchParams.get(name);
  if (text === null || !/^\d{1,16}$/.test(text)) throw new WireError('BAD_QUERY', `GET /published needs ${name}=<µs on the host clock>, a whole number, got ${quoteInput(text ?? undefined)}`);
  return Number(text);
}

/** POST /ban and /unban body: {"client": "<id>"}. */
function banTarget(body: unknown): string {
  const client = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).client : undefined;
  if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WireError('BAD_JSON', 'the body must be a JSON object such as {"client":"c1"} with content-type application/json');
  }
  if (typeof client !== 'string') throw new WireError('BAD_FIELD', `field "client" must be a client id, got ${JSON.stringify(client) ?? 'nothing'}`);
  return validateName('client', client);
}

/** One listener for every upgrade's socket (a closure per socket stays for the connection's life). */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(input: ServerOptionsInput): Promise<RunningServer> {
  const options = resolveServerOptions(input);
  const counters = new ServerCounters();
  const limits = new ServerLimits(options, counters);
  const bans = new BanList(options.ban);
  const origins = new OriginPolicy(options.allowOrigins);
  const adapter: TransportAdapter = FACTORIES[options.transport]({ options, counters, limits, bans });
  const publisher = new FeedPublisher(adapter.hub);

  const stats = (reset = false): ServerStatsSnapshot =>
    counters.snapshot(
      {
        transport: options.transport,
        openConnections: adapter.openConnections(),
        published: adapter.hub.counters.published,
        chatIn: adapter.hub.counters.chatMessagesIn,
        feed: { topics: adapter.hub.topicNames, rate: publisher.rate, payloadBytes: publisher.payloadBytes, lateness: publisher.latenessStats(reset) },
        rooms: adapter.hub.rooms,
        roomsFreed: adapter.hub.roomsFreed,
        replay: adapter.hub.replay,
      },
      reset,
    );

  const dropConnections = (except?: Socket): number => {
    let dropped = 0;
    // A copy: destroying a socket removes it from the live set (on 'close', which may come later).
    for (const socket of [...counters.sockets.openSockets()]) {
      if (socket === except || socket.destroyed) continue;
      socket.destroy();
      dropped++;
    }
    counters.droppedDisconnects += dropped;
    return dropped;
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get(PATHS.health, (_req, res) => {
    res.json({ ok: true, transport: options.transport });
  });
  // The control token, then the declared length, before any body is read: a call without the token
  // gets 401 whatever it sends and costs the server nothing, and a body over the limit is refused at
  // once (body-parser would read all of it first).
  const control = (req: express.Request, _res: express.Response, next: express.NextFunction): void => {
    checkControl(req, new URL(req.url, 'http://localhost'), options.controlToken);
    checkDeclaredLength(req, CONTROL_BODY_LIMIT);
    next();
  };
  // No content-encoding (inflate off): a 1 KiB JSON object needs none, and the server decompresses nothing for a client.
  const controlJson = express.json({ limit: CONTROL_BODY_LIMIT, inflate: false });
  app.get(PATHS.stats, (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    // Resetting the loop-delay and lateness histograms changes what the bench reads: a control call.
    const reset = url.searchParams.get('reset') === '1';
    if (reset) checkControl(req, url, options.controlToken);
    else checkAuth(req, url, options.token);
    res.set('cache-control', 'no-store').json(stats(reset));
  });
  app.put(PATHS.feed, control, controlJson, (req, res) => {
    const { rate, payloadBytes } = parseFeedUpdate(req.body, publisher);
    publisher.configure(rate, payloadBytes);
    res.set('cache-control', 'no-store').json({ topics: adapter.hub.topicNames, rate: publisher.rate, payloadBytes: publisher.payloadBytes });
  });
  app.post(PATHS.drop, control, (req, res) => {
    // Every connection but this request's own, which carries the answer.
    const dropped = dropConnections(req.socket);
    res.set('cache-control', 'no-store').json({ dropped });
  });
  app.get(PATHS.published, control, (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const from = windowEdge(url, 'from');
    const to = windowEdge(url, 'to');
    if (to < from) throw new WireError('BAD_QUERY', `GET /published needs from <= to, got from=${from} to=${to}`);
    res.set('cache-control', 'no-store').json(adapter.hub.publishedBetween(from, to));
  });
  app.post(PATHS.ban, control, controlJson, (req, res) => {
    const client = banTarget(req.body);
    bans.add(client);
    const closed = adapter.endClient?.(client, new WireError('BANNED', `client id ${client} was banned`)) ?? 0;
    counters.bannedDisconnects += closed;
    res.set('cache-control', 'no-store').json({ client, banned: true, closed });
  });
  app.post(PATHS.unban, control, controlJson, (req, res) => {
    const client = banTarget(req.body);
    const wasBanned = bans.delete(client);
    res.set('cache-control', 'no-store').json({ client, banned: false, wasBanned });
  });
  app.use((req, _res, next) => {
    next(new WireError('NOT_FOUND', `${req.method} ${quoteInput(req.path)} is not an endpoint of this ${options.transport} server`));
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const wire = toWireError(err);
    counters.error(wire.code);
    writeError(res, wire);
  });

  // One set of handlers for every listener: the main port and the extra ones are one server.
  const refuseOrigin = (res: ServerResponse, detail: string): void => {
    failRequest(res, new WireError('FORBIDDEN_ORIGIN', detail), counters);
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const url = requestUrl(req);
      // Browsers send Origin on cross-origin requests (pages are served from another port than the
      // streams): pages of allowed origins get CORS headers, any other page is refused before its
      // request does anything (a text/plain POST reaches a server without a preflight). Node clients
      // send no Origin and pay nothing.
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!origins.allows(origin) || isControlCall(url)) {
          req.resume();
          refuseOrigin(res, isControlCall(url) ? `${url.pathname} is a control call and takes no request from a web page` : `pages of ${quoteInput(origin)} may not use this server`);
          return;
        }
        if (req.method === 'OPTIONS') {
          res.writeHead(204, { ...CORS_PREFLIGHT_HEADERS, 'access-control-allow-origin': origin, vary: 'Origin' }).end();
          return;
        }
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('access-control-expose-headers', CORS_EXPOSE);
        res.setHeader('vary', 'Origin');
      }
      if (limits.refuseConnect(req, res, url.pathname)) return;
      if (!adapter.handleRequest(req, res, url)) app(req, res);
    } catch (err) {
      // A target that is not a URL is the client's mistake (400); anything else a handler let
      // through is a bug, answered 500 and logged, and this request's alone.
      failRequest(res, err, counters);
    }
  };
  const refuseOnSocket = (socket: Duplex, err: WireError): void => {
    counters.error(err.code);
    endSocketWithError(socket, err);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // node:http hands an upgrade's socket over without an 'error' listener (ws adds its own only
    // once it takes the socket): a reset before then must not be an uncaught 'error' event.
    socket.on('error', destroyOnError);
    if (limits.refuseUpgrade(req, socket)) return;
    let url: URL;
    try {
      url = requestUrl(req);
    } catch (err) {
      refuseOnSocket(socket, toWireError(err));
      return;
    }
    // CORS does not cover WebSocket: a page of any site may open one, so its Origin is checked here (cross-site WebSocket hijacking).
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.allows(origin)) {
      refuseOnSocket(socket, new WireError('FORBIDDEN_ORIGIN', `pages of ${quoteInput(origin)} may not use this server`));
      return;
    }
    if (adapter.handleUpgrade === undefined || url.pathname !== adapter.connectPath) {
      refuseOnSocket(socket, new WireError('NOT_FOUND', `${quoteInput(url.pathname)} is not an upgrade endpoint of this ${options.transport} server`));
      return;
    }
    try {
      adapter.handleUpgrade(req, socket, head, url);
    } catch (err) {
      // A bug (logged by toWireError) costs this connection, never the process.
      counters.error(toWireError(err).code);
      socket.destroy();
    }
  };
  const onClientError = (err: Error & { code?: string }, socket: Duplex): void => {
    if (limits.answerRequestTimeout(err, socket)) return;
    // Only a request node:http could not parse gets an answer (400 with its code), and never in the
    // middle of a response already under way: node's own default checks `_httpMessage` the same way.
    // A reset just ends the connection, uncounted (the client is gone).
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code?.startsWith('HPE_') === true && inFlight?.headersSent !== true) {
      refuseOnSocket(socket, new WireError('BAD_REQUEST', `the request could not be parsed (${err.message})`));
    } else socket.destroy();
  };
  const listen = async (port: number): Promise<Server> => {
    const server = createServer({ noDelay: true, keepAliveTimeout: 65_000, ...limits.httpServerOptions() }, onRequest);
    server.on('connection', (socket: Socket) => counters.sockets.track(socket));
    server.on('upgrade', onUpgrade);
    server.on('clientError', onClientError);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  };

  // The main port first, then the extra ones on free ports of the same host.
  const servers: Server[] = [];
  try {
    servers.push(await listen(options.port));
    for (let i = 0; i < options.extraPorts; i++) servers.push(await listen(0));
  } catch (err) {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    adapter.shutdown();
    counters.stop();
    throw err;
  }
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  const baseUrls = ports.map((port) => `http://${formatHost(options.host)}:${port}`);
  const port = ports[0]!;
  const baseUrl = baseUrls[0]!;
  const connectUrl = (options.transport === 'ws' ? baseUrl.replace(/^http/, 'ws') : baseUrl) + adapter.connectPath;
  publisher.configure(options.feedRate, options.payloadBytes);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      publisher.stop();
      adapter.shutdown();
      void Promise.all(servers.map((server) => new Promise((closed) => server.close(closed)))).then(() => {
        counters.stop();
        resolve();
      });
      for (const server of servers) server.closeIdleConnections();
      setTimeout(() => {
        for (const socket of counters.sockets.openSockets()) socket.destroy();
      }, SHUTDOWN_GRACE_MS).unref();
    }));

  return {
    transport: options.transport,
    options,
    baseUrl,
    baseUrls,
    connectUrl,
    port,
    hub: adapter.hub,
    publisher,
    counters,
    controlToken: options.controlToken,
    stats,
    dropConnections,
    close,
  };
}

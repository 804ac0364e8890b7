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
import { WireError } from '../scenarios/errors.ts';
import { FeedPublisher } from './feed-publisher.ts';
import { checkAuth, toWireError, writeError } from './http.ts';
import type { PublicHub } from './hub.ts';
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

/** Any origin may read the answers (the lab is a benchmark on loopback; nothing here is private to a site), and the long-poll cursor headers. */
const CORS_HEADERS: [string, string][] = [
  ['access-control-allow-origin', '*'],
  ['access-control-expose-headers', `${CURSOR_HEADER}, ${TRUNCATED_HEADER}`],
];
const CORS_PREFLIGHT_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT',
  'access-control-allow-headers': 'content-type, authorization, last-event-id',
  'access-control-max-age': '600',
  'content-length': '0',
};

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
      throw new WireError('BAD_FIELD', `field "${name}" must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  return {
    rate: read('rate', INT_OPTION_RANGES.feedRate, publisher.rate),
    payloadBytes: read('payloadBytes', INT_OPTION_RANGES.payloadBytes, publisher.payloadBytes),
  };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(input: ServerOptionsInput): Promise<RunningServer> {
  const options = resolveServerOptions(input);
  const counters = new ServerCounters();
  const adapter: TransportAdapter = FACTORIES[options.transport]({ options, counters });
  const publisher = new FeedPublisher(adapter.hub);

  const stats = (reset = false): ServerStatsSnapshot =>
    counters.snapshot(
      {
        transport: options.transport,
        openConnections: adapter.openConnections(),
        published: adapter.hub.counters.published,
        chatIn: adapter.hub.counters.chatMessagesIn,
        feed: { topics: adapter.hub.topicNames, rate: publisher.rate, payloadBytes: publisher.payloadBytes },
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
  app.get(PATHS.stats, (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    checkAuth(req, url, options.token);
    res.set('cache-control', 'no-store').json(stats(url.searchParams.get('reset') === '1'));
  });
  app.put(PATHS.feed, express.json({ limit: 1024 }), (req, res) => {
    checkAuth(req, new URL(req.url, 'http://localhost'), options.token);
    const { rate, payloadBytes } = parseFeedUpdate(req.body, publisher);
    publisher.configure(rate, payloadBytes);
    res.set('cache-control', 'no-store').json({ topics: adapter.hub.topicNames, rate: publisher.rate, payloadBytes: publisher.payloadBytes });
  });
  app.post(PATHS.drop, (req, res) => {
    checkAuth(req, new URL(req.url, 'http://localhost'), options.token);
    // Every connection but this request's own, which carries the answer.
    const dropped = dropConnections(req.socket);
    res.set('cache-control', 'no-store').json({ dropped });
  });
  app.use((req, _res, next) => {
    next(new WireError('NOT_FOUND', `${req.method} ${req.path} is not an endpoint of this ${options.transport} server`));
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const wire = toWireError(err);
    counters.error(wire.code);
    writeError(res, wire);
  });

  // One set of handlers for every listener: the main port and the extra ones are one server.
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // Browsers send Origin on cross-origin requests (pages are served from another port than the
    // streams): answer them with CORS headers. Node clients send none and pay nothing.
    if (req.headers.origin !== undefined) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS_PREFLIGHT_HEADERS).end();
        return;
      }
      for (const [name, value] of CORS_HEADERS) res.setHeader(name, value);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!adapter.handleRequest(req, res, url)) app(req, res);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (adapter.handleUpgrade === undefined || url.pathname !== adapter.connectPath) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    adapter.handleUpgrade(req, socket, head, url);
  };
  const onClientError = (_err: Error, socket: Duplex): void => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  };
  const listen = async (port: number): Promise<Server> => {
    const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, onRequest);
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
    stats,
    dropConnections,
    close,
  };
}

/**
 * Server-Sent Events adapter. Streams are served on node:http directly (express costs ~4x per
 * request here); each event is built once per encoding and written to every stream. The event id
 * is the stream's whole cursor, so the browser's automatic Last-Event-ID resumes every channel.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PATHS, type Encoding } from '../../scenarios/constants.ts';
import type { ControlMessage } from '../../scenarios/envelope.ts';
import { WireError } from '../../scenarios/errors.ts';
import { formatCursor, type Position } from '../../scenarios/names.ts';
import { onTokenExpiry } from '../access.ts';
import { checkAuth, failRequest, parseConnectParams } from '../http.ts';
import { ChannelList, Hub, type Channel, type HubMessage, type Member } from '../hub.ts';
import type { TransportAdapter, TransportContext } from '../transport.ts';
import { BacklogGuard, type Watched } from './backlog.ts';
import { handleMessagesPost } from './http-messages.ts';
import { writeCorked } from './cork.ts';
import { oncePerEncoding } from './once-per-encoding.ts';

const SLOW_CONSUMER_KILL_MS = 2000;
const HEARTBEAT = Buffer.from(': ping\n\n');
const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

class SseStream implements Member, Watched {
  readonly channels = new ChannelList();
  cut = false;
  allowance = 0;
  /**
   * The stream's secret, sent in its welcome only: POST /messages must present it to act for this
   * stream's client id, so nobody who merely knows (or guesses) an id can take it over. 128 bits.
   */
  readonly key = randomBytes(16).toString('base64url');
  /** Cancels the timer that ends the stream when its token expires (none for a token that never does). */
  cancelExpiry: (() => void) | undefined;
  /** The stream's socket when its response is chunked: fan-out writes whole chunks to it (see chunkOf). */
  socket: Socket | null = null;
  constructor(
    readonly res: ServerResponse,
    readonly client: string,
    readonly encoding: Encoding,
  ) {}
}

/**
 * node:http keeps a response's head for its whole life (`headersSent` reads it) as it built it: a
 * rope of some 23 string concatenations, about 740 bytes per stream at 10,000 streams (heap
 * snapshots). A flat copy of the same text takes about 200. Only the text is replaced, never its
 * content, and only while node keeps it as a string.
 */
function flattenHead(res: ServerResponse): void {
  const outgoing = res as unknown as { _header?: unknown };
  if (typeof outgoing._header === 'string') outgoing._header = Buffer.from(outgoing._header, 'latin1').toString('latin1');
}

/** The `data:` field of a message: JSON text, or the binary encoding in base64 (SSE is text-only). */
function dataField(message: HubMessage, encoding: Encoding): string {
  const encoded = message.encoded(encoding);
  return encoding === 'binary' ? encoded.toString('base64') : encoded.toString('utf8');
}

function event(id: string, data: string): Buffer {
  return Buffer.from(`id: ${id}\ndata: ${data}\n\n`);
}

/**
 * An event framed as one HTTP chunk, built once per message for every stream. Fan-out writes it
 * straight to each socket, corked per tick as the WebSocket adapter does, instead of through
 * ServerResponse.write, whose per-call bookkeeping (chunk header, its own cork) cost about 10 % of
 * the server's CPU per delivery at 170k deliveries/s here. Both paths end in socket.write in
 * program order, so direct chunks and the response's own writes (welcome, heartbeats, the final
 * error event and terminating chunk) stay in order.
 */
interface Chunked {
  chunk: Buffer;
  /** The event without its chunk framing, for a response that is not chunked (an HTTP/1.0 client). */
  body: Buffer;
}

function chunkOf(body: Buffer): Chunked {
  const head = `${body.length.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(head.length + body.length + 2);
  chunk.write(head, 0, 'latin1');
  body.copy(chunk, head.length);
  chunk.write('\r\n', head.length + body.length, 'latin1');
  return { chunk, body };
}

/** Control events that change the stream's position carry its cursor as id, so Last-Event-ID never lags behind. */
function controlEvent(message: ControlMessage, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`;
}

export function createSseTransport(context: TransportContext): TransportAdapter {
  const { options, counters } = context;
  // Keyed by response, so one 'close' listener (the response as `this`) finds its stream: a closure
  // per stream, with its context, cost about 100 bytes at 10,000 streams (heap snapshots).
  const streams = new Map<ServerResponse, SseStream>();
  // Arrays, not Sets: nearly every client id has one stream, and a Set's table costs about 190 bytes (heap snapshots).
  const byClient = new Map<string, SseStream[]>();
  const byKey = new Map<string, SseStream>();
  let nextClientId = 0;

  const forget = (stream: SseStream): void => {
    hub.detachAll(stream);
    streams.delete(stream.res);
    byKey.delete(stream.key);
    stream.cancelExpiry?.();
    const same = byClient.get(stream.client);
    const index = same?.indexOf(stream) ?? -1;
    if (index >= 0) same!.splice(index, 1);
    if (same?.length === 0) byClient.delete(stream.client);
  };

  /**
   * Ends a stream with an error event (BANNED, TOKEN_EXPIRED): the client learns why, and that it
   * should not come back as it was. Counted in /stats disconnects, not errors (as SLOW_CONSUMER).
   */
  const endWithError = (stream: SseStream, error: WireError): void => {
    forget(stream);
    stream.res.end(controlEvent({ type: 'error', ...error.toJSON() }));
  };

  /**
   * The open stream a POST acts for: `key` must be the key of an open stream of `client`. A wrong key,
   * no key and an unknown client get the same answer, so a POST cannot tell which ids exist.
   */
  const streamOf = (client: string | undefined, key: string | undefined): SseStream => {
    const stream = key === undefined ? undefined : byKey.get(key);
    if (stream === undefined || client === undefined || stream.client !== client) {
      throw new WireError('UNKNOWN_CLIENT', 'no open SSE stream has this client id and key');
    }
    return stream;
  };

  const cutSlowConsumer = (stream: SseStream): void => {
    if (stream.cut) return;
    stream.cut = true;
    counters.slowConsumerDisconnects++;
    forget(stream);
    const error = new WireError('SLOW_CONSUMER', 'the stream fell behind');
    // The stream ends with its error event, then the connection itself: if the client never reads
    // the event, the timer still frees the buffer.
    const socket = stream.res.socket;
    stream.res.end(controlEvent({ type: 'error', ...error.toJSON() }), () => socket?.destroy());
    setTimeout(() => socket?.destroy(), SLOW_CONSUMER_KILL_MS).unref();
  };

  const backlog = new BacklogGuard<SseStream>((stream) => stream.res.writableLength, options.maxBufferedBytes, cutSlowConsumer);

  const write = (stream: SseStream, data: Buffer): void => {
    stream.res.write(data);
    counters.delivered++;
    backlog.noteWrite(stream);
  };

  const writeChunk = (stream: SseStream, data: Chunked): void => {
    if (stream.socket !== null) writeCorked(stream.socket, data.chunk);
    else stream.res.write(data.body);
    counters.delivered++;
    backlog.noteWrite(stream);
  };

  const hub = new Hub<SseStream>(options, (message: HubMessage, channel: Channel<SseStream>) => {
    const oneChannelEvent = oncePerEncoding((encoding) => chunkOf(event(message.cursor, dataField(message, encoding))));
    for (const stream of channel.members) {
      if (stream.channels.size === 1) writeChunk(stream, oneChannelEvent(stream.encoding));
      else write(stream, event(hub.cursorOf(stream), dataField(message, stream.encoding)));
    }
  });

  function onStreamClose(this: ServerResponse): void {
    const stream = streams.get(this);
    if (stream !== undefined) forget(stream);
  }

  const openStream = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    try {
      if (req.method !== 'GET') throw new WireError('METHOD_NOT_ALLOWED', `${req.method} ${url.pathname}: use GET`);
      const expiresAtMs = checkAuth(req, url, options.token);
      const lastEventId = req.headers['last-event-id'];
      const override = typeof lastEventId === 'string' ? { text: lastEventId, source: 'Last-Event-ID' } : undefined;
      const params = parseConnectParams(url, options.encoding, override);
      context.bans.check(params.client);
      const subscription = hub.resolve(params.topics, params.rooms, params.cursor);
      const catchup = hub.catchup(subscription.channels, subscription.held, params.encoding);

      const stream = new SseStream(res, params.client ?? `c${++nextClientId}`, params.encoding);
      res.writeHead(200, STREAM_HEADERS);
      flattenHead(res);
      const cursor = hub.heldCursor(subscription);
      let head = `retry: ${options.sseRetryMs}\n\n` + controlEvent({ type: 'welcome', client: stream.client, cursor, key: stream.key }, cursor);
      for (const gap of catchup.missed) {
        counters.replayTruncations++;
        head += controlEvent({ type: 'error', code: 'REPLAY_TRUNCATED', message: `${gap.channel}:${gap.first}-${gap.last} are no longer held` });
      }
      res.write(head);
      // After the first write the head is on the socket and the response is this socket's current one.
      const chunked = (res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true;
      if (chunked && res.socket !== null) stream.socket = res.socket;
      // Catch-up ids advance from the held position; once attached, the stream's cursor is derived.
      // A loop, not a callback: a callback would capture `subscription` in the context that the
      // stream's close listener keeps for the stream's whole life.
      const position: Position = new Map();
      for (let i = 0; i < subscription.channels.length; i++) position.set(subscription.channels[i]!.name, subscription.held[i]!);
      for (const message of catchup.messages) {
        position.set(message.channel, message.seq);
        write(stream, event(formatCursor(position), dataField(message, stream.encoding)));
      }
      stream.allowance = res.writableLength;
      for (const channel of subscription.channels) hub.attach(stream, channel);
      streams.set(res, stream);
      byKey.set(stream.key, stream);
      counters.connectionsTotal++;
      const same = byClient.get(stream.client);
      if (same === undefined) byClient.set(stream.client, [stream]);
      else same.push(stream);
      stream.cancelExpiry = onTokenExpiry(expiresAtMs, () => {
        counters.expiredDisconnects++;
        endWithError(stream, new WireError('TOKEN_EXPIRED', 'the token of this stream expired'));
      });
      res.on('close', onStreamClose);
    } catch (err) {
      failRequest(res, err, counters);
    }
  };

  const heartbeat = setInterval(() => {
    for (const stream of streams.values()) stream.res.write(HEARTBEAT);
  }, options.heartbeatMs);
  heartbeat.unref();

  return {
    hub,
    connectPath: PATHS.sse,
    handleRequest(req, res, url): boolean {
      if (url.pathname === PATHS.sse) openStream(req, res, url);
      else if (url.pathname === PATHS.messages) {
        handleMessagesPost(
          req,
          res,
          url,
          context,
          hub,
          (client, message, key) => {
            // Join and leave apply to the one stream the key names.
            const stream = streamOf(client, key);
            let reply: ControlMessage;
            if (message.type === 'join') {
              const room = hub.join(stream, message.room);
              reply = { type: 'joined', room: room.name, cursor: `${room.name}:${room.seq}` };
            } else {
              hub.leave(stream, message.room);
              reply = { type: 'left', room: message.room };
            }
            // The stream hears it too, with its new cursor as id, so a reconnect resumes in the right rooms.
            stream.res.write(controlEvent(reply, hub.cursorOf(stream)));
            return reply;
          },
          (client, key) => void streamOf(client, key),
        );
      } else return false;
      return true;
    },
    openConnections: () => streams.size,
    endClient(client: string, error: WireError): number {
      const open = [...(byClient.get(client) ?? [])];
      for (const stream of open) endWithError(stream, error);
      return open.length;
    },
    shutdown(): void {
      clearInterval(heartbeat);
      const goodbye = controlEvent({ type: 'error', ...new WireError('SHUTTING_DOWN', 'the server is stopping').toJSON() });
      for (const stream of [...streams.values()]) {
        forget(stream);
        stream.res.end(goodbye);
      }
    },
  };
}

/**
 * Long-polling adapter. A poll names its channels and cursor; it is answered at once with every
 * message after the cursor (bounded by --poll-max-batch-bytes), or held until the next message or
 * the poll timeout. Stateless between polls: the cursor and the replay buffers guarantee that
 * nothing is lost or duplicated between two polls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CURSOR_HEADER, PATHS, TRUNCATED_HEADER, type Encoding } from '../../scenarios/constants.ts';
import { quoteInput, WireError } from '../../scenarios/errors.ts';
import { formatCursor } from '../../scenarios/names.ts';
import { checkAuth, failRequest, parseConnectParams, writeError } from '../http.ts';
import { ChannelList, Hub, type Catchup, type Channel, type Member } from '../hub.ts';
import type { TransportAdapter, TransportContext } from '../transport.ts';
import { DeadlineLists } from './deadlines.ts';
import { handleMessagesPost } from './http-messages.ts';

const JSON_OPEN = Buffer.from('[');
const JSON_COMMA = Buffer.from(',');
const JSON_CLOSE = Buffer.from(']');
const CONTENT_TYPE: Record<Encoding, string> = { json: 'application/json', binary: 'application/octet-stream' };

class PendingPoll implements Member {
  readonly channels = new ChannelList();
  /** Only for a poll whose token expires before its wait ends (rare): other polls share the wait's list. */
  expiryTimer: NodeJS.Timeout | undefined;
  /** The wait this poll is listed under in `deadlines`; undefined when it is not listed. */
  wait: number | undefined;
  /** The address this held poll counts against (--max-held-polls-per-ip). */
  heldBy: string | undefined;
  constructor(
    readonly res: ServerResponse,
    readonly subscribed: Channel<PendingPoll>[],
    readonly held: number[],
    readonly encoding: Encoding,
  ) {}
}

interface Batch {
  body: Buffer;
  count: number;
  cursor: string;
  truncated: string | undefined;
  truncatedRanges: number;
}

function toBatch(catchup: Catchup, encoding: Encoding): Batch {
  const parts: Buffer[] = [];
  if (encoding === 'json') parts.push(JSON_OPEN);
  catchup.messages.forEach((message, i) => {
    if (encoding === 'json' && i > 0) parts.push(JSON_COMMA);
    parts.push(message.encoded(encoding));
  });
  if (encoding === 'json') parts.push(JSON_CLOSE);
  return {
    body: Buffer.concat(parts),
    count: catchup.messages.length,
    cursor: formatCursor(catchup.cursor),
    truncated: catchup.missed.length === 0 ? undefined : catchup.missed.map((m) => `${m.channel}:${m.first}-${m.last}`).join(','),
    truncatedRanges: catchup.missed.length,
  };
}

/** `wait`: the longest this poll may be held, in ms; at most (and by default) --poll-timeout-ms. */
function waitOf(url: URL, maxWaitMs: number): number {
  const text = url.searchParams.get('wait');
  if (text === null) return maxWaitMs;
  const wait = Number(text);
  if (!/^\d+$/.test(text) || wait > maxWaitMs) throw new WireError('BAD_QUERY', `wait must be a whole number of ms from 0 to ${maxWaitMs}, got ${quoteInput(text)}`);
  return wait;
}

export function createLongPollTransport(context: TransportContext): TransportAdapter {
  const { options, counters, limits } = context;
  // Keyed by response, so one 'close' listener (the response as `this`) finds its poll: a closure
  // per held poll, with its context, cost about 100 bytes at 10,000 (heap snapshots).
  const pending = new Map<ServerResponse, PendingPoll>();
  const ready = new Set<PendingPoll>();
  let flushScheduled = false;

  // A JSON batch adds brackets and a comma between messages; the limit covers the whole body.
  const catchupFor = (channels: Channel<PendingPoll>[], held: number[], encoding: Encoding): Catchup =>
    encoding === 'json' ? hub.catchup(channels, held, encoding, options.pollMaxBatchBytes - 1, 1) : hub.catchup(channels, held, encoding, options.pollMaxBatchBytes);

  const respond = (res: ServerResponse, batch: Batch, encoding: Encoding): void => {
    const headers: Record<string, string | number> = {
      'content-type': CONTENT_TYPE[encoding],
      'content-length': batch.body.length,
      'cache-control': 'no-store',
      [CURSOR_HEADER]: batch.cursor,
    };
    if (batch.truncated !== undefined) {
      headers[TRUNCATED_HEADER] = batch.truncated;
      counters.replayTruncations += batch.truncatedRanges;
    }
    res.writeHead(200, headers);
    res.end(batch.body);
    counters.delivered += batch.count;
  };

  const release = (poll: PendingPoll): void => {
    clearTimeout(poll.expiryTimer);
    if (poll.wait !== undefined) deadlines.delete(poll, poll.wait);
    hub.detachAll(poll);
    if (pending.delete(poll.res)) limits.releasePoll(poll.heldBy);
    ready.delete(poll);
  };

  // Polls woken in one turn of the loop are answered together, so messages published in the same
  // turn share a response, and polls waiting at the same cursor share one body.
  const flush = (): void => {
    flushScheduled = false;
    const shared = new Map<string, Batch>();
    for (const poll of ready) {
      release(poll);
      const key = poll.subscribed.length === 1 ? `${poll.subscribed[0]!.name}:${poll.held[0]}:${poll.encoding}` : undefined;
      let batch = key === undefined ? undefined : shared.get(key);
      if (batch === undefined) {
        batch = toBatch(catchupFor(poll.subscribed, poll.held, poll.encoding), poll.encoding);
        if (key !== undefined) shared.set(key, batch);
      }
      respond(poll.res, batch, poll.encoding);
    }
    ready.clear();
  };

  // A poll held to its wait's end is answered with what it is owed then (nothing, unless a message
  // came in this very turn): worked out now, not kept from the request, so a held poll keeps no catch-up.
  const deadlines = new DeadlineLists<PendingPoll>((waiting) => {
    release(waiting);
    respond(waiting.res, toBatch(catchupFor(waiting.subscribed, waiting.held, waiting.encoding), waiting.encoding), waiting.encoding);
  });

  const hub = new Hub<PendingPoll>(options, (_message, channel: Channel<PendingPoll>) => {
    for (const poll of channel.members) ready.add(poll);
    if (!flushScheduled && ready.size > 0) {
      flushScheduled = true;
      setImmediate(flush);
    }
  });

  function onPollClose(this: ServerResponse): void {
    const waiting = pending.get(this);
    if (waiting !== undefined) release(waiting);
  }

  const poll = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    try {
      if (req.method !== 'GET') throw new WireError('METHOD_NOT_ALLOWED', `${req.method} ${url.pathname}: use GET`);
      const expiresAtMs = checkAuth(req, url, options.token);
      limits.checkPoll(req, res);
      const params = parseConnectParams(url, options.encoding, undefined, ['wait']);
      const wait = waitOf(url, options.pollTimeoutMs);
      if (params.client !== undefined) throw new WireError('BAD_QUERY', 'a poll takes no client id; name it on POST /messages instead');
      if (params.topics.length + params.rooms.length + (params.cursor?.size ?? 0) === 0) {
        throw new WireError('BAD_QUERY', 'a poll must name at least one topic= or room=');
      }
      const subscription = hub.resolve(params.topics, params.rooms, params.cursor);
      counters.connectionsTotal++;
      const catchup = catchupFor(subscription.channels, subscription.held, params.encoding);
      // A first poll (no cursor) is the handshake: it returns at once with the client's start position.
      if (params.cursor === undefined || wait === 0 || catchup.messages.length > 0 || catchup.missed.length > 0) {
        respond(res, toBatch(catchup, params.encoding), params.encoding);
        return;
      }
      const waiting = new PendingPoll(res, subscription.channels as Channel<PendingPoll>[], subscription.held, params.encoding);
      for (const channel of waiting.subscribed) hub.attach(waiting, channel);
      pending.set(res, waiting);
      waiting.heldBy = limits.holdPoll(req);
      // A token that expires during the hold ends it then, with a 401, instead of the wait's end.
      const untilExpiry = expiresAtMs === undefined ? Infinity : expiresAtMs - Date.now();
      if (untilExpiry < wait) {
        waiting.expiryTimer = setTimeout(() => {
          release(waiting);
          counters.expiredDisconnects++;
          writeError(res, new WireError('TOKEN_EXPIRED', 'the token of this poll expired while it was held'));
        }, untilExpiry);
      } else {
        waiting.wait = wait;
        deadlines.add(waiting, wait);
      }
      res.on('close', onPollClose);
    } catch (err) {
      failRequest(res, err, counters);
    }
  };

  return {
    hub,
    connectPath: PATHS.poll,
    handleRequest(req, res, url): boolean {
      if (url.pathname === PATHS.poll) poll(req, res, url);
      else if (url.pathname === PATHS.messages) {
        handleMessagesPost(req, res, url, context, hub, () => {
          throw new WireError('NOT_SUPPORTED', 'long-poll has no join or leave: a poll subscribes to the topic= and room= it names');
        });
      } else return false;
      return true;
    },
    openConnections: () => pending.size,
    shutdown(): void {
      for (const waiting of [...pending.values()]) {
        release(waiting);
        writeError(waiting.res, new WireError('SHUTTING_DOWN', 'the server is stopping'));
      }
    },
  };
}

/**
 * WebSocket adapter (ws on node:http). A broadcast is encoded and framed once per encoding; the
 * frame is written straight to every recipient's socket, corked per tick.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as wsLibrary from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeClient } from '../../scenarios/codec.ts';
import { CLOSE_CODES, PATHS, RATE_LIMIT_CLOSE_REASON, type Encoding } from '../../scenarios/constants.ts';
import type { ClientMessage, ControlMessage } from '../../scenarios/envelope.ts';
import { onTokenExpiry } from '../access.ts';
import { checkAuth, parseConnectParams, toWireError } from '../http.ts';
import { ChannelList, Hub, type Channel, type HubMessage, type Member } from '../hub.ts';
import type { MessageRateLimit, MessageVerdict } from '../limits/message-rate.ts';
import type { TransportAdapter, TransportContext } from '../transport.ts';
import { BacklogGuard, type Watched } from './backlog.ts';
import { writeCorked } from './cork.ts';
import { oncePerEncoding } from './once-per-encoding.ts';

const SLOW_CONSUMER_KILL_MS = 2000;
const WS_OPEN = 1;

class WsMember implements Member, Watched {
  readonly channels = new ChannelList();
  alive = true;
  cut = false;
  allowance = 0;
  /** This connection's message limit, made at its first message (most connections never send one); undefined until then or when limits are off. */
  rate: MessageRateLimit | undefined = undefined;
  /** Cancels the timer that closes the connection when its token expires (none for a token that never does). */
  cancelExpiry: (() => void) | undefined;
  constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
    readonly client: string,
    readonly encoding: Encoding,
  ) {}
}

/**
 * A WebSocket that knows its member, so one set of listeners (with the socket as `this`) serves every
 * connection: a closure per listener cost about 210 bytes per connection together (heap snapshots at 10,000).
 * ws takes such a subclass through its `WebSocket` option.
 */
class MemberWebSocket extends WebSocket {
  member: WsMember | undefined = undefined;
}

/** The member of an accepted connection (the listeners below are added only once it is set). */
function memberOf(ws: WebSocket): WsMember {
  return (ws as MemberWebSocket).member!;
}

type FrameOptions = { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean };
// Sender.frame is public in ws (lib/sender.js) but missing from @types/ws.
const frameParts = (wsLibrary as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } }).Sender.frame;

function frame(data: Buffer, encoding: Encoding): Buffer {
  const parts = frameParts(data, { fin: true, rsv1: false, opcode: encoding === 'binary' ? 2 : 1, mask: false, readOnly: true });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export function createWsTransport({ options, counters, limits, bans }: TransportContext): TransportAdapter {
  const members = new Set<WsMember>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false, clientTracking: false, WebSocket: MemberWebSocket });
  let nextClientId = 0;

  const cutSlowConsumer = (member: WsMember): void => {
    if (member.cut) return;
    member.cut = true;
    counters.slowConsumerDisconnects++;
    hub.detachAll(member);
    members.delete(member);
    member.ws.close(CLOSE_CODES.slowConsumer, 'SLOW_CONSUMER');
    setTimeout(() => member.ws.terminate(), SLOW_CONSUMER_KILL_MS).unref();
  };

  const backlog = new BacklogGuard<WsMember>((member) => member.socket.writableLength, options.maxBufferedBytes, cutSlowConsumer);

  const writeFrame = (member: WsMember, data: Buffer): void => {
    // After a close frame (ours or the peer's) no data frame may follow (RFC 6455 §5.5.1).
    if (member.ws.readyState !== WS_OPEN) {
      hub.detachAll(member);
      return;
    }
    writeCorked(member.socket, data);
    counters.delivered++;
    backlog.noteWrite(member);
  };

  const hub = new Hub<WsMember>(options, (message: HubMessage, channel: Channel<WsMember>) => {
    const framed = oncePerEncoding((encoding) => frame(message.encoded(encoding), encoding));
    for (const member of channel.members) writeFrame(member, framed(member.encoding));
  });

  const sendControl = (ws: WebSocket, message: ControlMessage): void => {
    ws.send(JSON.stringify(message));
  };

  // A message over the limit is dropped with an error; persistent flooding also closes with 1008.
  const refuseMessage = (member: WsMember, rate: MessageRateLimit, verdict: MessageVerdict): void => {
    if (verdict === 'closed') return;
    sendControl(member.ws, { type: 'error', ...limits.messageRefused(rate).toJSON() });
    if (verdict !== 'close') return;
    counters.rateLimitDisconnects++;
    hub.detachAll(member);
    members.delete(member);
    member.ws.close(CLOSE_CODES.rateLimited, RATE_LIMIT_CLOSE_REASON);
    // Terminated after the same grace as a slow consumer: a flooder may never finish the close handshake.
    setTimeout(() => member.ws.terminate(), SLOW_CONSUMER_KILL_MS).unref();
  };

  const handleMessage = (member: WsMember, message: ClientMessage): void => {
    if (message.type === 'send') {
      const binaryPayload = typeof message.payload !== 'string';
      const payload = binaryPayload ? Buffer.from(message.payload as Uint8Array) : Buffer.from(message.payload as string);
      hub.send(member.client, message.room, message.mid, payload, binaryPayload);
    } else if (message.type === 'join') {
      const room = hub.join(member, message.room);
      sendControl(member.ws, { type: 'joined', room: room.name, cursor: `${room.name}:${room.seq}` });
    } else {
      hub.leave(member, message.room);
      sendControl(member.ws, { type: 'left', room: message.room });
    }
  };

  const onWsError = (err: Error & { code?: string }): void => {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') counters.error('MESSAGE_TOO_LARGE');
  };

  /** Ends an open connection whose client was banned or whose token expired: 4003 / 4002, no error message first (as 4001). */
  const closeFinal = (member: WsMember, code: number, reason: 'BANNED' | 'TOKEN_EXPIRED'): void => {
    hub.detachAll(member);
    members.delete(member);
    member.cancelExpiry?.();
    member.ws.close(code, reason);
  };

  function onPong(this: WebSocket): void {
    memberOf(this).alive = true;
  }

  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    const member = memberOf(this);
    member.alive = true;
    if (limits.limitsMessages) {
      member.rate ??= limits.forConnection();
      const verdict = member.rate!.check(performance.now());
      if (verdict !== 'admit') return refuseMessage(member, member.rate!, verdict);
    }
    try {
      handleMessage(member, decodeClient(data, isBinary));
    } catch (err) {
      const wire = toWireError(err);
      counters.error(wire.code);
      sendControl(this, { type: 'error', ...wire.toJSON() });
    }
  }

  function onClose(this: WebSocket): void {
    const member = memberOf(this);
    hub.detachAll(member);
    members.delete(member);
    member.cancelExpiry?.();
  }

  const accept = (ws: MemberWebSocket, req: IncomingMessage, url: URL): void => {
    // First, on every WebSocket, refused ones too: ws reports a bad frame (unmasked, a reserved
    // opcode, over --max-message-bytes) as an 'error' event, and a peer may send one after our
    // close frame. ws closes the connection itself; without a listener the process would exit.
    ws.on('error', onWsError);
    let expiresAtMs: number | undefined;
    try {
      expiresAtMs = checkAuth(req, url, options.token);
    } catch (err) {
      const code = toWireError(err).code === 'TOKEN_EXPIRED' ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED';
      counters.error(code);
      ws.close(code === 'TOKEN_EXPIRED' ? CLOSE_CODES.tokenExpired : CLOSE_CODES.unauthorized, code);
      return;
    }
    let params;
    let subscription;
    try {
      params = parseConnectParams(url, options.encoding);
      // Before resolve(), which creates rooms: a refused connect leaves no trace.
      bans.check(params.client);
      subscription = hub.resolve(params.topics, params.rooms, params.cursor);
    } catch (err) {
      const wire = toWireError(err);
      counters.error(wire.code);
      if (wire.code === 'BANNED') {
        ws.close(CLOSE_CODES.forbidden, 'BANNED');
        return;
      }
      sendControl(ws, { type: 'error', ...wire.toJSON() });
      ws.close(CLOSE_CODES.badRequest, wire.code);
      return;
    }
    const socket = (ws as unknown as { _socket: Socket })._socket;
    const member = new WsMember(ws, socket, params.client ?? `c${++nextClientId}`, params.encoding);
    members.add(member);
    counters.connectionsTotal++;
    member.cancelExpiry = onTokenExpiry(expiresAtMs, () => {
      counters.expiredDisconnects++;
      closeFinal(member, CLOSE_CODES.tokenExpired, 'TOKEN_EXPIRED');
    });
    for (const channel of subscription.channels) hub.attach(member, channel);
    const catchup = hub.catchup(subscription.channels, subscription.held, member.encoding);
    sendControl(ws, { type: 'welcome', client: member.client, cursor: hub.heldCursor(subscription) });
    for (const gap of catchup.missed) {
      counters.replayTruncations++;
      sendControl(ws, { type: 'error', code: 'REPLAY_TRUNCATED', message: `${gap.channel}:${gap.first}-${gap.last} are no longer held` });
    }
    for (const message of catchup.messages) writeFrame(member, frame(message.encoded(member.encoding), member.encoding));
    member.allowance = socket.writableLength;

    ws.member = member;
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  };

  const heartbeat = setInterval(() => {
    for (const member of members) {
      if (!member.alive) {
        counters.heartbeatDisconnects++;
        hub.detachAll(member);
        members.delete(member);
        member.ws.terminate();
        continue;
      }
      member.alive = false;
      member.ws.ping();
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  return {
    hub,
    connectPath: PATHS.ws,
    handleRequest: () => false,
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws as MemberWebSocket, req, url));
    },
    openConnections: () => members.size,
    endClient(client: string): number {
      const banned = [...members].filter((member) => member.client === client);
      for (const member of banned) closeFinal(member, CLOSE_CODES.forbidden, 'BANNED');
      return banned.length;
    },
    shutdown(): void {
      clearInterval(heartbeat);
      for (const member of members) {
        hub.detachAll(member);
        member.ws.close(CLOSE_CODES.goingAway, 'SHUTTING_DOWN');
      }
      members.clear();
    },
  };
}

/**
 * POST /messages: how SSE and long-poll clients talk to the server. The body is one client
 * message, the same as a WebSocket frame: JSON (application/json) or binary (application/octet-stream).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeClient } from '../../scenarios/codec.ts';
import type { ClientMessage, ControlMessage } from '../../scenarios/envelope.ts';
import { quoteInput, WireError } from '../../scenarios/errors.ts';
import { validateName } from '../../scenarios/names.ts';
import { checkAuth, failRequest, readBody } from '../http.ts';
import type { PublicHub } from '../hub.ts';
import type { TransportContext } from '../transport.ts';

/** join/leave for `client`; `key` is the POST's `key` parameter (SSE: which of the client's streams). */
export type MembershipHandler = (client: string | undefined, message: Extract<ClientMessage, { type: 'join' | 'leave' }>, key: string | undefined) => ControlMessage;
/**
 * Throws unless the POST may speak as `client`; given by a transport whose client ids are held by
 * open connections (SSE: the `key` of one of them), which then also takes the `key` parameter.
 */
export type SenderCheck = (client: string | undefined, key: string | undefined) => void;

const ANONYMOUS = 'anonymous';

function bodyKind(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type === 'text/plain') return false;
  if (type === 'application/octet-stream') return true;
  throw new WireError('UNSUPPORTED_MEDIA_TYPE', `content-type ${quoteInput(type)} is not accepted`);
}

/** Bodies are read as sent: a compressed one would be decoded as garbage, so it is refused as HTTP says (415). */
function refuseContentEncoding(req: IncomingMessage): void {
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    throw new WireError('UNSUPPORTED_MEDIA_TYPE', `content-encoding ${quoteInput(coding)} is not accepted`);
  }
}

export function handleMessagesPost(req: IncomingMessage, res: ServerResponse, url: URL, context: TransportContext, hub: PublicHub, membership: MembershipHandler, checkSender?: SenderCheck): void {
  const fail = (err: unknown): void => failRequest(res, err, context.counters);
  try {
    if (req.method !== 'POST') throw new WireError('METHOD_NOT_ALLOWED', `${req.method} ${url.pathname}: use POST`);
    checkAuth(req, url, context.options.token);
    const known = checkSender === undefined ? ['client', 'token'] : ['client', 'key', 'token'];
    for (const key of url.searchParams.keys()) {
      if (!known.includes(key) && !key.startsWith('_')) throw new WireError('BAD_QUERY', `unknown query parameter ${quoteInput(key)} (known: ${known.join(', ')})`);
    }
    const clientParam = url.searchParams.get('client');
    const client = clientParam === null ? undefined : validateName('client', clientParam);
    const key = url.searchParams.get('key') ?? undefined;
    context.bans.check(client);
    context.limits.checkMessagePost(req, res, client);
    context.limits.holdUpload(req, res);
    const isBinary = bodyKind(req);
    refuseContentEncoding(req);
    readBody(req, context.options.maxMessageBytes).then((body) => {
      try {
        const message = decodeClient(body, isBinary);
        if (message.type === 'send') {
          // A send under a client's name must prove it holds that client's stream; anonymous sends need nothing.
          if (checkSender !== undefined && (client !== undefined || key !== undefined)) checkSender(client, key);
          const binaryPayload = typeof message.payload !== 'string';
          hub.send(client ?? ANONYMOUS, message.room, message.mid, Buffer.from(message.payload as Uint8Array), binaryPayload);
          res.writeHead(204).end();
          return;
        }
        const reply = JSON.stringify(membership(client, message, key));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) }).end(reply);
      } catch (err) {
        fail(err);
      }
    }, fail);
  } catch (err) {
    req.resume();
    fail(err);
  }
}

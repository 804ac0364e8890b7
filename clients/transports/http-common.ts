/** What the SSE and long-poll clients share: an undici pool that counts bytes, and POST /messages. */
import { Pool, type Dispatcher } from 'undici';
import { decodeControl } from '../../scenarios/codec-json.ts';
import { encodeClient } from '../../scenarios/codec.ts';
import { PATHS, type Encoding } from '../../scenarios/constants.ts';
import type { ClientMessage, ControlMessage } from '../../scenarios/envelope.ts';
import type { SocketBytes } from '../../scenarios/socket-bytes.ts';
import { countingConnector } from '../byte-counter.ts';
import { ClientError } from '../client.ts';

/** Two connections: one held by the stream or poll, one free for POSTs. */
export function createPool(url: string, counter: SocketBytes, bodyTimeoutMs: number): Pool {
  return new Pool(new URL(url).origin, { connections: 2, connect: countingConnector(counter), bodyTimeout: bodyTimeoutMs, headersTimeout: 30_000 });
}

/** Reads a protocol error body ({code, message}) into a ClientError; 4xx cannot be fixed by retrying. */
export async function errorFromResponse(response: Dispatcher.ResponseData): Promise<ClientError> {
  const text = await response.body.text();
  let code = `HTTP_${response.statusCode}`;
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'string') code = parsed.code;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not a protocol error body; keep the raw text
  }
  const fatal = response.statusCode >= 400 && response.statusCode < 500;
  return new ClientError(code, message, fatal, response.statusCode);
}

/** `key`: SSE, the key of the client's open stream (its welcome), which a POST under its id must present. */
export async function postMessage(pool: Pool, message: ClientMessage, encoding: Encoding, clientId: string | undefined, token: string | undefined, key?: string): Promise<ControlMessage | undefined> {
  const query = new URLSearchParams();
  if (clientId !== undefined) query.set('client', clientId);
  if (key !== undefined) query.set('key', key);
  if (token !== undefined) query.set('token', token);
  const body = encodeClient(message, encoding);
  const response = await pool.request({
    path: `${PATHS.messages}?${query.toString()}`,
    method: 'POST',
    headers: { 'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' },
    body,
  });
  if (response.statusCode === 204) {
    await response.body.dump();
    return undefined;
  }
  if (response.statusCode !== 200) throw await errorFromResponse(response);
  return decodeControl(await response.body.text());
}

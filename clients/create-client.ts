import type { TransportName } from '../scenarios/constants.ts';
import type { ClientOptions, PushClient } from './client.ts';
import { LongPollClient } from './transports/long-poll.ts';
import { SseClient } from './transports/sse.ts';
import { WsClient } from './transports/ws.ts';

const CLIENTS: Record<TransportName, new (options: ClientOptions) => PushClient> = {
  ws: WsClient,
  sse: SseClient,
  'long-poll': LongPollClient,
};

export function createClient(transport: TransportName, options: ClientOptions): PushClient {
  return new CLIENTS[transport](options);
}

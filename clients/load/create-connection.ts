import type { TransportName } from '../../scenarios/constants.ts';
import type { LoadConnection, LoadConnectionSpec, LoadContext } from './load-connection.ts';
import { LongPollLoadConnection } from './transports/long-poll.ts';
import { SseLoadConnection } from './transports/sse.ts';
import { WsLoadConnection } from './transports/ws.ts';

const ADAPTERS: Record<TransportName, new (spec: LoadConnectionSpec, context: LoadContext) => LoadConnection> = {
  ws: WsLoadConnection,
  sse: SseLoadConnection,
  'long-poll': LongPollLoadConnection,
};

export function createLoadConnection(spec: LoadConnectionSpec, context: LoadContext): LoadConnection {
  return new ADAPTERS[context.endpoint.transport](spec, context);
}

/**
 * Chat: rooms of members, every member sending at a set rate on an open-loop schedule and every
 * member of the room receiving each message (its sender's copy is the round trip). Sizes and rates
 * come from the configuration's `chat` group (Node clients) or `browser` group (browser clients).
 */
import type { BenchConfig } from './bench-options.ts';
import { CHROMIUM_CONNECTIONS_PER_ORIGIN, type ClientKind } from './constants.ts';
import { CLIENT_ID_PREFIX, type ConnectionSpec, type Scenario } from './scenario.ts';

interface Rooms {
  rooms: number;
  membersPerRoom: number;
  /** Sends per member per second in the fixed run. */
  sendRate: number;
}

const ROOMS: Readonly<Record<ClientKind, (config: BenchConfig) => Rooms>> = {
  node: (config) => ({ rooms: config.chat.rooms, membersPerRoom: config.chat.membersPerRoom, sendRate: config.chat.sendRatePerMember }),
  // Browser runs may have their own send rate; null: the Node rate.
  browser: (config) => ({ rooms: config.browser.chatRooms, membersPerRoom: config.browser.chatMembersPerRoom, sendRate: config.browser.chatSendRatePerMember ?? config.chat.sendRatePerMember }),
};

function connectionSpecs(config: BenchConfig, client: ClientKind): ConnectionSpec[] {
  const { rooms, membersPerRoom } = ROOMS[client](config);
  const prefix = CLIENT_ID_PREFIX[client];
  const specs: ConnectionSpec[] = [];
  for (let r = 0; r < rooms; r++) {
    for (let m = 0; m < membersPerRoom; m++) specs.push({ id: `${prefix}r${r}m${m}`, topics: [], rooms: [`room${r}`] });
  }
  return specs;
}

export const CHAT: Scenario = {
  name: 'chat',
  title: 'Chat',
  pace: 'senders',
  roundTrips: true,
  payloadBytes: (config) => config.chat.payloadBytes,
  connections: (config, client) => {
    const { rooms, membersPerRoom } = ROOMS[client](config);
    return rooms * membersPerRoom;
  },
  connectionSpecs: (config, client) => connectionSpecs(config, client),
  fixedRate: (config, client) => ROOMS[client](config).sendRate,
  capacityRates: (config) => config.capacity.chatRates,
  capacityBounds: (config) => ({ startRate: config.capacity.chatStartRate, maxRate: config.capacity.chatMaxRate }),
  // Whole rooms of the configured size, at least one: a count between two multiples rounds down.
  sizedFor: (config, connections, rate) => ({ ...config, chat: { ...config.chat, rooms: Math.max(1, Math.floor(connections / config.chat.membersPerRoom)), sendRatePerMember: rate } }),
  // Every member sends.
  messagesPerSec: (rate, connections) => rate * connections,
  // Every member of the room, the sender included (its own copy back is the round trip).
  recipientsPerMessage: (config, client) => ROOMS[client](config).membersPerRoom,
  load: (rate, config, client) => {
    const { rooms, membersPerRoom } = ROOMS[client](config);
    return { publishRatePerSec: null, sendRatePerMember: rate, rooms, membersPerRoom };
  },
  // Chat clients POST their sends (SSE, long-poll) through the same per-origin pool as their streams: half of it each.
  streamsPerOrigin: CHROMIUM_CONNECTIONS_PER_ORIGIN / 2,
  // The reconnect figures are defined on the feed (feed.ts).
  coldStartWarmupMs: 4000,
  reconnectRun: false,
  describeSize: (config, client) => {
    const { rooms, membersPerRoom } = ROOMS[client](config);
    return `${rooms} rooms x ${membersPerRoom} members`;
  },
  sizedBy: {
    node: 'chat.rooms or chat.membersPerRoom (--rooms, --room-size, --connections)',
    browser: '--browser-clients (or --connections with --clients browser), browser.chatRooms or browser.chatMembersPerRoom',
  },
};

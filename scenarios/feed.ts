/**
 * The feed: one topic, every connection subscribed to it, the server publishing at a set rate
 * (PUT /feed) and every subscriber receiving each message. Sizes and rates come from the
 * configuration's `feed` group (Node clients) or `browser` group (browser clients).
 */
import type { BenchConfig } from './bench-options.ts';
import { CHROMIUM_CONNECTIONS_PER_ORIGIN, type ClientKind } from './constants.ts';
import { CLIENT_ID_PREFIX, type Scenario } from './scenario.ts';

const SUBSCRIBERS: Readonly<Record<ClientKind, (config: BenchConfig) => number>> = {
  node: (config) => config.feed.subscribers,
  browser: (config) => config.browser.feedSubscribers,
};

/** Browser runs may have their own rate (Chromium costs far more per message than a load worker); null: the Node rate. */
const FIXED_RATE: Readonly<Record<ClientKind, (config: BenchConfig) => number>> = {
  node: (config) => config.feed.ratePerSec,
  browser: (config) => config.browser.feedRatePerSec ?? config.feed.ratePerSec,
};

export const FEED: Scenario = {
  name: 'feed',
  title: 'Feed',
  pace: 'publisher',
  roundTrips: false,
  payloadBytes: (config) => config.feed.payloadBytes,
  connections: (config, client) => SUBSCRIBERS[client](config),
  connectionSpecs: (config, client, topic) =>
    Array.from({ length: SUBSCRIBERS[client](config) }, (_, i) => ({ id: `${CLIENT_ID_PREFIX[client]}f${i}`, topics: [topic], rooms: [] })),
  fixedRate: (config, client) => FIXED_RATE[client](config),
  capacityRates: (config) => config.capacity.feedRates,
  capacityBounds: (config) => ({ startRate: config.capacity.feedStartRate, maxRate: config.capacity.feedMaxRate }),
  sizedFor: (config, connections, rate) => ({ ...config, feed: { ...config.feed, subscribers: connections, ratePerSec: rate } }),
  // One topic: the rate is the topic's, whatever the number of subscribers.
  messagesPerSec: (rate) => rate,
  recipientsPerMessage: (_config, _client, connections) => connections,
  load: (rate) => ({ publishRatePerSec: rate, sendRatePerMember: null, rooms: null, membersPerRoom: null }),
  // Feed clients only hold their stream: they may take every connection Chromium gives an origin.
  streamsPerOrigin: CHROMIUM_CONNECTIONS_PER_ORIGIN,
  // The reconnect figures are defined on the feed: one topic, every client resuming from its cursor.
  coldStartWarmupMs: 0,
  reconnectRun: true,
  describeSize: (config, client) => `${SUBSCRIBERS[client](config)} subscribers`,
  sizedBy: {
    node: 'feed.subscribers (--connections)',
    browser: '--browser-clients (or --connections with --clients browser) or browser.feedSubscribers',
  },
};

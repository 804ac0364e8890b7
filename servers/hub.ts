/**
 * The scenario logic, written once: feed topics, chat rooms, sequence numbers, replay buffers and
 * fan-out. It knows nothing of sockets; a transport adapter hands it a fan-out function and
 * registers its connections as members.
 */
import { encodeData, type EncodableData } from '../scenarios/codec.ts';
import { nowMicros } from '../scenarios/clock.ts';
import { SERVER_DEFAULTS, WIRE_LIMITS, type Encoding } from '../scenarios/constants.ts';
import type { DataKind } from '../scenarios/envelope.ts';
import { WireError } from '../scenarios/errors.ts';
import { formatCursor, validateName, type Position } from '../scenarios/names.ts';
import { IdleRooms } from './idle-rooms.ts';
import { PublishedLog, type PublishedRange } from './published-log.ts';
import { ReplayBudget, type Budgeted, type ReplayBudgetStats } from './replay-budget.ts';
import { ReplayBuffer } from './replay-buffer.ts';

/**
 * What a held message costs beyond its payload and encodings, charged to --max-replay-bytes: the
 * message object, its Buffer objects and cursor string, its slots in its channel's buffer and in
 * the budget's queue. Measured on Node 20 (heap plus array buffers, 200,000 messages held): 410
 * bytes with one encoding built (a 1-byte chat or 64-byte feed message in JSON), 510 with both,
 * 610 for a 1 KiB payload; charging 512 keeps the cap at or just above what is really held.
 */
export const REPLAY_MESSAGE_OVERHEAD_BYTES = 512;

/** A published message. Encodings are computed once, on first use, and shared by every recipient. */
export class HubMessage implements EncodableData, Budgeted {
  readonly kind: DataKind;
  readonly channel: string;
  readonly seq: number;
  readonly ts: number;
  readonly from: string | undefined;
  readonly mid: number | undefined;
  readonly payload: Buffer;
  readonly binaryPayload: boolean;
  /** `channel:seq`: the cursor of a one-channel subscriber after this message. */
  readonly cursor: string;
  /** Bytes charged to the replay budget while a replay buffer holds the message. */
  charged = 0;
  private json: Buffer | undefined;
  private binary: Buffer | undefined;

  /** `ts`: a feed message's due time on the publisher's schedule, else the time it is appended (docs/PROTOCOL.md §1). */
  constructor(kind: DataKind, channel: string, seq: number, payload: Buffer, binaryPayload: boolean, from?: string, mid?: number, ts = nowMicros()) {
    this.kind = kind;
    this.channel = channel;
    this.seq = seq;
    this.ts = ts;
    this.from = from;
    this.mid = mid;
    this.payload = payload;
    this.binaryPayload = binaryPayload;
    this.cursor = channel + ':' + seq;
  }

  encoded(encoding: Encoding): Buffer {
    if (encoding === 'binary') return (this.binary ??= encodeData(this, 'binary'));
    return (this.json ??= encodeData(this, 'json'));
  }

  /** What holding this message costs: its payload, the encodings built so far and a fixed overhead. */
  get heldBytes(): number {
    return this.payload.length + (this.json?.length ?? 0) + (this.binary?.length ?? 0) + REPLAY_MESSAGE_OVERHEAD_BYTES;
  }
}

/** The channels a member is in: what the hub asks of them (a Set does it too). */
export interface ChannelsOfMember extends Iterable<Channel<Member>> {
  readonly size: number;
  has(channel: Channel<Member>): boolean;
  add(channel: Channel<Member>): unknown;
  delete(channel: Channel<Member>): boolean;
  clear(): void;
}

/** What the hub needs of a connection: the channels it is in, so it can be detached in one call. */
export interface Member {
  readonly channels: ChannelsOfMember;
}

/**
 * A connection's channels in a small array, in the order joined. A connection is in one channel or a
 * few (at most 64, WIRE_LIMITS), so a scan is as quick as a hash, and a Set's table cost about 190
 * bytes per connection at 10,000 (heap snapshots); the array literal made on the first add holds one.
 */
export class ChannelList implements ChannelsOfMember {
  private items: Channel<Member>[] = [];

  get size(): number {
    return this.items.length;
  }

  has(channel: Channel<Member>): boolean {
    return this.items.includes(channel);
  }

  add(channel: Channel<Member>): this {
    if (this.items.length === 0) this.items = [channel];
    else if (!this.items.includes(channel)) this.items.push(channel);
    return this;
  }

  delete(channel: Channel<Member>): boolean {
    const index = this.items.indexOf(channel);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  clear(): void {
    if (this.items.length > 0) this.items = [];
  }

  [Symbol.iterator](): Iterator<Channel<Member>> {
    return this.items[Symbol.iterator]();
  }
}

export class Channel<M extends Member> {
  readonly name: string;
  readonly kind: DataKind;
  readonly members = new Set<M>();
  readonly replay: ReplayBuffer<HubMessage>;
  /** The ts of each recent message, for GET /published. */
  readonly published = new PublishedLog();
  constructor(name: string, kind: DataKind, replaySize: number) {
    this.name = name;
    this.kind = kind;
    this.replay = new ReplayBuffer<HubMessage>(replaySize);
  }
  get seq(): number {
    return this.replay.latest;
  }
}

export type Fanout<M extends Member> = (message: HubMessage, channel: Channel<M>) => void;

export interface HubOptions {
  topics: readonly string[];
  replaySize: number;
  /** Live rooms at most (a freed room no longer counts). */
  maxRooms: number;
  /** A room with no member and no new message for this long is freed; 0 never frees one. */
  roomIdleMs?: number;
  /** Bytes held by every replay buffer together (REPLAY_MESSAGE_OVERHEAD_BYTES per message included). */
  maxReplayBytes?: number;
}

export interface HubCounters {
  published: number;
  chatMessagesIn: number;
}

export interface Subscription<M extends Member> {
  channels: Channel<M>[];
  /** Per channel (same order), the last seq the client holds: from its cursor, or the channel's latest. */
  held: number[];
}

/** Messages owed to a subscriber, at most `maxBytes` of them (always at least one). */
export interface Catchup {
  messages: HubMessage[];
  bytes: number;
  /** Ranges the replay buffers no longer held. */
  missed: { channel: string; first: number; last: number }[];
  /** The subscriber's position after these messages. */
  cursor: Position;
}

/** GET /published: per channel, what it published with `ts` in [from, to); channels whose log no longer reaches `from` are listed apart. */
export interface PublishedWindow {
  from: number;
  to: number;
  /** Channels that published anything in the range; a channel left out published nothing then. */
  channels: Record<string, PublishedRange>;
  /** Channels whose log no longer reaches `from`: what they published then is not known. */
  incomplete: string[];
}

/** What code outside a transport adapter may do with a hub: publish, send and read counters. */
export interface PublicHub {
  readonly topicNames: string[];
  /** Live rooms: created and not freed. */
  readonly rooms: number;
  /** Rooms freed after --room-idle-ms without a member. */
  readonly roomsFreed: number;
  /** What the replay buffers hold, all channels together. */
  readonly replay: ReplayBudgetStats;
  readonly counters: HubCounters;
  /** `dueUs`: the message's due time on the publisher's schedule (lab clock, µs), its `ts`; without it, now. */
  publish(topicName: string, payload: Buffer, binaryPayload?: boolean, dueUs?: number): HubMessage;
  send(from: string, roomName: string, mid: number, payload: Buffer, binaryPayload: boolean): HubMessage;
  /** The latest seq of a channel, or undefined if there is no such channel. */
  latestSeq(name: string): number | undefined;
  /** What every channel published with `ts` in [fromUs, toUs) (GET /published). */
  publishedBetween(fromUs: number, toUs: number): PublishedWindow;
}

export class Hub<M extends Member> implements PublicHub {
  private readonly channels = new Map<string, Channel<M>>();
  private readonly options: HubOptions;
  private fanout: Fanout<M>;
  private roomCount = 0;
  private freedCount = 0;
  private readonly idleRooms: IdleRooms<Channel<M>>;
  private readonly budget: ReplayBudget<HubMessage>;
  readonly counters: HubCounters = { published: 0, chatMessagesIn: 0 };

  constructor(options: HubOptions, fanout: Fanout<M>) {
    this.options = options;
    this.fanout = fanout;
    this.idleRooms = new IdleRooms<Channel<M>>(options.roomIdleMs ?? SERVER_DEFAULTS.roomIdleMs, (room) => this.free(room));
    // Held means charged, so the budget's oldest held message is the oldest of the channel of that name.
    this.budget = new ReplayBudget<HubMessage>(options.maxReplayBytes ?? SERVER_DEFAULTS.maxReplayBytes, (message) => this.channels.get(message.channel)?.replay.dropOldest());
    for (const topic of options.topics) this.channels.set(validateName('topic', topic), new Channel<M>(topic, 'feed', options.replaySize));
  }

  get topicNames(): string[] {
    return [...this.channels.values()].filter((c) => c.kind === 'feed').map((c) => c.name);
  }

  get rooms(): number {
    return this.roomCount;
  }

  get roomsFreed(): number {
    return this.freedCount;
  }

  get replay(): ReplayBudgetStats {
    return this.budget.stats;
  }

  latestSeq(name: string): number | undefined {
    return this.channels.get(name)?.seq;
  }

  publishedBetween(fromUs: number, toUs: number): PublishedWindow {
    const window: PublishedWindow = { from: fromUs, to: toUs, channels: {}, incomplete: [] };
    for (const channel of this.channels.values()) {
      const answer = channel.published.between(fromUs, toUs);
      if (!answer.complete) window.incomplete.push(channel.name);
      else if (answer.range !== null) window.channels[channel.name] = answer.range;
    }
    return window;
  }

  channel(name: string): Channel<M> | undefined {
    return this.channels.get(name);
  }

  topic(name: string): Channel<M> {
    const channel = this.channels.get(validateName('topic', name));
    if (channel === undefined) throw new WireError('UNKNOWN_TOPIC', `no feed topic named ${name} (this server publishes: ${this.topicNames.join(', ')})`);
    if (channel.kind !== 'feed') throw new WireError('UNKNOWN_TOPIC', `${name} is a chat room, not a feed topic`);
    return channel;
  }

  /** The room, created on first use. */
  room(name: string): Channel<M> {
    const existing = this.channels.get(validateName('room', name));
    if (existing !== undefined) {
      if (existing.kind !== 'chat') throw new WireError('NOT_A_ROOM', `${name} is a feed topic`);
      return existing;
    }
    if (this.roomCount >= this.options.maxRooms) throw new WireError('ROOM_LIMIT', `cannot create room ${name}: ${this.roomCount} rooms are live (empty rooms are freed after --room-idle-ms)`);
    const room = new Channel<M>(name, 'chat', this.options.replaySize);
    this.channels.set(name, room);
    this.roomCount++;
    // Idle until a member attaches, which a connect does in the same tick; a send from outside the room may leave it memberless.
    this.idleRooms.idle(room);
    return room;
  }

  /**
   * Frees an idle room: its name, its replay buffer and its place toward --max-rooms; re-created
   * later, it starts again at seq 0. Returns the work done: the messages released, plus one.
   */
  private free(room: Channel<M>): number {
    if (room.members.size > 0 || this.channels.get(room.name) !== room) return 1;
    this.channels.delete(room.name);
    this.roomCount--;
    this.freedCount++;
    const released = room.replay.size;
    room.replay.forEach((message) => this.budget.release(message));
    this.budget.enforce();
    return released + 1;
  }

  /** Joins a room (created on first use); at most 64 channels per connection. */
  join(member: M, roomName: string): Channel<M> {
    const existing = this.existingRoom(roomName);
    if ((existing === undefined || !member.channels.has(existing as unknown as Channel<Member>)) && member.channels.size >= WIRE_LIMITS.maxChannelsPerConnection) {
      throw new WireError('CHANNEL_LIMIT', `cannot join ${roomName}: this connection is in ${member.channels.size} channels`);
    }
    const room = existing ?? this.room(roomName);
    this.attach(member, room);
    return room;
  }

  /** Leaves a room; leaving a room that does not exist is a no-op and creates nothing. */
  leave(member: M, roomName: string): void {
    const room = this.existingRoom(roomName);
    if (room !== undefined) this.detach(member, room);
  }

  attach(member: M, channel: Channel<M>): void {
    channel.members.add(member);
    member.channels.add(channel as unknown as Channel<Member>);
    if (channel.kind === 'chat') this.idleRooms.busy(channel);
  }

  detach(member: M, channel: Channel<M>): void {
    if (channel.members.delete(member)) this.left(channel);
    member.channels.delete(channel as unknown as Channel<Member>);
  }

  detachAll(member: M): void {
    for (const channel of member.channels) {
      if ((channel as unknown as Channel<M>).members.delete(member)) this.left(channel as unknown as Channel<M>);
    }
    member.channels.clear();
  }

  /** A member left: a room left empty starts idling (a long poll leaves and comes back on every poll; the idle time covers the gap). */
  private left(channel: Channel<M>): void {
    if (channel.members.size === 0 && channel.kind === 'chat') this.idleRooms.idle(channel);
  }

  /**
   * Resolves the channels of a connection: its topics and rooms, plus any channel its resume cursor
   * names (so a stream that joined rooms later resumes in them). Nothing is attached: the caller
   * attaches in the same tick, so no message can fall between catch-up and live delivery.
   */
  resolve(topics: readonly string[], rooms: readonly string[], resumeFrom: Position | undefined): Subscription<M> {
    // Everything is validated before any room is created, so a refused request leaves no trace.
    const planned = new Map<string, Channel<M> | 'new-room'>();
    for (const name of topics) planned.set(name, this.topic(name));
    for (const name of rooms) planned.set(name, this.existingRoom(name) ?? 'new-room');
    for (const name of resumeFrom?.keys() ?? []) {
      if (!planned.has(name)) planned.set(name, this.channels.get(name) ?? (validateName('room', name), 'new-room'));
    }
    if (planned.size > WIRE_LIMITS.maxChannelsPerConnection) {
      throw new WireError('CHANNEL_LIMIT', `the query and cursor name ${planned.size} channels`);
    }
    // Sized up front: a held poll keeps this array, and one grown by push() from empty has 17 slots (152 bytes).
    const held = new Array<number>(planned.size);
    let index = 0;
    let newRooms = 0;
    for (const [name, channel] of planned) {
      const latest = channel === 'new-room' ? 0 : channel.seq;
      if (channel === 'new-room') newRooms++;
      const from = resumeFrom?.get(name);
      if (from !== undefined && from > latest) {
        throw new WireError('BAD_CURSOR', `cursor ${name}:${from} is ahead of the channel's latest seq ${latest}`);
      }
      held[index++] = from ?? latest;
    }
    if (this.roomCount + newRooms > this.options.maxRooms) {
      throw new WireError('ROOM_LIMIT', `cannot create ${newRooms} more room(s): ${this.roomCount} of ${this.options.maxRooms} exist`);
    }
    const channels = [...planned].map(([name, channel]) => (channel === 'new-room' ? this.room(name) : channel));
    return { channels, held };
  }

  private existingRoom(name: string): Channel<M> | undefined {
    const existing = this.channels.get(validateName('room', name));
    if (existing !== undefined && existing.kind !== 'chat') throw new WireError('NOT_A_ROOM', `${name} is a feed topic`);
    return existing;
  }

  /** What a subscriber holding `held` is owed, oldest first per channel, bounded by `maxBytes`. */
  catchup(channels: readonly Channel<M>[], held: readonly number[], encoding: Encoding, maxBytes = Infinity, overheadPerMessage = 0): Catchup {
    const result: Catchup = { messages: [], bytes: 0, missed: [], cursor: new Map() };
    let full = false;
    channels.forEach((channel, i) => {
      let seq = held[i]!;
      const oldest = channel.replay.oldest;
      if (seq + 1 < oldest && seq < channel.seq) {
        result.missed.push({ channel: channel.name, first: seq + 1, last: oldest - 1 });
        seq = oldest - 1;
      }
      // Once the budget is spent, later channels keep their position and wait for the next answer.
      while (!full && seq < channel.seq) {
        const message = channel.replay.at(seq + 1)!;
        const size = message.encoded(encoding).length + overheadPerMessage;
        // The encoding may be new (the first subscriber in this encoding): held, it is charged.
        this.budget.recharge(message);
        if (result.bytes + size > maxBytes && result.messages.length > 0) {
          full = true;
          break;
        }
        result.messages.push(message);
        result.bytes += size;
        seq++;
      }
      result.cursor.set(channel.name, seq);
    });
    // Evictions now may drop messages returned above: they are still sent, to this subscriber.
    this.budget.enforce();
    return result;
  }

  /**
   * The cursor of an attached member. Fan-out is synchronous, so a member holds the latest seq of
   * every channel it is in: its position is derived, never stored per delivery.
   */
  cursorOf(member: M): string {
    let cursor = '';
    for (const channel of member.channels) cursor += (cursor === '' ? '' : ',') + channel.name + ':' + (channel as unknown as Channel<M>).seq;
    return cursor;
  }

  /** The cursor a subscriber holds at the start of a subscription (sent in its welcome). */
  heldCursor(subscription: Subscription<M>): string {
    const position: Position = new Map();
    subscription.channels.forEach((c, i) => position.set(c.name, subscription.held[i]!));
    return formatCursor(position);
  }

  publish(topicName: string, payload: Buffer, binaryPayload = false, dueUs?: number): HubMessage {
    const topic = this.topic(topicName);
    return this.append(topic, new HubMessage('feed', topic.name, topic.seq + 1, payload, binaryPayload, undefined, undefined, dueUs));
  }

  send(from: string, roomName: string, mid: number, payload: Buffer, binaryPayload: boolean): HubMessage {
    const room = this.room(roomName);
    this.counters.chatMessagesIn++;
    return this.append(room, new HubMessage('chat', room.name, room.seq + 1, payload, binaryPayload, from, mid));
  }

  private append(channel: Channel<M>, message: HubMessage): HubMessage {
    const pushedOut = channel.replay.push(message);
    if (pushedOut !== undefined) this.budget.release(pushedOut);
    this.budget.add(message);
    channel.published.record(message.seq, message.ts);
    this.counters.published++;
    if (channel.members.size > 0) this.fanout(message, channel);
    else if (channel.kind === 'chat') this.idleRooms.idle(channel);
    // Fan-out built the encodings its recipients use; they are held with the message.
    this.budget.recharge(message);
    this.budget.enforce();
    return message;
  }
}

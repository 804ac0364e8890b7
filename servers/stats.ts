/**
 * The server's own counters, sampled by the bench from GET /stats. Bytes are read at the TCP
 * sockets (handshakes and headers included), CPU and memory from the process itself.
 */
import { nowMicros } from '../scenarios/clock.ts';
import type { WireErrorCode } from '../scenarios/errors.ts';
import { SocketBytes } from '../scenarios/socket-bytes.ts';
import { LoopLagMonitor } from '../metrics/loop-lag.ts';
import type { LatenessStats } from './feed-publisher.ts';
import type { ReplayBudgetStats } from './replay-budget.ts';

export interface ServerStatsSnapshot {
  transport: string;
  /** Host clock in µs when the snapshot was taken, for the bench's clock-agreement check. */
  now: number;
  uptimeMs: number;
  connections: { open: number; total: number };
  messages: { published: number; chatIn: number; delivered: number };
  bytes: { written: number; read: number };
  /**
   * dropped: TCP connections destroyed by POST /drop; rateLimited: WS connections closed with 1008;
   * banned: closed by a ban; tokenExpired: closed when their token expired (optional, like `limits`:
   * the bench reads none of them, and a third-party server need not have limits, bans or expiring tokens).
   */
  disconnects: { slowConsumer: number; heartbeat: number; dropped: number; rateLimited?: number; banned?: number; tokenExpired?: number };
  /** Refusals by the rate limits and per-address bounds (docs/PROTOCOL.md §9.1). */
  limits?: LimitCounts;
  replayTruncations: number;
  errors: Partial<Record<WireErrorCode, number>>;
  cpu: { userUs: number; systemUs: number };
  memory: { rssBytes: number; heapUsedBytes: number };
  eventLoopDelayMs: { p50: number; p90: number; p99: number; max: number; mean: number; count: number };
  sockets: number;
  /**
   * lateness: the publisher's publish time minus due time per scheduled message since the last reset
   * (servers/feed-publisher.ts). Optional for a third-party server: the bench then reports it as not reported.
   */
  feed: { topics: string[]; rate: number; payloadBytes: number; lateness?: LatenessStats };
  /** Live chat rooms (created and not freed). */
  rooms: number;
  // The reference server always sends the two below; the bench reads neither, so a target's /stats may lack them.
  /** Rooms freed after --room-idle-ms without a member. */
  roomsFreed?: number;
  /** What every replay buffer holds together, against --max-replay-bytes. */
  replay?: ReplayBudgetStats;
}

export interface LimitCounts {
  /** Client messages refused over their rate (WS error messages, POST /messages 429). */
  messagesRefused: number;
  /** WS upgrades and SSE streams refused over the per-address connect rate. */
  connectsRefused: number;
  /** Polls refused because their address held --max-held-polls-per-ip. */
  pollsRefused: number;
  /** POST /messages refused because their address was sending --max-uploads-per-ip bodies. */
  uploadsRefused: number;
  /** Requests not received whole within --request-timeout-ms. */
  requestTimeouts: number;
}

export class ServerCounters {
  /** Data messages written to clients, one per recipient. */
  delivered = 0;
  slowConsumerDisconnects = 0;
  heartbeatDisconnects = 0;
  /** TCP connections destroyed by POST /drop. */
  droppedDisconnects = 0;
  /** WS connections closed with 1008 for persistent rate-limit abuse. */
  rateLimitDisconnects = 0;
  readonly limits: LimitCounts = { messagesRefused: 0, connectsRefused: 0, pollsRefused: 0, uploadsRefused: 0, requestTimeouts: 0 };
  /** Open connections closed by POST /ban (WS 4003, SSE BANNED event). */
  bannedDisconnects = 0;
  /** Open connections ended when their token expired (WS 4002, SSE TOKEN_EXPIRED event, held poll 401). */
  expiredDisconnects = 0;
  replayTruncations = 0;
  connectionsTotal = 0;
  readonly errors: Partial<Record<WireErrorCode, number>> = {};
  /** Every TCP connection the server accepted: bytes at the socket, forced drops, shutdown. */
  readonly sockets = new SocketBytes();
  private readonly startedAt = performance.now();
  private readonly loopLag = new LoopLagMonitor();

  constructor() {
    this.loopLag.start();
  }

  error(code: WireErrorCode): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  snapshot(
    extra: { transport: string; openConnections: number; published: number; chatIn: number; feed: ServerStatsSnapshot['feed']; rooms: number; roomsFreed: number; replay: ReplayBudgetStats },
    resetLoopDelay: boolean,
  ): ServerStatsSnapshot {
    const { written, read } = this.sockets.totals();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const snapshot: ServerStatsSnapshot = {
      transport: extra.transport,
      now: nowMicros(),
      uptimeMs: performance.now() - this.startedAt,
      connections: { open: extra.openConnections, total: this.connectionsTotal },
      messages: { published: extra.published, chatIn: extra.chatIn, delivered: this.delivered },
      bytes: { written, read },
      disconnects: {
        slowConsumer: this.slowConsumerDisconnects,
        heartbeat: this.heartbeatDisconnects,
        dropped: this.droppedDisconnects,
        rateLimited: this.rateLimitDisconnects,
        banned: this.bannedDisconnects,
        tokenExpired: this.expiredDisconnects,
      },
      limits: { ...this.limits },
      replayTruncations: this.replayTruncations,
      errors: { ...this.errors },
      cpu: { userUs: cpu.user, systemUs: cpu.system },
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
      eventLoopDelayMs: this.loopLag.summary(),
      sockets: this.sockets.openCount,
      feed: extra.feed,
      rooms: extra.rooms,
      roomsFreed: extra.roomsFreed,
      replay: extra.replay,
    };
    if (resetLoopDelay) this.loopLag.reset();
    return snapshot;
  }

  stop(): void {
    this.loopLag.stop();
  }
}

/**
 * The browser clients' page bundle, as source text (see docs/browser-clients-plan.md: functions
 * compiled by tsx carry `__name` helpers that do not exist in a page, so the page runs this string).
 *
 * Injected after the page libraries (pageLibrarySources(): pako, then hdr-histogram-js, whose UMD
 * build needs a global `pako` to encode), it defines `window.pushbench`:
 *
 *   start(plan)               opens every client with the browser's own API, resolves with a ConnectReport
 *   window(startUs, endUs)    starts a measurement window (messages published in [startUs, endUs) count)
 *   setSendRate(perSec, startUs)  chat: open-loop sends from every member (start() begins them itself)
 *   markDrop(atUs)            the server cut every connection at atUs: time each client's first message published after it
 *   deliveries()              in-window deliveries so far (the drain check)
 *   collect()                 the window's PageWindowReport, plus every reconnect event so far
 *   connectReport()           the first attempts' outcome so far
 *   close()                   closes every client deliberately: no reconnect
 *
 * It records exactly as clients/load/recorder.ts does, and pushes ticks and errors to the driver in
 * batches every 250 ms through `window.pushbenchReport(batch)` (page.exposeFunction), never per message.
 *
 * Plain modern JavaScript on purpose: the text below is what Chromium runs, untouched by TypeScript.
 * It holds no backtick and no dollar-brace of its own (the interpolated values are inserted as they
 * are), and String.raw keeps its backslashes. The integrity functions are metrics/integrity.ts's own,
 * by their compiled text: they use nothing but their arguments and MAX_GAPS.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { classifySeq, countArrival, MAX_GAPS, newTally } from '../../metrics/integrity.ts';
import { PAYLOAD_FILLER } from '../../scenarios/payload.ts';
import type { TransportName } from '../../scenarios/constants.ts';
import type { ConnectReport, TimelineTick, WindowReport } from '../load/worker-protocol.ts';

export interface PageClientSpec {
  id: string;
  /** http://host:port of the server origin this client uses. */
  url: string;
  topics: string[];
  rooms: string[];
}

export interface PagePlan {
  transport: TransportName;
  clients: PageClientSpec[];
  encoding: 'json';
  token: string | null;
  /** WebSocket and long-poll: reconnect with the seed backoff; SSE: let the EventSource reconnect. */
  reconnect: boolean;
  /** Chat sends per second per member (a client with a room); 0: none. */
  sendRatePerMember: number;
  payloadBytes: number;
  /** Host-clock µs that timeline second 0 starts at. */
  originUs: number;
}

/** One drop of one client and what its reconnect brought back. Times are host-clock µs, durations ms. */
export interface PageReconnect {
  client: string;
  reason: string;
  lostAtUs: number;
  /** Connection attempts made by the page (WebSocket, long-poll); 0 for SSE, whose EventSource retries by itself. */
  attempts: number;
  /** From the loss to the reopen; null while not reopened. */
  reopenMs: number | null;
  /** From the reopen to the first data message after it; null while none came. */
  firstMessageMs: number | null;
  /** Messages published before the reopen that never arrived: the seq gap between what the client held and the first live message, less what the resume brought. */
  missed: number;
  /** Messages published before the reopen that arrived after it, i.e. through the resume (WS cursor, SSE Last-Event-ID, long-poll cursor). */
  recovered: number;
  /** Messages that arrived again after the reopen. */
  duplicates: number;
  /** Every channel has seen a live message since the reopen, so `missed` is final. */
  settled: boolean;
}

export interface PageWindowReport extends WindowReport {
  reconnects: PageReconnect[];
  /** After markDrop(): per client, µs from the drop to its first message published after it (encoded HDR). */
  resume: string;
  /** Clients that have had no message published after the drop (0 without markDrop()). */
  notResumed: number;
}

export interface PageError {
  atUs: number;
  client: string;
  kind: 'decode' | 'server-error' | 'send' | 'disconnect';
  detail: string;
}

/** What the page pushes through `window.pushbenchReport` every 250 ms (only when there is something). */
export interface PageReportBatch {
  ticks: TimelineTick[];
  errors: PageError[];
  /** Errors not sent because a batch holds at most 100. */
  errorsDropped: number;
}

export type PageConnectReport = ConnectReport;

/** The scripts a page needs before PAGE_CLIENT_SOURCE, in order: pako (deflate), then hdr-histogram-js's UMD build (global `hdr`). */
export function pageLibrarySources(): string[] {
  const require = createRequire(import.meta.url);
  const hdrMain = require.resolve('hdr-histogram-js');
  // pako is hdr-histogram-js's own dependency: resolve it from there.
  const pako = createRequire(hdrMain).resolve('pako/dist/pako_deflate.min.js');
  return [readFileSync(pako, 'utf8'), readFileSync(join(dirname(hdrMain), 'hdrhistogram.umd.js'), 'utf8')];
}

export const PAGE_CLIENT_SOURCE: string = String.raw`(function () {
'use strict';

const FILLER = ${JSON.stringify(PAYLOAD_FILLER)};
const MAX_PROBLEMS = 5;
const MAX_GAPS = ${MAX_GAPS};
const MAX_RECONNECT_EVENTS = 1000;
const MAX_ERRORS_PER_BATCH = 100;
const TICK_SLACK_US = 100000;
const SEND_WAKE_MS = 5;
const REPORT_MS = 250;
const LAG_INTERVAL_MS = 10;
/** The seed policy (clients/reconnect-policy.ts): 1 s, 2 s, 4 s ... 30 s, reset after a successful open. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
/** Close codes after which pushbench clients do not reconnect (docs/PROTOCOL.md §8). */
const FINAL_CLOSE_CODES = [4001, 4002, 4003, 4400];
/**
 * WebSocket handshakes in flight per page. Chromium's network service delays each new WebSocket by
 * 1-5 s x 2^pending / 65536 (WebSocketPerProcessThrottler): 20 opened at once made the last ones
 * wait 2-4 s; with at most 8 pending the delay stays under 20 ms.
 */
const MAX_PENDING_WEBSOCKETS = 8;

/** The lab's clock: host µs, the expression the servers stamp ts with. */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

// ---- Histograms: metrics/histogram.ts's layout, 1 µs .. 10 min at 3 significant digits.
const newHistogram = () => hdr.build({ bitBucketSize: 64, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: 600000000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
const record = (histogram, us) => histogram.recordValue(us < 1 ? 1 : us > 600000000 ? 600000000 : Math.round(us));
const encode = (histogram) => hdr.encodeIntoCompressedBase64(histogram);

// ---- Integrity: metrics/integrity.ts itself, its compiled text, so pages and Node workers count alike.
${newTally.toString()}

${classifySeq.toString()}

${countArrival.toString()}

const textPayload = (bytes) => FILLER.repeat(Math.ceil(bytes / FILLER.length)).slice(0, bytes);
const formatCursor = (position) => Array.from(position, (entry) => entry[0] + ':' + entry[1]).join(',');

function parseCursor(text) {
  const position = new Map();
  if (typeof text !== 'string' || text === '') return position;
  for (const pair of text.split(',')) {
    const colon = pair.lastIndexOf(':');
    position.set(pair.slice(0, colon), Number(pair.slice(colon + 1)));
  }
  return position;
}

// ---- Reconnect events: what each drop cost and what the resume brought back.
class ReconnectEvent {
  constructor(client, reason, lostAtUs) {
    this.client = client.spec.id;
    this.reason = reason;
    this.lostAtUs = lostAtUs;
    this.attempts = 0;
    this.reopenedAtUs = null;
    this.firstMessageAtUs = null;
    this.duplicates = 0;
    // Per channel: the seq held at the loss, arrivals published before the reopen, the first live seq.
    this.channels = new Map();
    for (const entry of client.position) this.channels.set(entry[0], { held: entry[1], recovered: 0, liveFrom: 0 });
  }

  /** One data message after the reopen. A message published before the reopen can only come through the resume (bar the few published during the handshake itself). */
  arrival(channel, seq, ts, verdict, at) {
    if (this.reopenedAtUs === null) return;
    if (this.firstMessageAtUs === null) this.firstMessageAtUs = at;
    if (verdict === 'duplicate') {
      this.duplicates++;
      return;
    }
    const state = this.channels.get(channel);
    if (state === undefined || state.liveFrom !== 0) return;
    if (ts < this.reopenedAtUs) state.recovered++;
    else state.liveFrom = seq;
  }

  report() {
    let missed = 0;
    let recovered = 0;
    let settled = true;
    for (const state of this.channels.values()) {
      recovered += state.recovered;
      if (state.liveFrom === 0) settled = false;
      else missed += Math.max(0, state.liveFrom - state.held - 1 - state.recovered);
    }
    const ms = (us) => Math.round(us) / 1000;
    return {
      client: this.client,
      reason: this.reason,
      lostAtUs: this.lostAtUs,
      attempts: this.attempts,
      reopenMs: this.reopenedAtUs === null ? null : ms(this.reopenedAtUs - this.lostAtUs),
      firstMessageMs: this.firstMessageAtUs === null ? null : ms(this.firstMessageAtUs - this.reopenedAtUs),
      missed,
      recovered,
      duplicates: this.duplicates,
      settled,
    };
  }
}

// ---- Clients: what every transport shares (position, backoff, the connection's life).
class Client {
  constructor(spec, lab) {
    this.spec = spec;
    this.lab = lab;
    /** Integrity per channel (metrics/integrity.ts SeqTrack). */
    this.tracks = new Map();
    /** The last seq held per channel, from the welcome (or handshake) and every data message: the resume cursor. */
    this.position = new Map();
    /** Chat: due time (µs) of each send still waiting for its echo, by message id. */
    this.pending = new Map();
    this.nextMid = 0;
    this.open = false;
    this.closing = false;
    this.everOpened = false;
    this.settled = false;
    this.attemptAtUs = 0;
    this.backoffAttempts = 0;
    this.retryTimer = undefined;
    /** The latest reconnect event, fed until the next drop. */
    this.event = null;
    /** After a drop: when the first message published after it arrived. */
    this.resumedAtUs = null;
    for (const channel of spec.topics.concat(spec.rooms)) this.tracks.set(channel, { last: 0 });
  }

  query(withClientId) {
    const query = new URLSearchParams();
    for (const topic of this.spec.topics) query.append('topic', topic);
    for (const room of this.spec.rooms) query.append('room', room);
    if (withClientId) query.set('client', this.spec.id);
    query.set('encoding', this.lab.plan.encoding);
    if (this.lab.plan.token !== null) query.set('token', this.lab.plan.token);
    return query;
  }

  connect() {
    this.retryTimer = undefined;
    if (this.closing) return;
    this.attemptAtUs = nowUs();
    if (this.event !== null) this.event.attempts++;
    this.openTransport();
  }

  /** The transport is open: WebSocket open, EventSource open, first poll answered. */
  opened(at = nowUs()) {
    this.open = true;
    this.backoffAttempts = 0;
    if (!this.everOpened) {
      this.everOpened = true;
      this.lab.firstOutcome(this, null, at - this.attemptAtUs);
    } else if (this.event !== null && this.event.reopenedAtUs === null) this.event.reopenedAtUs = at;
  }

  /** The transport ended or failed without close(). retry: schedule the next attempt with the backoff. */
  ended(detail, retry) {
    if (this.closing) return;
    const wasOpen = this.open;
    this.open = false;
    if (wasOpen) this.event = this.lab.lost(this, detail);
    // A first attempt that fails is a failed connect, not retried (as the Node load worker).
    if (!this.everOpened) {
      this.lab.firstOutcome(this, detail, 0);
      return;
    }
    if (retry && this.lab.plan.reconnect) {
      const delay = Math.min(BACKOFF_FIRST_MS * 2 ** this.backoffAttempts, BACKOFF_MAX_MS);
      this.backoffAttempts++;
      this.retryTimer = setTimeout(() => this.connect(), delay);
    }
  }

  /** One JSON text from the server: a data message or a control message. */
  message(text, at) {
    let m;
    try {
      m = JSON.parse(text);
    } catch (err) {
      this.lab.problem(this, 'decode', err.message);
      return;
    }
    if (m === null || typeof m !== 'object') this.lab.problem(this, 'decode', 'not a JSON object: ' + text.slice(0, 80));
    else if (m.type === 'feed' || m.type === 'chat') this.data(m, at);
    else if (m.type === 'welcome') {
      this.hold(parseCursor(m.cursor));
      // A WebSocket is usable once welcomed: the server accepts every upgrade and refuses a bad token
      // with a 4001 close right after, so the open event alone proves nothing (docs/PROTOCOL.md §7).
      if (!this.open) this.opened(at);
    }
    else if (m.type === 'error') this.lab.problem(this, 'server-error', m.code + ': ' + m.message);
  }

  data(m, at) {
    const channel = m.type === 'chat' ? m.room : m.topic;
    if (typeof channel !== 'string' || typeof m.seq !== 'number' || typeof m.ts !== 'number') {
      this.lab.problem(this, 'decode', 'not a data message: ' + JSON.stringify(m).slice(0, 80));
      return;
    }
    if (!(this.position.get(channel) >= m.seq)) this.position.set(channel, m.seq);
    this.lab.data(this, channel, m, at);
  }

  hold(position) {
    for (const entry of position) if (!(this.position.get(entry[0]) >= entry[1])) this.position.set(entry[0], entry[1]);
  }

  /** SSE and long-poll send through POST /messages; text/plain keeps it a simple request (no preflight). */
  post(room, mid, payload) {
    const query = new URLSearchParams({ client: this.spec.id });
    if (this.lab.plan.token !== null) query.set('token', this.lab.plan.token);
    fetch(this.spec.url + '/messages?' + query, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ type: 'send', room, mid, payload }) }).then(
      (response) => {
        if (response.status === 204) return;
        return response.text().then((text) => this.lab.problem(this, 'send', 'POST /messages answered ' + response.status + ': ' + text.slice(0, 200)));
      },
      (err) => this.lab.problem(this, 'send', 'POST /messages failed: ' + err.message),
    );
  }

  close() {
    this.closing = true;
    this.open = false;
    clearTimeout(this.retryTimer);
  }
}

class WsClient extends Client {
  openTransport() {
    this.lab.whenWebSocketSlot(() => this.openWebSocket());
  }

  openWebSocket() {
    if (this.closing) return this.lab.releaseWebSocketSlot();
    // Connect time starts when the WebSocket is created, not while it waited for a slot.
    this.attemptAtUs = nowUs();
    const query = this.query(true);
    // A reconnect resumes from what the client holds: channel:seq,...
    if (this.position.size > 0) query.set('cursor', formatCursor(this.position));
    const ws = (this.ws = new WebSocket(this.spec.url.replace(/^http/, 'ws') + '/ws?' + query));
    let pending = true;
    const settle = () => {
      if (pending) this.lab.releaseWebSocketSlot();
      pending = false;
    };
    // Opened on its welcome (Client.message), not here: see there.
    ws.onopen = () => settle();
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') this.message(event.data, nowUs());
      else this.lab.problem(this, 'decode', 'a binary frame on a json connection');
    };
    ws.onclose = (event) => {
      settle();
      this.ended('closed with code ' + event.code + (event.reason ? ' (' + event.reason + ')' : ''), !FINAL_CLOSE_CODES.includes(event.code));
    };
  }

  send(room, mid, payload) {
    if (!this.open) this.lab.problem(this, 'send', 'the WebSocket is not open');
    else this.ws.send(JSON.stringify({ type: 'send', room, mid, payload }));
  }

  close() {
    super.close();
    if (this.ws !== undefined) this.ws.close(1000);
  }
}

class SseClient extends Client {
  openTransport() {
    // The EventSource reconnects by itself after the server's retry:, sending Last-Event-ID.
    const source = (this.source = new EventSource(this.spec.url + '/sse?' + this.query(true)));
    source.onopen = () => this.opened();
    // Data events have no event: field; control events are named.
    source.onmessage = (event) => this.message(event.data, nowUs());
    source.addEventListener('welcome', (event) => this.message(event.data, nowUs()));
    source.addEventListener('error', (event) => {
      // An 'event: error' control message from the server, not a connection failure.
      if (typeof event.data === 'string') return this.message(event.data, nowUs());
      if (source.readyState === EventSource.CLOSED) this.ended('the EventSource gave up (an HTTP error or not an event stream)', false);
      else {
        if (!this.lab.plan.reconnect) source.close();
        this.ended('the stream ended; the EventSource reconnects by itself', false);
      }
    });
  }

  send(room, mid, payload) {
    this.post(room, mid, payload);
  }

  close() {
    super.close();
    if (this.source !== undefined) this.source.close();
  }
}

class LongPollClient extends Client {
  openTransport() {
    this.abort = new AbortController();
    this.loop(this.abort.signal);
  }

  /** A handshake (wait=0, with the held cursor on a resume), then polls with each answer's cursor. */
  async loop(signal) {
    const base = this.spec.url + '/poll?' + this.query(false);
    let handshake = true;
    let retry = true;
    try {
      while (!this.closing) {
        const url = base + (this.cursor === undefined ? '' : '&cursor=' + encodeURIComponent(this.cursor)) + (handshake ? '&wait=0' : '');
        const response = await fetch(url, { signal, cache: 'no-store' });
        const body = await response.text();
        const at = nowUs();
        if (response.status !== 200) {
          // A 4xx will not get better by retrying (a bad cursor after a server restart, a bad token).
          retry = response.status >= 500;
          throw new Error('GET /poll answered ' + response.status + ': ' + body.slice(0, 200));
        }
        const cursor = response.headers.get('pushbench-cursor');
        if (cursor === null) throw new Error('a poll answer has no pushbench-cursor header (is it exposed by CORS?)');
        this.cursor = cursor;
        if (handshake) {
          handshake = false;
          this.hold(parseCursor(cursor));
          this.opened(at);
        }
        this.deliver(body, at);
      }
    } catch (err) {
      this.ended(err.message, retry);
    }
  }

  deliver(body, at) {
    let items;
    try {
      items = JSON.parse(body);
    } catch (err) {
      this.lab.problem(this, 'decode', err.message);
      return;
    }
    if (!Array.isArray(items)) this.lab.problem(this, 'decode', 'a long-poll JSON body must be an array');
    else for (const item of items) this.data(item, at);
  }

  send(room, mid, payload) {
    this.post(room, mid, payload);
  }

  close() {
    super.close();
    if (this.abort !== undefined) this.abort.abort();
  }
}

const CLIENTS = { ws: WsClient, sse: SseClient, 'long-poll': LongPollClient };

// ---- The page's recorder: clients/load/recorder.ts, with arrivals as the only marks.
class Lab {
  constructor(plan) {
    this.plan = plan;
    this.clients = plan.clients.map((spec) => new CLIENTS[plan.transport](spec, this));
    this.payload = textPayload(plan.payloadBytes);
    this.startUs = Infinity;
    this.endUs = Infinity;
    this.resetWindow();
    this.arrivals = 0;
    this.secondDeliveries = 0;
    this.secondLatency = newHistogram();
    this.reconnects = [];
    this.reconnectsDropped = 0;
    this.dropAtUs = null;
    this.resume = newHistogram();
    this.connect = { opened: 0, failed: 0, failures: [], times: newHistogram() };
    this.batch = { ticks: [], errors: [], errorsDropped: 0 };
    this.timers = [];
    this.markTimers = [];
    this.webSocketsPending = 0;
    this.webSocketQueue = [];
    this.sendTimer = undefined;
    this.startLoopLag();
    this.startTimeline();
    this.timers.push(setInterval(() => this.flush(), REPORT_MS));
  }

  resetWindow() {
    this.latency = newHistogram();
    this.rtt = newHistogram();
    this.sendLag = newHistogram();
    this.tallies = new Map();
    this.deliveries = 0;
    this.sendsDue = 0;
    this.decodeErrors = this.serverErrors = this.sendFailures = this.disconnects = 0;
    this.problems = [];
    this.loopDelayP99Max = 0;
    this.startArrivals = this.endArrivals = undefined;
  }

  data(client, channel, m, at) {
    let track = client.tracks.get(channel);
    if (track === undefined) client.tracks.set(channel, (track = { last: 0 }));
    const verdict = classifySeq(track, m.seq);
    if (client.event !== null) client.event.arrival(channel, m.seq, m.ts, verdict, at);
    // The outage as a user sees it: from the drop to the first message that could only come after it.
    if (this.dropAtUs !== null && client.resumedAtUs === null && m.ts > this.dropAtUs) {
      client.resumedAtUs = at;
      record(this.resume, at - this.dropAtUs);
    }
    this.arrivals++;
    this.secondDeliveries++;
    const own = m.type === 'chat' && m.from === client.spec.id;
    if (own) {
      const due = client.pending.get(m.mid);
      if (due !== undefined) {
        client.pending.delete(m.mid);
        if (due >= this.startUs && due < this.endUs) record(this.rtt, at - due);
      }
    } else record(this.secondLatency, at - m.ts);
    if (m.ts < this.startUs || m.ts >= this.endUs) return;
    this.deliveries++;
    let tally = this.tallies.get(channel);
    if (tally === undefined) this.tallies.set(channel, (tally = newTally()));
    countArrival(tally, m.seq, verdict);
    if (!own) record(this.latency, at - m.ts);
  }

  problem(client, kind, detail) {
    if (kind === 'decode') this.decodeErrors++;
    else if (kind === 'server-error') this.serverErrors++;
    else this.sendFailures++;
    this.note(client, kind, detail);
  }

  /** A connection that was open ended without close(): counted, noted, and a reconnect event opened. */
  lost(client, detail) {
    const at = nowUs();
    this.disconnects++;
    this.note(client, 'disconnect', detail);
    const event = new ReconnectEvent(client, detail, at);
    if (this.reconnects.length < MAX_RECONNECT_EVENTS) this.reconnects.push(event);
    else this.reconnectsDropped++;
    return event;
  }

  note(client, kind, detail) {
    const problem = kind + ': ' + detail;
    if (this.problems.length < MAX_PROBLEMS && !this.problems.includes(problem)) this.problems.push(problem);
    if (this.batch.errors.length < MAX_ERRORS_PER_BATCH) this.batch.errors.push({ atUs: nowUs(), client: client.spec.id, kind, detail });
    else this.batch.errorsDropped++;
  }

  whenWebSocketSlot(open) {
    if (this.webSocketsPending < MAX_PENDING_WEBSOCKETS) {
      this.webSocketsPending++;
      open();
    } else this.webSocketQueue.push(open);
  }

  releaseWebSocketSlot() {
    const next = this.webSocketQueue.shift();
    if (next !== undefined) next();
    else this.webSocketsPending--;
  }

  /** Each client's first attempt: opened (connect time in µs) or failed. */
  firstOutcome(client, failure, connectUs) {
    if (client.settled) return;
    client.settled = true;
    if (failure === null) {
      this.connect.opened++;
      record(this.connect.times, connectUs);
    } else {
      this.connect.failed++;
      if (this.connect.failures.length < 5 && !this.connect.failures.includes(failure)) this.connect.failures.push(failure);
    }
    if (this.connect.opened + this.connect.failed === this.clients.length && this.onConnected !== undefined) this.onConnected(this.connectReport());
  }

  connectReport() {
    // Pages cannot see socket bytes, so handshake bytes are not measured.
    return { opened: this.connect.opened, failed: this.connect.failed, failures: this.connect.failures.slice(), connect: encode(this.connect.times), handshakeBytes: 0 };
  }

  /** Open-loop chat sends (clients/load/open-loop.ts): send n is due at startUs + n / rate, round-robin over the open members. */
  setSendRate(perMemberPerSec, startUs) {
    clearInterval(this.sendTimer);
    this.sendTimer = undefined;
    const members = this.clients.filter((client) => client.spec.rooms.length > 0 && client.open);
    if (perMemberPerSec <= 0 || members.length === 0) return;
    const rate = perMemberPerSec * members.length;
    let issued = 0;
    this.sendTimer = setInterval(() => {
      const now = nowUs();
      if (now < startUs) return;
      const due = Math.floor(((now - startUs) * rate) / 1000000) + 1;
      for (; issued < due; issued++) {
        const dueUs = startUs + (issued * 1000000) / rate;
        const sender = members[issued % members.length];
        const mid = sender.nextMid;
        sender.nextMid = (mid + 1) % 0x100000000;
        sender.pending.set(mid, dueUs);
        this.sent(dueUs, now - dueUs);
        sender.send(sender.spec.rooms[0], mid, this.payload);
      }
    }, SEND_WAKE_MS);
  }

  sent(dueUs, lagUs) {
    if (dueUs >= this.startUs && dueUs < this.endUs) {
      this.sendsDue++;
      record(this.sendLag, lagUs);
    }
  }

  startWindow(startUs, endUs) {
    for (const timer of this.markTimers) clearTimeout(timer);
    this.startUs = startUs;
    this.endUs = endUs;
    this.resetWindow();
    for (const client of this.clients) {
      if (!client.open) continue;
      for (const channel of client.tracks.keys()) {
        let tally = this.tallies.get(channel);
        if (tally === undefined) this.tallies.set(channel, (tally = newTally()));
        tally.recipients++;
      }
    }
    const now = nowUs();
    this.markTimers = [
      setTimeout(() => (this.startArrivals = this.arrivals), Math.max(0, (startUs - now) / 1000)),
      setTimeout(() => (this.endArrivals = this.arrivals), Math.max(0, (endUs - now) / 1000)),
    ];
  }

  markDrop(atUs) {
    this.dropAtUs = atUs;
    this.resume = newHistogram();
    for (const client of this.clients) client.resumedAtUs = null;
  }

  collect() {
    for (const timer of this.markTimers) clearTimeout(timer);
    if (this.startArrivals === undefined) this.startArrivals = this.arrivals;
    if (this.endArrivals === undefined) this.endArrivals = this.arrivals;
    let sendsUnanswered = 0;
    for (const client of this.clients) {
      for (const entry of client.pending) {
        const due = entry[1];
        if (due < this.endUs) client.pending.delete(entry[0]);
        if (due >= this.startUs && due < this.endUs) sendsUnanswered++;
      }
    }
    return {
      deliveries: this.deliveries,
      latency: encode(this.latency),
      rtt: encode(this.rtt),
      tallies: Array.from(this.tallies, (entry) => [entry[0], Object.assign({}, entry[1])]),
      // A page cannot see socket bytes (nor its process's CPU): these stay 0; the driver measures Chromium from outside.
      bytesRead: 0,
      bytesWritten: 0,
      arrivalsBetweenMarks: this.endArrivals - this.startArrivals,
      cpuUs: 0,
      loopDelayP99MaxMs: this.loopDelayP99Max,
      sendsDue: this.sendsDue,
      sendsUnanswered,
      sendLagP99Ms: this.sendLag.totalCount === 0 ? 0 : this.sendLag.getValueAtPercentile(99) / 1000,
      decodeErrors: this.decodeErrors,
      serverErrors: this.serverErrors,
      sendFailures: this.sendFailures,
      disconnects: this.disconnects,
      problems: this.problems.slice(),
      reconnects: this.reconnects.map((event) => event.report()),
      resume: encode(this.resume),
      notResumed: this.dropAtUs === null ? 0 : this.clients.filter((client) => client.resumedAtUs === null).length,
    };
  }

  /** How late a 10 ms timer fires in this page (metrics/loop-lag.ts). */
  startLoopLag() {
    this.lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60000000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
    let expected = performance.now() + LAG_INTERVAL_MS;
    const tick = () => {
      const now = performance.now();
      this.lag.recordValue(Math.min(60000000, Math.max(1, Math.round((now - expected) * 1000))));
      expected = now + LAG_INTERVAL_MS;
      this.lagTimer = setTimeout(tick, LAG_INTERVAL_MS);
    };
    this.lagTimer = setTimeout(tick, LAG_INTERVAL_MS);
  }

  /** Ticks on the driver's second boundaries, counting seconds rather than re-deriving them from the clock. */
  startTimeline() {
    const origin = this.plan.originUs;
    let next = Math.ceil((nowUs() - origin + 1) / 1000000);
    const schedule = () => {
      this.tickTimer = setTimeout(() => {
        this.batch.ticks.push(this.tick(next - 1, nowUs()));
        next++;
        schedule();
      }, Math.max(0, (origin + next * 1000000 - nowUs()) / 1000) + 1);
    };
    schedule();
  }

  tick(second, now) {
    const loopP99 = this.lag.totalCount === 0 ? 0 : this.lag.getValueAtPercentile(99) / 1000;
    this.lag.reset();
    if (now - 1000000 >= this.startUs - TICK_SLACK_US && now <= this.endUs + TICK_SLACK_US) this.loopDelayP99Max = Math.max(this.loopDelayP99Max, loopP99);
    let connections = 0;
    for (const client of this.clients) if (client.open) connections++;
    const tick = {
      second,
      deliveries: this.secondDeliveries,
      latency: this.secondLatency.totalCount > 0 ? encode(this.secondLatency) : null,
      connections,
      cpuUs: 0,
      loopDelayP99Ms: loopP99,
    };
    this.secondDeliveries = 0;
    this.secondLatency.reset();
    return tick;
  }

  /** Sends what gathered since the last flush to the driver, if it listens. */
  flush() {
    const batch = this.batch;
    if (batch.ticks.length === 0 && batch.errors.length === 0 && batch.errorsDropped === 0) return;
    this.batch = { ticks: [], errors: [], errorsDropped: 0 };
    if (typeof window.pushbenchReport === 'function') Promise.resolve(window.pushbenchReport(batch)).catch(() => undefined);
  }

  close() {
    clearInterval(this.sendTimer);
    clearTimeout(this.tickTimer);
    clearTimeout(this.lagTimer);
    for (const timer of this.timers.concat(this.markTimers)) clearTimeout(timer);
    for (const client of this.clients) client.close();
    this.flush();
  }
}

let lab;

window.pushbench = {
  /** Opens every client at once; resolves with the first attempts' ConnectReport, then starts the chat sends. */
  start(plan) {
    if (lab !== undefined) throw new Error('pushbench.start() was already called in this page');
    if (CLIENTS[plan.transport] === undefined) throw new Error('unknown transport ' + plan.transport + ': use ws, sse or long-poll');
    if (plan.encoding !== 'json') throw new Error('browser clients speak json only, not ' + plan.encoding);
    const current = (lab = new Lab(plan));
    const connected = new Promise((resolve) => (current.onConnected = resolve));
    for (const client of current.clients) client.connect();
    if (current.clients.length === 0) return Promise.resolve(current.connectReport());
    return connected.then((report) => {
      if (plan.sendRatePerMember > 0) current.setSendRate(plan.sendRatePerMember, nowUs());
      return report;
    });
  },
  window(startUs, endUs) {
    lab.startWindow(startUs, endUs);
  },
  setSendRate(perMemberPerSec, startUs) {
    lab.setSendRate(perMemberPerSec, startUs);
  },
  markDrop(atUs) {
    lab.markDrop(atUs);
  },
  deliveries() {
    return lab === undefined ? 0 : lab.deliveries;
  },
  collect() {
    return lab.collect();
  },
  connectReport() {
    return lab.connectReport();
  },
  close() {
    if (lab !== undefined) lab.close();
  },
};
})();
`;

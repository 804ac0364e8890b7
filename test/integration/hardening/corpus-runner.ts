/**
 * Replays the corpus (corpus.ts) against a server and judges each answer: first against what the
 * probe accepts, then against what every probe owes (no 5xx, no INTERNAL, the server alive, the
 * subscriber fed). Shared by the in-process suites, the child-process run and the fuzzer.
 */
import { Agent } from 'node:http';
import { PATHS, type TransportName } from '../../../scenarios/constants.ts';
import { codesIn, endpointOf, httpExchange, RawWebSocket, tcpExchange, wsFrame, OPCODES, closePayload, type Endpoint, type HttpOutcome } from '../../support/hostile.ts';
import type { SteadySubscriber } from '../../support/steady-subscriber.ts';
import { REFUSAL_CLOSE_CODES, type Expect, type Probe, type Send, type ServerKind } from './corpus.ts';

/** The subscriber's largest gap allowed while hostile input is handled (the feed runs at 100 msg/s: 10 ms apart). */
export const GAP_BOUND_MS = 1000;
/** Every refusal's body is bounded, whatever it quotes; probes with 10 KB inputs ask for less (ECHO_LIMIT_BYTES). */
const ANY_ERROR_BODY_LIMIT = 4096;
/** How long the server gets to end a WebSocket after a protocol violation before this side gives up on it. */
const WS_CLOSE_GRACE_MS = 500;

export const CONNECT_PATHS: Record<TransportName, string> = { ws: PATHS.ws, sse: PATHS.sse, 'long-poll': PATHS.poll };

/** A server under test, wherever it runs. */
export interface Lab {
  readonly transport: TransportName;
  readonly kind: ServerKind;
  readonly baseUrl: string;
  readonly token: string | undefined;
  /** The token of the control endpoints (PUT /feed, POST /drop, /stats?reset=1). */
  readonly controlToken: string | undefined;
  readonly subscriber: SteadySubscriber;
  /** INTERNAL errors the server has counted so far (/stats errors). */
  internalErrors(): Promise<number>;
  /** Why the server is gone (its process ended), or undefined while it runs. */
  ended(): string | undefined;
}

export interface WsOutcome {
  /** Status of the handshake answer (101 when upgraded). */
  handshake: number | undefined;
  welcomed: boolean;
  closeCode: number | undefined;
  closeReason: string;
  closedByServer: boolean;
  /** `error` control messages received. */
  errors: number;
  /** ws-messages: the connection still answered a good message after the bad ones. */
  openAfter: boolean | undefined;
}

export interface Outcome {
  /** HTTP statuses answered (a raw exchange may carry several; a flood one per request). */
  statuses: number[];
  /** Error codes answered, in order: JSON bodies, WS `error` messages, close reasons. */
  codes: string[];
  /** The largest error body or `error` message, in bytes. */
  largestErrorBytes: number;
  ws: WsOutcome | undefined;
  /** A short account of what came back, for failure messages. */
  note: string;
}

const emptyOutcome = (): Outcome => ({ statuses: [], codes: [], largestErrorBytes: 0, ws: undefined, note: '' });

export function substitute(text: string, lab: Pick<Lab, 'transport' | 'token' | 'controlToken'>): string {
  return text
    .replaceAll('{token}', lab.token ?? '')
    .replaceAll('{control}', lab.controlToken ?? '')
    .replaceAll('{connect}', CONNECT_PATHS[lab.transport]);
}

const substituteHeaders = (headers: Record<string, string> | undefined, lab: Lab): Record<string, string> | undefined =>
  headers === undefined ? undefined : Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, substitute(value, lab)]));

const substituteBody = (body: string | Buffer | undefined, lab: Lab): string | Buffer | undefined => (typeof body === 'string' ? substitute(body, lab) : body);

const clip = (text: string, length = 160): string => (text.length > length ? `${text.slice(0, length)}… (${text.length} chars)` : text);

export function fromHttp(answer: HttpOutcome): Outcome {
  const outcome = emptyOutcome();
  if (answer.status !== undefined) outcome.statuses.push(answer.status);
  if (answer.status !== undefined && answer.status >= 400) {
    outcome.codes.push(...codesIn(answer.body).slice(0, 1));
    outcome.largestErrorBytes = Buffer.byteLength(answer.body);
  }
  outcome.note = answer.status === undefined ? `no answer (${answer.error ?? 'timed out'})` : `HTTP ${answer.status} ${clip(answer.body)}`;
  return outcome;
}

function fromWs(ws: RawWebSocket): WsOutcome {
  const controls = ws.controls();
  return {
    handshake: ws.status,
    welcomed: controls.some((c) => c.type === 'welcome'),
    closeCode: ws.closeCode,
    closeReason: ws.closeReason,
    closedByServer: ws.closedByServer,
    errors: controls.filter((c) => c.type === 'error').length,
    openAfter: undefined,
  };
}

export function wsOutcome(ws: RawWebSocket): Outcome {
  const outcome = emptyOutcome();
  const summary = fromWs(ws);
  outcome.ws = summary;
  if (ws.status !== undefined) outcome.statuses.push(ws.status);
  if (ws.status !== undefined && ws.status !== 101) {
    outcome.codes.push(...codesIn(ws.refusal).slice(0, 1));
    outcome.note = `handshake answered ${clip(ws.refusal)}`;
    return outcome;
  }
  for (const control of ws.controls()) {
    if (control.type !== 'error') continue;
    if (control.code !== undefined) outcome.codes.push(control.code);
    outcome.largestErrorBytes = Math.max(outcome.largestErrorBytes, Buffer.byteLength(JSON.stringify(control)));
  }
  if (outcome.codes.length === 0 && ws.closeReason !== '') outcome.codes.push(ws.closeReason);
  const received = ws.messages.map((m) => (m.text === undefined ? `<${m.binary?.length} binary bytes>` : clip(m.text, 120))).slice(0, 4);
  outcome.note =
    `WS ${ws.status ?? 'no handshake'}; received ${ws.messages.length} messages [${received.join(' | ')}]; ` +
    (ws.closeCode === undefined ? 'no close frame' : `close ${ws.closeCode} "${clip(ws.closeReason, 60)}"`) +
    (ws.closedByServer ? '; the server ended the connection' : '') +
    (ws.error === undefined ? '' : `; ${ws.error}`);
  return outcome;
}

export async function openWs(lab: Lab, query: string, headers?: Record<string, string>): Promise<RawWebSocket> {
  return RawWebSocket.open(endpointOf(lab.baseUrl), `${PATHS.ws}?${substitute(query, lab)}`, substituteHeaders(headers, lab));
}

/** The first answer of a WS connect: its welcome, or the close that refuses it. */
export const welcomedOrClosed = (ws: RawWebSocket) => (): boolean => ws.ended || ws.closeCode !== undefined || ws.controls().some((c) => c.type === 'welcome');

/** The transport's connect request: a WS upgrade (until its welcome or refusal), an SSE stream's head, a poll. */
export async function connect(lab: Lab, query: string, headers?: Record<string, string>, pathPrefix = ''): Promise<Outcome> {
  if (lab.transport === 'ws') {
    const ws = await RawWebSocket.open(endpointOf(lab.baseUrl), `${pathPrefix}${PATHS.ws}?${substitute(query, lab)}`, substituteHeaders(headers, lab));
    if (ws.status === 101) await ws.waitFor(welcomedOrClosed(ws), 1500);
    ws.destroy();
    return wsOutcome(ws);
  }
  let path = `${pathPrefix}${CONNECT_PATHS[lab.transport]}?${substitute(query, lab)}`;
  // A poll with a cursor would be held until the next message: a handshake answer is enough here.
  if (lab.transport === 'long-poll' && !/(^|&)wait=/.test(query)) path += '&wait=0';
  return fromHttp(await httpExchange(endpointOf(lab.baseUrl), { method: 'GET', path, headers: substituteHeaders(headers, lab) }));
}

async function wsFrames(lab: Lab, send: Extract<Send, { via: 'ws-frames' }>): Promise<Outcome> {
  const ws = await openWs(lab, send.query);
  if (ws.status === 101) {
    const ready = send.after === 'welcome' ? () => ws.ended || ws.controls().some((c) => c.type === 'welcome') : () => ws.ended || ws.closeCode !== undefined;
    await ws.waitFor(ready, 1500);
    // After a refusal, the refusal's own close is not the answer to the frames: only what follows them is judged.
    ws.closeCode = undefined;
    for (const frame of send.frames) ws.write(frame);
    await ws.finish(WS_CLOSE_GRACE_MS);
  }
  ws.destroy();
  return wsOutcome(ws);
}

async function wsMessages(lab: Lab, send: Extract<Send, { via: 'ws-messages' }>): Promise<Outcome> {
  const ws = await openWs(lab, 'topic=ticks&token={token}');
  if (ws.status === 101 && (await ws.waitFor(() => ws.ended || ws.controls().some((c) => c.type === 'welcome'), 1500))) {
    for (const message of send.messages) ws.write(wsFrame({ opcode: message.binary ? OPCODES.binary : OPCODES.text, payload: message.data }));
    const errors = (): number => ws.controls().filter((c) => c.type === 'error').length;
    await ws.waitFor(() => ws.ended || errors() >= send.messages.length, 2000);
    ws.write(wsFrame({ opcode: OPCODES.text, payload: '{"type":"leave","room":"corpus-still-open"}' }));
    const openAfter = await ws.waitFor(() => ws.controls().some((c) => c.type === 'left'), 1000);
    ws.write(wsFrame({ opcode: OPCODES.close, payload: closePayload(1000) }));
    await ws.finish(100);
    const outcome = wsOutcome(ws);
    outcome.ws!.openAfter = openAfter;
    return outcome;
  }
  ws.destroy();
  return wsOutcome(ws);
}

// --- Floods -----------------------------------------------------------------------------------------

async function forEachUntil(count: number, concurrency: number, forMs: number, task: (i: number) => Promise<void>): Promise<number> {
  const stopAt = performance.now() + forMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < stopAt) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next;
}

function absorb(into: Outcome, from: Outcome): void {
  into.statuses.push(...from.statuses);
  into.codes.push(...from.codes);
  into.largestErrorBytes = Math.max(into.largestErrorBytes, from.largestErrorBytes);
  if (from.ws?.closeCode === 1011) into.ws = from.ws;
}

async function flood(lab: Lab, send: Extract<Send, { via: 'flood' }>): Promise<Outcome> {
  const outcome = emptyOutcome();
  const endpoint = endpointOf(lab.baseUrl);
  let done = 0;
  if (send.flood === 'connects') {
    done = await forEachUntil(send.count, 20, send.forMs, async () => absorb(outcome, await connect(lab, 'topic=ticks&token={token}')));
  } else if (send.flood === 'room-sends' && lab.transport === 'ws') {
    const ws = await openWs(lab, 'topic=ticks&token={token}');
    await ws.waitFor(welcomedOrClosed(ws), 1500);
    const stopAt = performance.now() + send.forMs;
    // Batches of 50 per turn of the loop: as fast as the socket takes them, without starving this process's own timers.
    while (done < send.count && performance.now() < stopAt && !ws.ended) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 50 && done < send.count; i++, done++) batch.push(wsFrame({ opcode: OPCODES.text, payload: `{"type":"send","room":"flood-${done}","mid":${done},"payload":"x"}` }));
      ws.write(Buffer.concat(batch));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await ws.finish(WS_CLOSE_GRACE_MS);
    absorb(outcome, wsOutcome(ws));
  } else if (send.flood === 'room-sends') {
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    done = await forEachUntil(send.count, 10, send.forMs, async (i) =>
      absorb(
        outcome,
        fromHttp(
          await httpExchange(endpoint, {
            method: 'POST',
            path: substitute('/messages?token={token}', lab),
            headers: { 'content-type': 'application/json' },
            body: `{"type":"send","room":"flood-${i}","mid":${i},"payload":"x"}`,
            agent,
          }),
        ),
      ),
    );
    agent.destroy();
  } else if (send.flood === 'slow-bodies') {
    // On ws there is no /messages: PUT /feed reads a body too (one that never completes changes nothing).
    const path = lab.transport === 'ws' ? '/feed?token={control}' : '/messages?token={token}';
    const method = lab.transport === 'ws' ? 'PUT' : 'POST';
    const answers = await Promise.all(
      Array.from({ length: send.count }, () =>
        httpExchange(endpoint, {
          method,
          path: substitute(path, lab),
          headers: { 'content-type': 'application/json', 'content-length': '100' },
          body: '{' + ' '.repeat(98) + '}',
          trickle: { gapMs: 100, forMs: send.forMs },
          timeoutMs: send.forMs + 1000,
        }),
      ),
    );
    for (const answer of answers) absorb(outcome, fromHttp(answer));
    done = answers.length;
  } else {
    const head = [...'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'z'.repeat(200)];
    const answers = await Promise.all(Array.from({ length: send.count }, () => tcpExchange(endpoint, head, { gapMs: 100, writeForMs: send.forMs, settleMs: 50, maxMs: send.forMs + 200 })));
    for (const answer of answers) outcome.statuses.push(...answer.statuses);
    done = answers.length;
  }
  const tally = new Map<string, number>();
  for (const status of outcome.statuses) tally.set(String(status), (tally.get(String(status)) ?? 0) + 1);
  for (const code of outcome.codes) tally.set(code, (tally.get(code) ?? 0) + 1);
  outcome.note = `${done} sent; answers: ${[...tally].map(([what, n]) => `${what} x${n}`).join(', ') || 'none'}`;
  return outcome;
}

// --- Replay and judge -------------------------------------------------------------------------------------

export async function replay(probe: Probe, lab: Lab): Promise<Outcome> {
  const send = probe.send;
  const endpoint: Endpoint = endpointOf(lab.baseUrl);
  switch (send.via) {
    case 'tcp': {
      const answer = await tcpExchange(endpoint, send.chunks.map((chunk) => (typeof chunk === 'string' ? substitute(chunk, lab) : chunk)), { gapMs: send.gapMs, writeForMs: send.writeForMs });
      const outcome = emptyOutcome();
      const text = answer.received.toString('latin1');
      outcome.statuses = answer.statuses;
      outcome.codes = codesIn(text);
      outcome.note = `received ${clip(JSON.stringify(text), 200)}${answer.closedByServer ? '; the server ended the connection' : ''}${answer.error ? `; ${answer.error}` : ''}`;
      return outcome;
    }
    case 'http':
      return fromHttp(
        await httpExchange(endpoint, {
          method: send.method,
          path: substitute(send.path, lab),
          headers: substituteHeaders(send.headers, lab),
          body: substituteBody(send.body, lab),
          abortAfterBytes: send.abortAfterBytes,
          stallAfterBytes: send.stallAfterBytes,
        }),
      );
    case 'connect':
      return connect(lab, send.query, send.headers);
    case 'ws-frames':
      return wsFrames(lab, send);
    case 'ws-messages':
      return wsMessages(lab, send);
    case 'flood':
      return flood(lab, send);
  }
}

/** The HTTP status a WS refusal stands for: the handshake's own, or the close code's meaning (docs/PROTOCOL.md §8). */
function refusalStatus(outcome: Outcome): number | undefined {
  const ws = outcome.ws;
  if (ws === undefined) return outcome.statuses[0];
  if (ws.handshake !== 101 || ws.welcomed) return ws.handshake;
  const byClose: Record<number, number> = { 4001: 401, 4002: 401, 4003: 403, 4400: 400, 1008: 429 };
  return ws.closeCode === undefined ? undefined : byClose[ws.closeCode];
}

function judgeExpected(probe: Probe, outcome: Outcome): string[] {
  const expect: Expect = probe.expect;
  const problems: string[] = [];
  const ws = outcome.ws;
  switch (expect.answer) {
    case 'accepted': {
      const accepted = ws === undefined ? outcome.statuses[0] !== undefined && outcome.statuses[0] < 300 : ws.welcomed;
      if (!accepted) problems.push('expected the request to be accepted');
      break;
    }
    case 'refused': {
      const status = refusalStatus(outcome);
      if (ws !== undefined && ws.welcomed) problems.push('expected a refusal, but the connection was welcomed');
      if (ws !== undefined && ws.handshake === 101 && (ws.closeCode === undefined || !REFUSAL_CLOSE_CODES.includes(ws.closeCode))) {
        problems.push(`expected a refusing close (${REFUSAL_CLOSE_CODES.join(', ')}), got ${ws.closeCode ?? 'none'}`);
      }
      if (status === undefined || status < 400 || status > 499) problems.push(`expected a 4xx refusal, got ${status ?? 'no answer'}`);
      else if (expect.statuses !== undefined && !expect.statuses.includes(status)) problems.push(`expected status ${expect.statuses.join(' or ')}, got ${status}`);
      // A refused WS handshake is written on the raw socket, where a body is optional; every other refusal names its code.
      const code = outcome.codes[0];
      const rawHandshakeRefusal = ws !== undefined && ws.handshake !== 101;
      if (code === undefined && !rawHandshakeRefusal) problems.push('the refusal carries no error code');
      if (code !== undefined && expect.codes !== undefined && !expect.codes.includes(code)) problems.push(`expected code ${expect.codes.join(' or ')}, got ${code}`);
      const limit = expect.maxBodyBytes ?? ANY_ERROR_BODY_LIMIT;
      if (outcome.largestErrorBytes > limit) problems.push(`the error is ${outcome.largestErrorBytes} bytes, more than ${limit}: it quotes too much of the input`);
      break;
    }
    case 'status':
      if (outcome.statuses.length === 0) problems.push(`expected an answer with status ${expect.statuses.join(' or ')}, got none`);
      for (const status of outcome.statuses) if (!expect.statuses.includes(status)) problems.push(`expected status ${expect.statuses.join(' or ')}, got ${status}`);
      break;
    case 'ws-closed':
      if (ws === undefined || ws.handshake !== 101) problems.push('the WebSocket handshake did not succeed');
      else if (ws.closeCode !== undefined && !expect.closeCodes.includes(ws.closeCode)) problems.push(`expected close ${expect.closeCodes.join(' or ')}, got ${ws.closeCode}`);
      else if (ws.closeCode === undefined && !ws.closedByServer) problems.push(`the server kept the connection open for ${WS_CLOSE_GRACE_MS} ms`);
      break;
    case 'ws-errors':
      if (ws === undefined || !ws.welcomed) problems.push('the WebSocket was not welcomed');
      else {
        const sent = probe.send.via === 'ws-messages' ? probe.send.messages.length : 0;
        if (ws.errors !== sent) problems.push(`expected ${sent} error messages, one per bad message, got ${ws.errors}`);
        if (outcome.codes.length !== ws.errors) problems.push('an error message without a code');
        for (const code of outcome.codes) if (!expect.codes.includes(code)) problems.push(`expected code ${expect.codes.join(' or ')}, got ${code}`);
        if (outcome.largestErrorBytes > ANY_ERROR_BODY_LIMIT / 4) problems.push(`an error message of ${outcome.largestErrorBytes} bytes: it quotes too much of the input`);
        if (ws.openAfter !== true) problems.push('the connection did not stay open after the bad messages');
      }
      break;
    case 'survives':
      break;
  }
  return problems;
}

/** What is wrong with `outcome` for `probe`: first the probe's own expectation, then what every answer owes. */
export function judge(probe: Probe, outcome: Outcome): string[] {
  return [...judgeExpected(probe, outcome), ...owedByEveryAnswer(outcome)];
}

/** Whatever was sent: no 5xx, no INTERNAL, no WebSocket closed as an internal error. */
export function owedByEveryAnswer(outcome: Outcome): string[] {
  const problems: string[] = [];
  const fiveHundreds = outcome.statuses.filter((status) => status >= 500);
  if (fiveHundreds.length > 0) problems.push(`answered ${fiveHundreds.length} time(s) with 5xx (${[...new Set(fiveHundreds)].join(', ')})`);
  if (outcome.codes.includes('INTERNAL')) problems.push('answered INTERNAL');
  if (outcome.ws?.closeCode === 1011) problems.push('closed the WebSocket with 1011 (internal error)');
  return problems;
}

/** Uncaught exceptions and unhandled rejections in this process: an in-process server's crash shows here. */
export class CrashWatcher {
  private readonly seen: { at: number; what: string }[] = [];
  private readonly record = (err: unknown): void => {
    this.seen.push({ at: performance.now(), what: clip(String((err as Error)?.stack ?? err).split('\n').slice(0, 3).join(' | '), 300) });
  };

  install(): void {
    process.on('uncaughtException', this.record);
    process.on('unhandledRejection', this.record);
  }

  uninstall(): void {
    process.off('uncaughtException', this.record);
    process.off('unhandledRejection', this.record);
  }

  since(time: number): string[] {
    return this.seen.filter((e) => e.at >= time).map((e) => e.what);
  }
}

/** What every probe owes, checked after it: the process alive, /health answered, no new INTERNAL, the subscriber fed and connected. */
export async function aftermath(lab: Lab, since: number, internalBefore: number, crashes?: CrashWatcher): Promise<string[]> {
  const problems = (crashes?.since(since) ?? []).map((what) => `threw in the server's process: ${what}`);
  const ended = lab.ended();
  if (ended !== undefined) return [...problems, `the server process ended: ${ended}`];
  const health = await httpExchange(endpointOf(lab.baseUrl), { method: 'GET', path: '/health', timeoutMs: 2000 });
  if (health.status !== 200) {
    problems.push(`/health answered ${health.status ?? `nothing (${health.error ?? 'timed out'})`}`);
    // A process that is going away says so within moments; the rest would only measure its absence.
    const deadline = performance.now() + 1000;
    while (lab.ended() === undefined && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const gone = lab.ended();
    if (gone !== undefined) return [...problems, `the server process ended: ${gone}`];
  }
  const steadiness = await lab.subscriber.steadinessSince(since, GAP_BOUND_MS);
  if (steadiness.largestGapMs > GAP_BOUND_MS) problems.push(`the subscriber waited ${Math.round(steadiness.largestGapMs)} ms for a feed message (bound ${GAP_BOUND_MS} ms)`);
  if (steadiness.lost > 0) problems.push(`the subscriber lost its connection ${steadiness.lost} time(s): ${steadiness.lostBecause.join('; ')}`);
  const internal = await lab.internalErrors();
  if (internal > internalBefore) problems.push(`/stats counted ${internal - internalBefore} new INTERNAL error(s)`);
  return problems;
}

/**
 * The floor servers of `npm run floor` (bench/floor/floor.ts): the least a Node server of each
 * protocol does, on the same libraries as the lab's servers (node:http, and ws for WebSocket) and
 * nothing on top. They hold every connection and do nothing else: no auth, no rooms, no replay,
 * no limits. Long-poll answers a `wait=0` poll at once (the lab's client opens with one, the
 * handshake of docs/PROTOCOL.md §6.3) and holds every other; each publish answers every held poll
 * with one shared body of the messages published since the last. Never a server to compare
 * transports with: only the floor under the lab's own server of the same transport.
 *
 * Run as a child of the floor tool: it reports its port over IPC, answers `sample` with its RSS
 * and CPU, `rate` by publishing at that rate, and exits when its parent goes.
 */
import { createServer, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { nowMicros } from '../../scenarios/clock.ts';
import { encodeDataJson } from '../../scenarios/codec-json.ts';
import { CURSOR_HEADER, SERVER_DEFAULTS, TRANSPORTS, type TransportName } from '../../scenarios/constants.ts';
import { formatCursor } from '../../scenarios/names.ts';
import { textPayload } from '../../scenarios/payload.ts';

export type FloorRequest = { type: 'sample' } | { type: 'rate'; rate: number };
export type FloorReply = { type: 'ready'; port: number } | { type: 'sample'; rssBytes: number; cpuUs: number; open: number } | { type: 'rate' };

const PUBLISH_INTERVAL_MS = 1;
const PAYLOAD = Buffer.from(textPayload(100));
const TOPIC = SERVER_DEFAULTS.topics[0]!;

function main(transport: TransportName): void {
  /** WebSocket connections and SSE streams. */
  const held = new Set<ServerResponse | WebSocket>();
  /** Long-poll: the polls held now (a publish answers them all and starts a new set). */
  let heldPolls = new Set<ServerResponse>();
  const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    if (transport === 'sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(':\n\n');
    } else if (transport === 'long-poll') {
      // The query is parsed, as any poll server must to find its channels and cursor.
      const wait = new URL(req.url ?? '/', 'http://localhost').searchParams.get('wait');
      if (wait === '0') {
        answer(res, '[]');
        return;
      }
      heldPolls.add(res);
      res.on('close', () => heldPolls.delete(res));
      return;
    }
    held.add(res);
    res.on('close', () => held.delete(res));
  });
  if (transport === 'ws') {
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (socket) => {
      held.add(socket);
      socket.on('close', () => held.delete(socket));
    });
  }

  let seq = 0;
  /** The cursor header of every answer, made once per publish, not per answer. */
  let cursor = formatCursor(new Map([[TOPIC, seq]]));
  const answer = (res: ServerResponse, body: string | Buffer): void => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', [CURSOR_HEADER]: cursor });
    res.end(body);
  };
  let timer: NodeJS.Timeout | undefined;
  const publishAt = (rate: number): void => {
    clearInterval(timer);
    if (rate <= 0) return;
    const start = performance.now();
    let sent = 0;
    timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      if (due <= sent) return;
      const messages: string[] = [];
      for (; sent < due; sent++) messages.push(encodeDataJson({ kind: 'feed', channel: TOPIC, seq: ++seq, ts: nowMicros(), payload: PAYLOAD, binaryPayload: false }));
      const body = Buffer.from(`[${messages.join(',')}]`);
      cursor = formatCursor(new Map([[TOPIC, seq]]));
      const answering = heldPolls;
      heldPolls = new Set();
      for (const res of answering) answer(res, body);
    }, PUBLISH_INTERVAL_MS);
  };

  const send = (reply: FloorReply): void => void process.send?.(reply);
  process.on('message', (request: FloorRequest) => {
    if (request.type === 'sample') {
      const cpu = process.cpuUsage();
      send({ type: 'sample', rssBytes: process.memoryUsage().rss, cpuUs: cpu.user + cpu.system, open: transport === 'long-poll' ? heldPolls.size : held.size });
    } else if (request.type === 'rate') {
      publishAt(request.rate);
      send({ type: 'rate' });
    }
  });
  process.once('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address !== null && typeof address === 'object') send({ type: 'ready', port: address.port });
  });
}

const transport = process.argv[2];
if (!TRANSPORTS.includes(transport as TransportName)) {
  process.stderr.write(`bare-server: the first argument must be one of ${TRANSPORTS.join(', ')}, got ${JSON.stringify(transport)}\n`);
  process.exit(2);
}
main(transport as TransportName);

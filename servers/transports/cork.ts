/**
 * Write coalescing: the first write to a socket in a tick corks it, and one nextTick uncorks every
 * socket written in that tick, so a burst of fan-outs leaves as one TCP write per socket instead of
 * one per message (measured here as the largest single lever on fan-out throughput).
 */
import type { Socket } from 'node:net';

const corked: Socket[] = [];
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const socket of corked) socket.uncork();
  corked.length = 0;
}

export function writeCorked(socket: Socket, data: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    corked.push(socket);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(uncorkAll);
    }
  }
  socket.write(data);
}

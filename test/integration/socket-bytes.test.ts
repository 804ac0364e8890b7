/** SocketBytes on real loopback sockets: bytes of closed sockets are kept, open ones are read live, closed ones do not pile up. */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { SocketBytes } from '../../scenarios/socket-bytes.ts';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A server whose sockets `bytes` tracks; each writes `reply` bytes back once it has read `expect` bytes. */
async function listen(bytes: SocketBytes, expectBytes: number, replyBytes: number): Promise<{ port: number; serverSockets: Socket[] }> {
  const serverSockets: Socket[] = [];
  server = createServer((socket) => {
    bytes.track(socket);
    serverSockets.push(socket);
    let read = 0;
    socket.on('data', (chunk) => {
      read += chunk.length;
      if (read === expectBytes) socket.write(Buffer.alloc(replyBytes, 1));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return { port: address.port, serverSockets };
}

/** Opens a client, sends `sendBytes`, resolves once `replyBytes` came back. */
function exchange(port: number, sendBytes: number, replyBytes: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const client = connect(port, '127.0.0.1', () => client.write(Buffer.alloc(sendBytes, 2)));
    let got = 0;
    client.on('data', (chunk) => {
      got += chunk.length;
      if (got === replyBytes) resolve(client);
    });
    client.on('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

it('counts the bytes of open sockets live and keeps those of closed ones', async () => {
  const bytes = new SocketBytes();
  const { port, serverSockets } = await listen(bytes, 100, 50);
  const clients = await Promise.all([0, 1, 2].map(() => exchange(port, 100, 50)));
  expect(bytes.openCount).toBe(3);
  expect(bytes.totals()).toEqual({ read: 300, written: 150 });

  clients[0]!.destroy();
  clients[1]!.end();
  await Promise.all(serverSockets.slice(0, 2).map((socket) => (socket.destroy(), closed(socket))));
  expect(bytes.openCount).toBe(1);
  expect([...bytes.openSockets()]).toEqual([serverSockets[2]]);
  expect(bytes.totals()).toEqual({ read: 300, written: 150 });
  clients[2]!.destroy();
});

it('sweeps closed sockets out as new ones are tracked, though nobody reads the counts', async () => {
  const bytes = new SocketBytes();
  const { port, serverSockets } = await listen(bytes, 10, 10);
  for (let round = 0; round < 10; round++) {
    const clients = await Promise.all(Array.from({ length: 50 }, () => exchange(port, 10, 10)));
    for (const client of clients) client.destroy();
    await Promise.all(serverSockets.splice(0).map((socket) => (socket.destroy(), closed(socket))));
  }
  // 500 sockets came and went; the set holds at most about twice the open count plus the slack (64).
  const tracked = (bytes as unknown as { live: Set<Socket> }).live.size;
  expect(tracked).toBeLessThanOrEqual(130);
  expect(bytes.totals()).toEqual({ read: 5000, written: 5000 });
  expect(bytes.openCount).toBe(0);
});

/**
 * Frames a WebSocket stack must refuse (unmasked, a reserved opcode, a header announcing more than
 * --max-message-bytes), sent by hand after the server has refused the connection (4001, 4400) or on
 * an accepted one: ws reports each as an 'error' event on the WebSocket and closes the connection;
 * the server must carry on (docs/PROTOCOL.md §6.1, §8).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, SERVER_DEFAULTS } from '../../../scenarios/constants.ts';
import { Cleanup } from '../../support/harness.ts';
import { closed, startGuardedServer, upgradeRequest } from './crash-harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const TOKEN = 'secret';
const MASK = Buffer.from([1, 2, 3, 4]);

/** Client frames built byte by byte (RFC 6455 §5.2): a library would refuse to send them. */
const HOSTILE_FRAMES = {
  // FIN + text, payload length 2, no mask bit: a server MUST refuse unmasked client frames.
  unmasked: Buffer.from([0x81, 0x02, 0x68, 0x69]),
  // FIN + opcode 0x3 (reserved), masked, empty payload.
  'reserved opcode 0x3': Buffer.concat([Buffer.from([0x83, 0x80]), MASK]),
  // FIN + binary, masked, 64-bit length 70000 (over the 65536 default): refused from the header alone.
  'a header announcing 70000 bytes': Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from([0, 0, 0, 0, 0, 0x01, 0x11, 0x70]), MASK]),
};
expect(SERVER_DEFAULTS.maxMessageBytes).toBeLessThan(70_000);

const STATES = {
  'refused with 4001 (no token)': { query: '?topic=ticks', closeCode: CLOSE_CODES.unauthorized },
  'refused with 4400 (bad query)': { query: `?topic=ticks&bogus=1&token=${TOKEN}`, closeCode: CLOSE_CODES.badRequest },
  accepted: { query: `?topic=ticks&token=${TOKEN}`, closeCode: undefined },
};

/** True when the server's (unmasked, short) frames hold a close frame with `code`. */
function hasCloseFrame(frames: Buffer, code: number): boolean {
  for (let i = frames.indexOf(0x88); i >= 0; i = frames.indexOf(0x88, i + 1)) {
    if (frames[i + 2] === code >> 8 && frames[i + 3] === (code & 0xff)) return true;
  }
  return false;
}

/** Opens a WebSocket by hand and waits for the server's close frame (refused) or its welcome (accepted). */
async function openRaw(port: number, query: string, closeCode: number | undefined): Promise<Socket> {
  const socket = connect(port, '127.0.0.1', () => socket.write(upgradeRequest(`/ws${query}`)));
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const head = received.indexOf('\r\n\r\n');
      if (head < 0) return;
      const frames = received.subarray(head + 4);
      if (closeCode === undefined ? frames.includes('"welcome"') : hasCloseFrame(frames, closeCode)) resolve();
    });
    socket.on('close', () => reject(new Error(`closed before the expected frame, after ${JSON.stringify(received.toString('latin1'))}`)));
  });
  expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  return socket;
}

describe('ws: hostile frames', () => {
  for (const [state, { query, closeCode }] of Object.entries(STATES)) {
    it.each(Object.keys(HOSTILE_FRAMES) as (keyof typeof HOSTILE_FRAMES)[])(`${state}, then %s: the connection is closed and the server carries on`, async (frame) => {
      const guarded = await startGuardedServer(cleanup, 'ws', { token: TOKEN });
      const socket = await openRaw(guarded.server.port, query, closeCode);
      socket.write(HOSTILE_FRAMES[frame]);
      // ws ends the connection on a protocol error; waiting for it means the error has been handled.
      await closed(socket);
      await guarded.expectStillServing();
      const errors = await guarded.errors();
      if (frame === 'a header announcing 70000 bytes') expect(errors).toMatchObject({ MESSAGE_TOO_LARGE: 1 });
    });
  }
});

/** An undici connector that hands every socket it opens to a byte counter. */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';
import type { SocketBytes } from '../scenarios/socket-bytes.ts';

export function countingConnector(counter: SocketBytes): buildConnector.connector {
  const connect = buildConnector({});
  return (options, callback) => {
    connect(options, (...args) => {
      const [err, socket] = args;
      if (err === null) counter.track(socket as Socket);
      callback(...args);
    });
  };
}

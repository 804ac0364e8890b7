/**
 * The blank page browser clients run in. It is served from its own port on 127.0.0.1, so the
 * streams go cross-origin (as on most real sites) and never share Chromium's 6 connections per
 * host:port with the page itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DriverPageServer {
  /** http://127.0.0.1:port/ */
  readonly url: string;
  close(): Promise<void>;
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>pushbench browser clients</title>';

export async function startDriverPage(): Promise<DriverPageServer> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

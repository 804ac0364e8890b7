/**
 * What a `--target` may be, for the bench and the conformance runner alike: an http://host:port URL
 * of a server on this machine. Load and checks are sent to loopback only (127.0.0.0/8, localhost,
 * [::1]), never to another host, so a typo cannot aim the lab's load at someone else's server.
 */
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

function isLoopback(hostname: string): boolean {
  if (LOOPBACK_NAMES.has(hostname)) return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** Why `value` is not an acceptable target URL (the accepted form, as a phrase), or undefined when it is. */
export function targetUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'an http:// URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'an http://host:port URL of the server';
  }
  if (url.protocol !== 'http:' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return 'an http://host:port URL of the server (no path: the lab adds /ws, /sse, /poll)';
  if (!isLoopback(url.hostname)) return `a server on this machine (127.0.0.1, localhost or [::1], not ${url.hostname}): the lab sends load to loopback only`;
  return undefined;
}

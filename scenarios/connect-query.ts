import type { Encoding } from './constants.ts';

/** What a client connects with: its channels, its id, the encoding, where it resumes from, and the token. */
export interface ConnectParams {
  topics: Iterable<string>;
  rooms: Iterable<string>;
  /** Absent: the server names the client (long-poll sends none). */
  client?: string;
  encoding: Encoding;
  /** A resume position, `channel:seq,...` (scenarios/names.ts formatCursor). */
  cursor?: string;
  token?: string | null;
}

/** The connect query every client sends, library, load and browser clients alike (docs/PROTOCOL.md, connecting). */
export function connectQuery(params: ConnectParams): URLSearchParams {
  const query = new URLSearchParams();
  for (const topic of params.topics) query.append('topic', topic);
  for (const room of params.rooms) query.append('room', room);
  if (params.client !== undefined) query.set('client', params.client);
  query.set('encoding', params.encoding);
  if (params.cursor !== undefined) query.set('cursor', params.cursor);
  if (params.token !== undefined && params.token !== null) query.set('token', params.token);
  return query;
}

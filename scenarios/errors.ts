/**
 * Every error the lab raises carries a stable code (documented in docs/PROTOCOL.md for wire errors)
 * and a message that tells the reader what to do about it.
 */

export const WIRE_ERRORS = {
  UNAUTHORIZED: { status: 401, hint: 'pass the server token as ?token=... or an Authorization: Bearer header' },
  TOKEN_EXPIRED: { status: 401, hint: 'the token has expired: get a new one (npm run serve -- --mint-token) and connect again with it' },
  BANNED: { status: 403, hint: 'this client id is banned from the server (POST /unban lifts it)' },
  FORBIDDEN_ORIGIN: { status: 403, hint: 'the server serves pages of the origins it allows (--allow-origin, loopback by default) and control calls from no page at all' },
  BAD_JSON: { status: 400, hint: 'send one JSON object per message, as in docs/PROTOCOL.md' },
  BAD_BINARY: { status: 400, hint: 'follow the binary layout in docs/PROTOCOL.md' },
  UNKNOWN_TYPE: { status: 400, hint: 'use one of the message types in docs/PROTOCOL.md' },
  BAD_FIELD: { status: 400, hint: 'check the field against docs/PROTOCOL.md' },
  MESSAGE_TOO_LARGE: { status: 413, hint: 'send smaller messages or start the server with a larger --max-message-bytes' },
  INVALID_NAME: { status: 400, hint: 'names are 1 to 64 characters from A-Z a-z 0-9 _ . -' },
  UNKNOWN_TOPIC: { status: 404, hint: 'subscribe to a topic the server publishes (see /stats)' },
  NOT_A_ROOM: { status: 400, hint: 'that name is a feed topic; chat messages go to rooms' },
  ROOM_LIMIT: { status: 429, hint: 'the server has reached --max-rooms; reuse an existing room' },
  BAD_CURSOR: { status: 400, hint: 'a cursor is channel:seq pairs joined by commas, each seq at most the channel\'s latest' },
  BAD_QUERY: { status: 400, hint: 'check the query parameters against docs/PROTOCOL.md' },
  BAD_REQUEST: { status: 400, hint: 'send a well-formed HTTP/1.1 request: a request line with a valid path, valid headers and a body that matches them' },
  ABORTED: { status: 400, hint: 'the connection closed before the whole request body arrived, so nothing was done; send the whole body, then wait for the answer' },
  UNKNOWN_CLIENT: { status: 404, hint: 'open the SSE stream with ?client=<id>, then POST with that client= and the key= of its welcome' },
  NOT_SUPPORTED: { status: 400, hint: 'see docs/PROTOCOL.md for what this transport supports' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, hint: 'send application/json (UTF-8) or, to POST /messages, application/octet-stream, without content-encoding' },
  NOT_FOUND: { status: 404, hint: 'see docs/PROTOCOL.md for the endpoints of each transport' },
  METHOD_NOT_ALLOWED: { status: 405, hint: 'see docs/PROTOCOL.md for the method of each endpoint' },
  SLOW_CONSUMER: { status: 503, hint: 'the client read too slowly and its outgoing buffer filled up; read faster or raise --max-buffered-bytes' },
  REPLAY_TRUNCATED: { status: 200, hint: 'the replay buffer no longer held these messages; raise --replay-size or reconnect sooner' },
  SHUTTING_DOWN: { status: 503, hint: 'reconnect later or to another server' },
  CHANNEL_LIMIT: { status: 400, hint: 'a connection may be in at most 64 channels: subscribe to fewer, or leave one before joining another' },
  RATE_LIMITED: { status: 429, hint: 'send fewer messages per second (the server allows --rate-limit-messages per client, with bursts of --rate-limit-burst), and wait before sending again (HTTP: Retry-After seconds)' },
  CONNECT_RATE_LIMITED: { status: 429, hint: 'open connections more slowly from this address (the server allows --connect-rate-limit per second), and wait Retry-After seconds before the next attempt' },
  TOO_MANY_POLLS: { status: 429, hint: 'this address already holds --max-held-polls-per-ip polls; wait for one to be answered before polling again' },
  TOO_MANY_UPLOADS: { status: 429, hint: 'this address is already sending --max-uploads-per-ip request bodies; send each body whole and wait for its answer' },
  REQUEST_TIMEOUT: { status: 408, hint: 'send the whole request, headers and body, within --request-timeout-ms' },
  INTERNAL: { status: 500, hint: 'this is a pushbench bug; please report it with the server log' },
} as const;

export type WireErrorCode = keyof typeof WIRE_ERRORS;

/** The most characters of client input an error message quotes: enough to recognise it, never an echo of a large input. */
export const MAX_QUOTED_CHARS = 64;

/**
 * Client input as an error message quotes it: JSON (strings in quotes), cut to MAX_QUOTED_CHARS with
 * an ellipsis and the full length, so an error body never grows with what the client sent.
 */
export function quoteInput(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    return value.length <= MAX_QUOTED_CHARS ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, MAX_QUOTED_CHARS))}… (${value.length} characters)`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_QUOTED_CHARS ? text : `${text.slice(0, MAX_QUOTED_CHARS)}… (${text.length} characters)`;
}

/** An error whose code is part of the wire protocol: sent to the client, then the server carries on. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  readonly status: number;
  constructor(code: WireErrorCode, detail: string) {
    super(`${detail}: ${WIRE_ERRORS[code].hint}`);
    this.name = 'WireError';
    this.code = code;
    this.status = WIRE_ERRORS[code].status;
  }
  toJSON(): { code: WireErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/**
 * The lab's own error codes (command line, files, set-up), in one place: each is printed as
 * `pushbench: <message> [CODE]` and the command exits with status 2. The text says when it is used;
 * the message at the throw site says what to do.
 */
export const LAB_ERRORS = {
  BAD_FLAG: 'a command-line flag is unknown, malformed or out of range',
  BAD_OPTION: 'an option (from a flag or a scenario file) fails validation',
  UNKNOWN_OPTION: 'an option name that the lab does not know',
  BAD_SCENARIO: 'a scenario file cannot be read, is not JSON, or does not describe a valid run',
  BAD_RESULTS: 'a results file does not match metrics/results.schema.json',
  RESULTS_NOT_FOUND: 'a results file path that does not exist, is not a regular file on storage, or cannot be read',
  RESULTS_VERSION: 'a results file of another schemaVersion',
  CHROMIUM_NOT_FOUND: 'browser clients were asked for and no Chromium executable was found',
  SETUP_MISSING: 'a system package the lab needs is missing and was not installed (not root, no apt-get, or --check)',
  SETUP_FAILED: 'installing a missing system package failed',
  TARGET_MISMATCH: 'a --target server does not speak what the flags ask for',
  TARGET_UNREACHABLE: 'a --target server does not answer',
  TARGET_REFUSED: "a --target server refuses the bench's token on its control calls",
  BAD_PATH: 'an output path (--out) where the lab cannot write: on /proc or /sys, below a file, a file where a folder is needed (or the reverse), or not writable',
  WRITE_FAILED: 'writing results or a report failed during the run (disk full, permissions or the folder changed): what was written before is kept',
  BAD_REF: 'npm run bench:ci: a --base ref git cannot resolve, or a folder that is not a git checkout',
} as const;

export type LabErrorCode = keyof typeof LAB_ERRORS;

/** An error of the lab's own use: bad flags, bad files, a missing browser. Printed, with exit code 2. */
export class UsageError extends Error {
  readonly code: LabErrorCode;
  constructor(code: LabErrorCode, message: string) {
    super(message);
    this.name = 'UsageError';
    this.code = code;
  }
}

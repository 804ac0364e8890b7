/**
 * HTTP/1.1 response reader for the load client's raw sockets (SSE streams and long-poll polls):
 * status line, headers, then a body framed by content-length, chunked transfer-encoding or the
 * connection's end. Hand-written because the lab must not measure its own HTTP client: undici
 * cost 61 to 80 µs of client CPU per long poll here, and node:http's response stream plus
 * eventsource-parser 7.5 µs per SSE delivery (figures in transports/long-poll.ts and sse.ts). It
 * reads only what the lab's clients need; it is not a general client (no 1xx interim answers, no
 * trailers kept, no pipelining).
 */

export interface HttpHead {
  status: number;
  /** Header names lowercased; a repeated header keeps its last value. */
  headers: Map<string, string>;
}

export interface HttpResponseHandler {
  head(head: HttpHead): void;
  /** Body bytes buf[start, end), already de-chunked; valid only during the call. */
  body(buf: Buffer, start: number, end: number): void;
  /** The body is complete: the parser is ready for the next response on the same connection. */
  end(): void;
}

export class HttpParseError extends Error {}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_SIZE_DIGITS = 12;
const CR = 0x0d;
const LF = 0x0a;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-ext' | 'chunk-data' | 'chunk-data-end' | 'trailer' | 'until-close';

/** Headers the parser itself reads to frame the body. */
const FRAMING_HEADERS = ['content-length', 'transfer-encoding', 'connection'];
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

export class HttpResponseParser {
  private state: State = 'head';
  private readonly wanted: HeaderNames;
  /** Head bytes received so far, when a head straddles reads. */
  private headCarry: Buffer | undefined;
  private remaining = 0;
  private sizeDigits = 0;
  /** Trailer section: bytes on the current line (0 at the empty line that ends it). */
  private trailerLineBytes = 0;

  /** `headers`: the names (lowercase) the handler reads; the head keeps only those and the framing ones. */
  constructor(
    private readonly handler: HttpResponseHandler,
    headers: readonly string[] = [],
  ) {
    this.wanted = headerNames([...FRAMING_HEADERS, ...headers]);
  }

  /** True between responses (nothing of the next one has arrived). */
  get idle(): boolean {
    return this.state === 'head' && this.headCarry === undefined;
  }

  /** Parses buf[start, end); throws HttpParseError on a malformed response. */
  feed(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      switch (this.state) {
        case 'head':
          i = this.readHead_(buf, i, end);
          break;
        case 'length': {
          const take = Math.min(this.remaining, end - i);
          this.handler.body(buf, i, i + take);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'until-close':
          this.handler.body(buf, i, end);
          i = end;
          break;
        case 'chunk-size': {
          const c = buf[i++]!;
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.sizeDigits > MAX_CHUNK_SIZE_DIGITS) throw new HttpParseError('a chunk size is too long');
            this.remaining = this.remaining * 16 + digit;
          } else if (c === LF || c === CR || c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            if (this.sizeDigits === 0) throw new HttpParseError('a chunk has no size');
            if (c === LF) this.endChunkSize();
            else this.state = 'chunk-ext';
          } else throw new HttpParseError(`a chunk size holds the byte 0x${c.toString(16)}`);
          break;
        }
        case 'chunk-ext': {
          const lf = buf.indexOf(LF, i);
          if (lf < 0 || lf >= end) i = end;
          else {
            i = lf + 1;
            this.endChunkSize();
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.remaining, end - i);
          this.handler.body(buf, i, i + take);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'chunk-data-end';
          break;
        }
        case 'chunk-data-end': {
          const c = buf[i++]!;
          if (c === LF) this.startChunk();
          else if (c !== CR) throw new HttpParseError('a chunk does not end with CRLF');
          break;
        }
        case 'trailer': {
          const c = buf[i++]!;
          if (c === LF) {
            if (this.trailerLineBytes === 0) this.finish();
            this.trailerLineBytes = 0;
          } else if (c !== CR) this.trailerLineBytes++;
          break;
        }
      }
    }
  }

  /** The connection ended: completes a body that runs to the close, else it was cut short. */
  closed(): boolean {
    if (this.state === 'until-close') {
      this.finish();
      return true;
    }
    return false;
  }

  private startChunk(): void {
    this.state = 'chunk-size';
    this.remaining = 0;
    this.sizeDigits = 0;
  }

  private endChunkSize(): void {
    if (this.remaining === 0) {
      this.state = 'trailer';
      this.trailerLineBytes = 0;
    } else this.state = 'chunk-data';
  }

  private finish(): void {
    this.state = 'head';
    this.handler.end();
  }

  private readHead_(buf: Buffer, start: number, end: number): number {
    let source = buf;
    let from = start;
    let to = end;
    let searchFrom = start;
    const carried = this.headCarry;
    if (carried !== undefined) {
      source = Buffer.concat([carried, buf.subarray(start, end)]);
      from = 0;
      to = source.length;
      // The terminator may straddle the two parts.
      searchFrom = Math.max(0, carried.length - 3);
    }
    const terminator = source.indexOf(HEAD_END, searchFrom);
    if (terminator < 0 || terminator + 4 > to) {
      if (to - from > MAX_HEAD_BYTES) throw new HttpParseError(`a response head is longer than ${MAX_HEAD_BYTES} bytes`);
      this.headCarry = Buffer.from(source.subarray(from, to));
      return end;
    }
    this.headCarry = undefined;
    const head = readHead(source, from, terminator, this.wanted);
    const consumed = terminator + 4 - from - (carried?.length ?? 0);
    this.startBody(head);
    this.handler.head(head);
    if (this.state === 'length' && this.remaining === 0) this.finish();
    return start + consumed;
  }

  private startBody(head: HttpHead): void {
    const encoding = head.headers.get('transfer-encoding');
    const length = head.headers.get('content-length');
    this.remaining = 0;
    if (head.status === 204 || head.status === 304 || head.status < 200) this.state = 'length';
    else if (encoding !== undefined && encoding.toLowerCase().includes('chunked')) this.startChunk();
    else if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) throw new HttpParseError(`content-length ${JSON.stringify(length.slice(0, 20))} is not a length`);
      this.state = 'length';
      this.remaining = Number(length);
    } else this.state = 'until-close';
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Status line and header lines of one head (without its blank line). */
export function parseHead(text: string): HttpHead {
  const lines = text.split('\r\n');
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (match === null) throw new HttpParseError(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpParseError(`not a header line: ${JSON.stringify(line.slice(0, 80))}`);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers };
}

/** Header names to keep, as lowercase bytes grouped by length. */
type HeaderNames = Map<number, { name: string; bytes: number[] }[]>;

function headerNames(names: readonly string[]): HeaderNames {
  const byLength: HeaderNames = new Map();
  for (const name of names) {
    const list = byLength.get(name.length) ?? [];
    list.push({ name, bytes: Array.from(name, (c) => c.charCodeAt(0)) });
    byLength.set(name.length, list);
  }
  return byLength;
}

/**
 * The head buf[start, end) (without its blank line), keeping only the `wanted` headers. Read from
 * bytes because a poll answer's head is parsed once per poll: splitting it into strings (every
 * header, the Date included) was a tenth of a long-poll client's CPU.
 */
export function readHead(buf: Buffer, start: number, end: number, wanted: HeaderNames): HttpHead {
  const statusEnd = lineEnd(buf, start, end);
  const status = statusCode(buf, start, statusEnd);
  const headers = new Map<string, string>();
  for (let at = statusEnd + 2; at < end; ) {
    const stop = lineEnd(buf, at, end);
    if (buf[stop] === CR && stop < end && buf[stop + 1] !== LF) throw new HttpParseError('a header line ends with CR without LF');
    let colon = at;
    while (colon < stop && buf[colon] !== 0x3a) colon++;
    if (colon === at || colon === stop) throw new HttpParseError(`not a header line: ${JSON.stringify(buf.toString('latin1', at, Math.min(stop, at + 80)))}`);
    let nameEnd = colon;
    while (nameEnd > at && (buf[nameEnd - 1] === 0x20 || buf[nameEnd - 1] === 0x09)) nameEnd--;
    const name = wantedName(buf, at, nameEnd, wanted);
    if (name !== undefined) {
      let valueStart = colon + 1;
      let valueEnd = stop;
      while (valueStart < valueEnd && (buf[valueStart] === 0x20 || buf[valueStart] === 0x09)) valueStart++;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === 0x20 || buf[valueEnd - 1] === 0x09)) valueEnd--;
      headers.set(name, buf.toString('latin1', valueStart, valueEnd));
    }
    at = stop + 2;
  }
  return { status, headers };
}

function wantedName(buf: Buffer, start: number, end: number, wanted: HeaderNames): string | undefined {
  const candidates = wanted.get(end - start);
  if (candidates === undefined) return undefined;
  for (let n = 0; n < candidates.length; n++) {
    const { name, bytes } = candidates[n]!;
    let same = true;
    for (let i = 0; i < bytes.length; i++) {
      let c = buf[start + i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== bytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return name;
  }
  return undefined;
}

const HTTP_1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e];

function startsWithHttp(buf: Buffer, start: number): boolean {
  for (let i = 0; i < HTTP_1.length; i++) if (buf[start + i] !== HTTP_1[i]) return false;
  return true;
}

/** Index of the CR that ends the line starting at `from`, or `end`. (No closures here: tsx wraps each in a naming call.) */
function lineEnd(buf: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === CR) return i;
  return end;
}

function badStatusLine(buf: Buffer, start: number, end: number): HttpParseError {
  return new HttpParseError(`not an HTTP/1.1 status line: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 80)))}`);
}

/** The status code of `HTTP/1.x NNN reason`. */
function statusCode(buf: Buffer, start: number, end: number): number {
  if (end - start < 12 || !startsWithHttp(buf, start) || (buf[start + 7] !== 0x30 && buf[start + 7] !== 0x31) || buf[start + 8] !== 0x20) {
    throw badStatusLine(buf, start, end);
  }
  let code = 0;
  for (let i = start + 9; i < start + 12; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) throw badStatusLine(buf, start, end);
    code = code * 10 + (c - 0x30);
  }
  if (end > start + 12 && buf[start + 12] !== 0x20) throw badStatusLine(buf, start, end);
  return code;
}

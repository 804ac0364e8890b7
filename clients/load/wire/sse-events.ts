/**
 * Server-Sent Events split from bytes (the WHATWG event-stream format: `data:`, `event:`, comments,
 * a blank line ends an event). Hand-written because eventsource-parser takes text: the lab paid a
 * UTF-8 decode of every read plus a string per line and per event (see transports/sse.ts for the
 * figures). Lines end with LF or CRLF (a lone CR, which the format also allows, is not split on: no
 * pushbench server writes it). `id:` and `retry:` are skipped: the load client does not reconnect.
 */

export interface SseEventHandler {
  /** One event: `name` '' for a data event (no `event:` line); its data is buf[start, end), valid only during the call. */
  event(name: string, buf: Buffer, start: number, end: number): void;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

const D = 0x64;
const E = 0x65;
const DATA = [D, 0x61, 0x74, 0x61];
const EVENT = [E, 0x76, E, 0x6e, 0x74];

/** True when the line's field name is `name` (then a colon, or the line ends). */
function fieldIs(buf: Buffer, start: number, end: number, name: number[]): boolean {
  const after = start + name.length;
  if (after > end || (after < end && buf[after] !== COLON)) return false;
  for (let i = 1; i < name.length; i++) if (buf[start + i] !== name[i]) return false;
  return true;
}

/** Where a field's value begins: after its colon and one optional space. */
function valueStart(buf: Buffer, colon: number, end: number): number {
  if (colon >= end) return end;
  const value = colon + 1;
  return value < end && buf[value] === SPACE ? value + 1 : value;
}

export class SseEventParser {
  /** A line that straddles reads, waiting for its end. */
  private lineCarry: Buffer | undefined;
  private name = '';
  private hasData = false;
  /** The data so far: in the read buffer (dataSource === the buffer being fed) until the feed ends, then in own storage. */
  private dataSource: Buffer | undefined;
  private dataStart = 0;
  private dataEnd = 0;
  private own: Buffer | undefined;

  constructor(private readonly handler: SseEventHandler) {}

  feed(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      let lf = buf.indexOf(LF, i);
      if (lf >= end) lf = -1;
      if (lf < 0) {
        const rest = buf.subarray(i, end);
        this.lineCarry = this.lineCarry === undefined ? Buffer.from(rest) : Buffer.concat([this.lineCarry, rest]);
        break;
      }
      if (this.lineCarry !== undefined) {
        const line = Buffer.concat([this.lineCarry, buf.subarray(i, lf)]);
        this.lineCarry = undefined;
        this.line(line, 0, line.length);
      } else this.line(buf, i, lf);
      i = lf + 1;
    }
    // The read buffer is reused after this call: data of an event still open moves to own storage.
    if (this.hasData && this.dataSource !== this.own && this.dataSource !== undefined) this.keepData();
  }

  private line(buf: Buffer, start: number, lineEnd: number): void {
    const end = lineEnd > start && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    if (start === end) return this.dispatch();
    // Field names are matched byte by byte: Buffer.compare's native call cost more than the match.
    const first = buf[start];
    if (first === D && fieldIs(buf, start, end, DATA)) this.data(buf, valueStart(buf, start + DATA.length, end), end);
    else if (first === E && fieldIs(buf, start, end, EVENT)) this.name = buf.toString('utf8', valueStart(buf, start + EVENT.length, end), end);
    // Comments, id:, retry: and unknown fields are skipped.
  }

  private data(buf: Buffer, start: number, end: number): void {
    if (!this.hasData) {
      this.hasData = true;
      this.dataSource = buf;
      this.dataStart = start;
      this.dataEnd = end;
      return;
    }
    // A second data line: the event's data is the lines joined by LF.
    this.keepData();
    this.append(Buffer.of(LF), 0, 1);
    this.append(buf, start, end);
  }

  private keepData(): void {
    const source = this.dataSource!;
    if (source === this.own) return;
    const length = this.dataEnd - this.dataStart;
    this.dataSource = this.own;
    const start = this.dataStart;
    this.dataStart = 0;
    this.dataEnd = 0;
    this.append(source, start, start + length);
  }

  private append(buf: Buffer, start: number, end: number): void {
    const needed = this.dataEnd + (end - start);
    if (this.own === undefined || this.own.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(256, needed * 2));
      if (this.own !== undefined) this.own.copy(grown, 0, 0, this.dataEnd);
      this.own = grown;
    }
    this.dataSource = this.own;
    this.dataEnd += buf.copy(this.own, this.dataEnd, start, end);
  }

  private dispatch(): void {
    const name = this.name;
    const hasData = this.hasData;
    const source = this.dataSource;
    this.name = '';
    this.hasData = false;
    this.dataSource = undefined;
    if (hasData) this.handler.event(name, source!, this.dataStart, this.dataEnd);
  }
}

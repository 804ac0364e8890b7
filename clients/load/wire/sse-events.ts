/**
 * Server-Sent Events split from bytes (the WHATWG event-stream format: `data:`, `event:`, comments,
 * a blank line ends an event). Hand-written because eventsource-parser takes text: the lab paid a
 * UTF-8 decode of every read plus a string per line and per event, most of an SSE delivery's client
 * CPU. Lines end with LF or CRLF (a lone CR, which the format also allows, is not split on: no
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

const DATA = Buffer.from('data');
const EVENT = Buffer.from('event');

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
    if (buf[start] === COLON) return;
    let colon = start;
    while (colon < end && buf[colon] !== COLON) colon++;
    let value = colon + 1;
    if (value < end && buf[value] === SPACE) value++;
    if (value > end) value = end;
    const fieldLength = colon - start;
    if (fieldLength === 4 && buf.compare(DATA, 0, 4, start, colon) === 0) this.data(buf, value, end);
    else if (fieldLength === 5 && buf.compare(EVENT, 0, 5, start, colon) === 0) this.name = buf.toString('utf8', value, end);
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

/**
 * The load client's HTTP response reader and SSE event splitter, on bytes cut at every offset:
 * heads, content-length and chunked bodies (chunk boundaries inside SSE lines), keep-alive
 * responses back to back, and the malformed answers they must refuse.
 */
import { describe, expect, it } from 'vitest';
import { HttpParseError, HttpResponseParser } from '../../../clients/load/wire/http-response.ts';
import { SseEventParser } from '../../../clients/load/wire/sse-events.ts';
import { decodeBase64Into } from '../../../clients/load/wire/base64.ts';

type Item = ['head', number, Record<string, string>] | ['body', string] | ['end'];

/** Feeds `stream` in pieces through one reused buffer, merging adjacent body pieces. */
function feedPieces(stream: Buffer, cuts: number[], feed: (buf: Buffer, start: number, end: number) => void): void {
  const scratch = Buffer.alloc(stream.length + 8);
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    stream.copy(scratch, 5, from, cut);
    feed(scratch, 5, 5 + cut - from);
    scratch.fill(0x0a);
    from = cut;
  }
}

function readResponses(stream: Buffer, cuts: number[]): { items: Item[]; parser: HttpResponseParser } {
  const items: Item[] = [];
  const parser = new HttpResponseParser({
    head: (head) => void items.push(['head', head.status, Object.fromEntries(head.headers)]),
    body: (buf, start, end) => {
      const last = items.at(-1);
      if (last?.[0] === 'body') last[1] += buf.toString('latin1', start, end);
      else items.push(['body', buf.toString('latin1', start, end)]);
    },
    end: () => void items.push(['end']),
  }, ['content-type', 'pushbench-cursor', 'x']);
  feedPieces(stream, cuts, (buf, start, end) => parser.feed(buf, start, end));
  return { items, parser };
}

const everyCut = (length: number): number[][] => Array.from({ length: length - 1 }, (_, i) => [i + 1]);

const lengthResponse = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\nPushbench-Cursor:  ticks:7 \r\nContent-Length: 11\r\n\r\n[{"a":"b"}]';
const chunkedResponse = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n';
const emptyResponse = 'HTTP/1.1 204 No Content\r\nX: y\r\n\r\n';
const KEEP_ALIVE = Buffer.from(lengthResponse + emptyResponse + chunkedResponse, 'latin1');
const KEEP_ALIVE_ITEMS: Item[] = [
  ['head', 200, { 'content-type': 'application/json', 'pushbench-cursor': 'ticks:7', 'content-length': '11' }],
  ['body', '[{"a":"b"}]'],
  ['end'],
  ['head', 204, { x: 'y' }],
  ['end'],
  ['head', 200, { 'transfer-encoding': 'chunked' }],
  ['body', 'hello, world!!!'],
  ['end'],
];

describe('HttpResponseParser', () => {
  // Only the headers asked for (and the framing ones) are kept, names lowercased, values trimmed.
  it('reads keep-alive responses back to back (content-length, none, chunked with an extension and a trailer), cut at every offset', () => {
    expect(readResponses(KEEP_ALIVE, []).items).toEqual(KEEP_ALIVE_ITEMS);
    for (const cuts of everyCut(KEEP_ALIVE.length)) expect(readResponses(KEEP_ALIVE, cuts).items, `cut at ${cuts[0]}`).toEqual(KEEP_ALIVE_ITEMS);
  });

  it('reads it byte by byte', () => {
    expect(readResponses(KEEP_ALIVE, Array.from({ length: KEEP_ALIVE.length - 1 }, (_, i) => i + 1)).items).toEqual(KEEP_ALIVE_ITEMS);
  });

  it('ends a body without a length at the connection close, and only then', () => {
    const { items, parser } = readResponses(Buffer.from('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n{"code":"UNAUTHORIZED"}'), [30]);
    expect(items.at(-1)).toEqual(['body', '{"code":"UNAUTHORIZED"}']);
    expect(parser.closed()).toBe(true);
    expect(items.at(-1)).toEqual(['end']);
    const cut = readResponses(Buffer.from(lengthResponse.slice(0, -3)), []);
    expect(cut.parser.closed()).toBe(false);
  });

  it('refuses a response that is not HTTP, a bad chunk size and a bad content-length', () => {
    for (const bad of ['SSH-2.0-OpenSSH\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'HTTP/1.1 200 OK\r\nno colon\r\n\r\n']) {
      expect(() => readResponses(Buffer.from(bad), []), bad).toThrow(HttpParseError);
    }
  });
});

type Sse = [string, string];

const SSE_TEXT =
  'retry: 1000\n\n' +
  'id: ticks:3\nevent: welcome\ndata: {"type":"welcome","key":"k"}\n\n' +
  ': ping\n\n' +
  'id: ticks:4\ndata: {"type":"feed","seq":4}\n\n' +
  'event: error\r\ndata: {"type":"error"}\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'data:no space\n\n' +
  'data\n\n' +
  'id: only an id\n\n' +
  'data: ' + 'x'.repeat(300) + '\n\n';
const SSE_EVENTS: Sse[] = [
  ['welcome', '{"type":"welcome","key":"k"}'],
  ['', '{"type":"feed","seq":4}'],
  ['error', '{"type":"error"}'],
  ['', 'line one\nline two'],
  ['', 'no space'],
  ['', ''],
  ['', 'x'.repeat(300)],
];

function sseParser(events: Sse[]): SseEventParser {
  return new SseEventParser({ event: (name, buf, start, end) => void events.push([name, buf.toString('utf8', start, end)]) });
}

/** The SSE text as a chunked body whose chunks are `size` bytes, so chunk boundaries fall inside lines. */
function chunkedStream(text: string, size: number): Buffer {
  const parts = ['HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'];
  for (let i = 0; i < text.length; i += size) {
    const chunk = text.slice(i, i + size);
    parts.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  }
  parts.push('0\r\n\r\n');
  return Buffer.from(parts.join(''), 'latin1');
}

describe('SseEventParser', () => {
  it('splits events from bytes cut at every offset', () => {
    const stream = Buffer.from(SSE_TEXT);
    for (const cuts of [[], ...everyCut(stream.length)]) {
      const events: Sse[] = [];
      const parser = sseParser(events);
      feedPieces(stream, cuts, (buf, start, end) => parser.feed(buf, start, end));
      expect(events, `cut at ${cuts[0]}`).toEqual(SSE_EVENTS);
    }
  });

  it('splits events from a chunked body whose chunk boundaries fall inside lines, read in pieces', () => {
    for (const size of [1, 3, 7, 64]) {
      const stream = chunkedStream(SSE_TEXT, size);
      for (const cuts of [[], [17], [stream.length >> 1], Array.from({ length: 40 }, (_, i) => 90 + i * 9)]) {
        const events: Sse[] = [];
        const sse = sseParser(events);
        let ended = false;
        const http = new HttpResponseParser({ head: () => undefined, body: (buf, start, end) => sse.feed(buf, start, end), end: () => (ended = true) });
        feedPieces(stream, cuts, (buf, start, end) => http.feed(buf, start, end));
        expect(events, `chunks of ${size}, cuts ${cuts.join(',')}`).toEqual(SSE_EVENTS);
        expect(ended).toBe(true);
      }
    }
  });
});

describe('decodeBase64Into', () => {
  it('decodes what Buffer encodes, for every length and every padding', () => {
    const out = Buffer.alloc(64);
    for (let length = 0; length < 40; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) & 255));
      const text = Buffer.from('..' + bytes.toString('base64') + '..');
      const decoded = decodeBase64Into(text, 2, text.length - 2, out);
      expect(decoded).toBe(length);
      expect(out.subarray(0, decoded).equals(bytes)).toBe(true);
    }
  });

  it('refuses text that is not padded base64', () => {
    const out = Buffer.alloc(16);
    for (const bad of ['abc', 'ab!d', 'a===', '====', 'ab=d']) expect(decodeBase64Into(Buffer.from(bad), 0, bad.length, out), bad).toBe(-1);
  });
});

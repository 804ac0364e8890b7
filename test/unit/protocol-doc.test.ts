/**
 * docs/PROTOCOL.md must agree with the code it describes and stand alone for a third party: its worked
 * binary examples are what the encoder writes, it names every wire error code (with its status) and
 * every close code, its server defaults are the reference server's, and it points to no source file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeDataBinary } from '../../scenarios/codec-binary.ts';
import { CLOSE_CODES, CURSOR_HEADER, PATHS, SERVER_DEFAULTS, TRUNCATED_HEADER, WIRE_LIMITS } from '../../scenarios/constants.ts';
import { WIRE_ERRORS } from '../../scenarios/errors.ts';

const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** The hex bytes of the code block that follows `heading` (the first column of each line). */
function exampleBytes(heading: string): string {
  const start = doc.indexOf(heading);
  expect(start, `example "${heading}" in docs/PROTOCOL.md`).toBeGreaterThan(-1);
  const block = doc.slice(doc.indexOf('```', start) + 3, doc.indexOf('```', doc.indexOf('```', start) + 3));
  return block
    .split('\n')
    .map((line) => /^((?:[0-9a-f]{2} ?)+)/.exec(line)?.[1]?.replace(/ /g, '') ?? '')
    .join('');
}

/** The text of the section whose heading starts with `heading`, up to the next heading of the same level or higher. */
function section(heading: string): string {
  const start = doc.indexOf(`\n${heading}`);
  expect(start, `section "${heading}" in docs/PROTOCOL.md`).toBeGreaterThan(-1);
  const level = /^#+/.exec(heading)![0].length;
  const next = doc.slice(start + 1).search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? doc.slice(start) : doc.slice(start, start + 1 + next);
}

/** The cells of the table rows of `text`, one array per row (header and separator rows included). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('docs/PROTOCOL.md binary examples', () => {
  it('the feed example is what the encoder writes', () => {
    const bytes = encodeDataBinary({ kind: 'feed', channel: 'ticks', seq: 42, ts: 1700000000000000, payload: Buffer.from('hello'), binaryPayload: false });
    expect(exampleBytes('Worked example, feed')).toBe(bytes.toString('hex'));
  });

  it('the chat example is what the encoder writes', () => {
    const bytes = encodeDataBinary({ kind: 'chat', channel: 'lobby', seq: 7, ts: 1700000000123456, from: 'alice', mid: 3, payload: Buffer.from('hi'), binaryPayload: false });
    expect(exampleBytes('Worked example, chat')).toBe(bytes.toString('hex'));
  });
});

describe('docs/PROTOCOL.md is complete and self-contained', () => {
  it('lists every wire error code in the §8 table with the status the servers answer', () => {
    const rows = new Map(tableRows(section('## 8.')).map((cells) => [cells[0], cells[1]]));
    for (const [code, { status }] of Object.entries(WIRE_ERRORS)) {
      const documented = rows.get(`\`${code}\``);
      expect(documented, `${code} in the §8 error table`).toBeDefined();
      // Codes that are never an HTTP error show their nominal status in parentheses.
      expect(documented!.replace(/[()]/g, ''), `${code}'s status`).toBe(String(status));
    }
    const codes = [...rows.keys()].filter((cell) => cell !== undefined && /^`[A-Z_]+`$/.test(cell));
    expect(codes.sort(), 'no code in the table that the servers do not have').toEqual(Object.keys(WIRE_ERRORS).map((code) => `\`${code}\``).sort());
  });

  it('lists every WebSocket close code in the §8 close-code table', () => {
    const documented = tableRows(section('## 8.'))
      .map((cells) => cells[0] ?? '')
      .filter((cell) => /^\d{4}$/.test(cell))
      .map(Number);
    expect(documented.sort()).toEqual(Object.values(CLOSE_CODES).sort());
  });

  it('gives the reference server defaults of §9 as the server has them', () => {
    const defaults = new Map(tableRows(section('## 9.')).map((cells) => [cells[0], cells[1]]));
    const numeric = Object.entries(SERVER_DEFAULTS).filter(([name, value]) => typeof value === 'number' && name !== 'port');
    expect(numeric.length).toBeGreaterThan(10);
    for (const [name, value] of numeric) {
      const flag = `\`--${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}\``;
      expect(defaults.get(flag), `${flag} in the §9 settings table`).toBe(String(value));
    }
    expect(defaults.get('`--topics`')).toBe(SERVER_DEFAULTS.topics.map((t) => `\`${t}\``).join(','));
    expect(defaults.get('`--encoding`')).toBe(`\`${SERVER_DEFAULTS.encoding}\``);
    expect(defaults.get('channels per connection')).toBe(String(WIRE_LIMITS.maxChannelsPerConnection));
  });

  it('names every endpoint and header the servers use', () => {
    for (const path of Object.values(PATHS)) expect(doc, path).toContain(`\`${path}`);
    for (const header of [CURSOR_HEADER, TRUNCATED_HEADER]) expect(doc, header).toContain(`\`${header}`);
  });

  it('points to no source file, which a third party does not have', () => {
    expect(doc.match(/[\w.-]+\.(?:ts|mts|cts|js|mjs|cjs)\b/g) ?? []).toEqual([]);
    expect(doc.match(/\b(?:servers|scenarios|clients|bench|metrics|reports|scripts|conformance|test)\/[\w./-]*/g) ?? []).toEqual([]);
  });

  it('says which text is normative, in the words of RFC 2119 and RFC 8174', () => {
    const conventions = section('## 0.');
    expect(conventions).toContain('RFC 2119');
    expect(conventions).toContain('RFC 8174');
    expect(conventions).toMatch(/normative/i);
    expect(conventions).toMatch(/informative/i);
  });
});

describe('the conformance checks cite the document', () => {
  it('every check names a section that PROTOCOL.md has, and ids are unique', async () => {
    const { CHECKS } = await import('../../conformance/checks/index.ts');
    const text = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const sections = new Set([...text.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\. /gm), ...text.matchAll(/^#{2,3} (\d+\.\d+) /gm)].map((m) => `§${m[1]}`));
    expect(sections.size).toBeGreaterThan(20);
    for (const check of CHECKS) expect(sections, `${check.id} cites ${check.section}`).toContain(check.section);
    expect(new Set(CHECKS.map((c) => c.id)).size).toBe(CHECKS.length);
  });
});

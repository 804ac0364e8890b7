/** docs/PROTOCOL.md's worked binary examples must be what the encoder writes, so the document cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeDataBinary } from '../../scenarios/codec-binary.ts';

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

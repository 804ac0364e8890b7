import { describe, expect, it } from 'vitest';
import { formatCursor, isValidName, parseCursor, validateName } from '../../scenarios/names.ts';

const wireError = (code: string) => expect.objectContaining({ name: 'WireError', code });

describe('parseCursor / formatCursor', () => {
  it('parses channel:seq pairs in order', () => {
    const position = parseCursor('ticks:41,lobby:7,a.b-c_d:0');
    expect([...position]).toEqual([
      ['ticks', 41],
      ['lobby', 7],
      ['a.b-c_d', 0],
    ]);
  });

  it('round-trips through formatCursor', () => {
    for (const text of ['ticks:41', 'ticks:41,lobby:7', 'x:0,y:9007199254740991,z:1234567890123']) {
      expect(formatCursor(parseCursor(text))).toBe(text);
    }
    const position = new Map([
      ['b', 2],
      ['a', 1],
    ]);
    expect(parseCursor(formatCursor(position))).toEqual(position);
  });

  it('parses the empty string as an empty position, and formats an empty position as ""', () => {
    expect(parseCursor('').size).toBe(0);
    expect(formatCursor(new Map())).toBe('');
  });

  it('accepts Number.MAX_SAFE_INTEGER (2^53 - 1)', () => {
    expect(parseCursor('ticks:9007199254740991').get('ticks')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('accepts exactly 64 pairs', () => {
    const text = Array.from({ length: 64 }, (_, i) => `c${i}:${i}`).join(',');
    expect(parseCursor(text).size).toBe(64);
  });

  it.each([
    ['a missing colon', 'ticks41'],
    ['a missing name', ':41'],
    ['a missing seq', 'ticks:'],
    ['a bad name', 'tic ks:1'],
    ['a name with a slash', 'a/b:1'],
    ['a name longer than 64', 'n'.repeat(65) + ':1'],
    ['two colons', 'a:b:1'],
    ['a negative seq', 'ticks:-1'],
    ['a seq with a leading zero', 'ticks:01'],
    ['a seq of 00', 'ticks:00'],
    ['a non-numeric seq', 'ticks:abc'],
    ['a fractional seq', 'ticks:1.5'],
    ['an exponent seq', 'ticks:1e3'],
    ['a hex seq', 'ticks:0x10'],
    ['a seq with a plus sign', 'ticks:+1'],
    ['a seq with spaces', 'ticks: 1'],
    ['a seq of 2^53', 'ticks:9007199254740992'],
    ['a seq above 2^53', 'ticks:9007199254740993'],
    ['a 16-digit seq far above 2^53', 'ticks:9999999999999999'],
    ['a 17-digit seq', 'ticks:10000000000000000'],
    ['a duplicate channel', 'ticks:1,lobby:2,ticks:3'],
    ['a trailing comma', 'ticks:1,'],
    ['a leading comma', ',ticks:1'],
    ['an empty pair', 'ticks:1,,lobby:2'],
    ['a lone comma', ','],
    ['more than 64 pairs', Array.from({ length: 65 }, (_, i) => `c${i}:${i}`).join(',')],
  ])('rejects %s with BAD_CURSOR', (_label, text) => {
    expect(() => parseCursor(text)).toThrow(wireError('BAD_CURSOR'));
  });

  it('names its source in the message', () => {
    expect(() => parseCursor('nope', 'Last-Event-ID')).toThrow(/Last-Event-ID/);
  });
});

describe('validateName', () => {
  it.each(['a', 'Z', '0', 'ticks', 'room-1', 'a.b', 'under_score', '...', '-', 'x'.repeat(64), 'AZaz09_.-'])('accepts %j', (name) => {
    expect(validateName('room', name)).toBe(name);
    expect(isValidName(name)).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'a b', 'a:b', 'a,b', 'a/b', 'é', 'a\n', '\nabc', 'tab\t', 'emoji😀', 'a+b', 'a%20b'])('refuses %j with INVALID_NAME', (name) => {
    expect(() => validateName('room', name)).toThrow(wireError('INVALID_NAME'));
    expect(isValidName(name)).toBe(false);
  });

  it.each([undefined, null, 42, {}, ['a']])('refuses the non-string %j with INVALID_NAME', (name) => {
    expect(() => validateName('topic', name)).toThrow(wireError('INVALID_NAME'));
  });

  it('says which kind of name was wrong', () => {
    expect(() => validateName('client', 'bad name')).toThrow(/invalid client name "bad name"/);
    expect(() => validateName('topic', '')).toThrow(/invalid topic name/);
  });
});

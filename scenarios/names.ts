import { NAME_PATTERN, NAME_RULE, WIRE_LIMITS } from './constants.ts';
import { quoteInput, WireError } from './errors.ts';

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** Returns the name, or throws INVALID_NAME saying which kind of name was wrong. */
export function validateName(kind: 'topic' | 'room' | 'client', name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new WireError('INVALID_NAME', `invalid ${kind} name ${quoteInput(name)} (${NAME_RULE})`);
  }
  return name;
}

/**
 * A position: for each channel, the sequence number of the last message the client holds.
 * Written `ticks:41,lobby:7`; the same syntax is the WS/SSE `cursor` parameter, the SSE event id
 * (so `Last-Event-ID` resumes every channel of a stream) and the long-poll cursor.
 */
export type Position = Map<string, number>;

const SEQ_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

export function parseCursor(text: string, source = 'cursor'): Position {
  const position: Position = new Map();
  if (text === '') return position;
  const pairs = text.split(',');
  if (pairs.length > WIRE_LIMITS.maxChannelsPerConnection) {
    throw new WireError('BAD_CURSOR', `${source} names ${pairs.length} channels, more than ${WIRE_LIMITS.maxChannelsPerConnection}`);
  }
  for (const pair of pairs) {
    const colon = pair.lastIndexOf(':');
    const name = colon > 0 ? pair.slice(0, colon) : '';
    const seqText = colon > 0 ? pair.slice(colon + 1) : '';
    if (!NAME_PATTERN.test(name) || !SEQ_PATTERN.test(seqText)) {
      throw new WireError('BAD_CURSOR', `${source} ${quoteInput(text)} is not channel:seq pairs`);
    }
    const seq = Number(seqText);
    if (!Number.isSafeInteger(seq)) throw new WireError('BAD_CURSOR', `${source} seq ${seqText} is too large`);
    if (position.has(name)) throw new WireError('BAD_CURSOR', `${source} names channel ${name} twice`);
    position.set(name, seq);
  }
  return position;
}

export function formatCursor(position: ReadonlyMap<string, number>): string {
  let text = '';
  for (const [name, seq] of position) text += (text === '' ? '' : ',') + name + ':' + seq;
  return text;
}

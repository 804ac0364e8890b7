import type { Encoding } from '../../scenarios/constants.ts';

/**
 * A broadcast's wire bytes, built at most once per encoding on first use and then shared by every
 * recipient with that encoding: serialization cost is per message, not per recipient.
 */
export function oncePerEncoding(build: (encoding: Encoding) => Buffer): (encoding: Encoding) => Buffer {
  let json: Buffer | undefined;
  let binary: Buffer | undefined;
  return (encoding) => (encoding === 'binary' ? (binary ??= build('binary')) : (json ??= build('json')));
}

import type { Encoding } from '../../scenarios/constants.ts';

/**
 * A broadcast's wire bytes, built at most once per encoding on first use and then shared by every
 * recipient with that encoding: serialization cost is per message, not per recipient.
 */
export function oncePerEncoding<T = Buffer>(build: (encoding: Encoding) => T): (encoding: Encoding) => T {
  let json: T | undefined;
  let binary: T | undefined;
  return (encoding) => (encoding === 'binary' ? (binary ??= build('binary')) : (json ??= build('json')));
}

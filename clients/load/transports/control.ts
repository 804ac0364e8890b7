import { decodeControl } from '../../../scenarios/codec-json.ts';

/** A control message is routine (welcome, joined, left) unless it is an error: returns its description then. */
export function describeControl(text: string): string | undefined {
  const control = decodeControl(text);
  return control.type === 'error' ? `${control.code}: ${control.message}` : undefined;
}

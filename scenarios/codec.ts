/** Chooses the codec by encoding, so transports and clients never branch on it themselves. */
import { decodeClientBinary, decodeDataBinary, encodeClientBinary, encodeDataBinary, type EncodableData } from './codec-binary.ts';
import { decodeClientJson, decodeDataJson, encodeClientJson, encodeDataJson } from './codec-json.ts';
import type { Encoding } from './constants.ts';
import type { ClientMessage, Envelope } from './envelope.ts';

export type { EncodableData };

export function encodeData(msg: EncodableData, encoding: Encoding): Buffer {
  return encoding === 'binary' ? encodeDataBinary(msg) : Buffer.from(encodeDataJson(msg));
}

export function decodeData(data: Uint8Array | string, encoding: Encoding): Envelope {
  if (encoding === 'binary') {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : data;
    return decodeDataBinary(bytes).envelope;
  }
  return decodeDataJson(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
}

/** Decodes a long-poll batch body: a JSON array, or binary messages back to back. */
export function decodeBatch(body: Uint8Array, encoding: Encoding): Envelope[] {
  if (encoding === 'binary') {
    const out: Envelope[] = [];
    for (let offset = 0; offset < body.length; ) {
      const { envelope, next } = decodeDataBinary(body, offset);
      out.push(envelope);
      offset = next;
    }
    return out;
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const items: unknown = JSON.parse(text);
  if (!Array.isArray(items)) throw new Error('long-poll JSON body must be an array');
  return items.map((item) => decodeDataJson(JSON.stringify(item)));
}

export function encodeClient(msg: ClientMessage, encoding: Encoding): Buffer | string {
  return encoding === 'binary' ? encodeClientBinary(msg) : encodeClientJson(msg);
}

export function decodeClient(data: Uint8Array | string, isBinary: boolean): ClientMessage {
  if (isBinary) return decodeClientBinary(typeof data === 'string' ? Buffer.from(data) : data);
  return decodeClientJson(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
}

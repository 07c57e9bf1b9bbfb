import { ByteReader, ByteWriter, compareBytes, utf8Length } from '../bytes.js';
import { MurmurArgumentError, badPayload } from '../errors.js';

/** Identifiers (feed, stream, event type): 1..64 bytes of [A-Za-z0-9._:/-]. */
export const MAX_IDENT_BYTES = 64;
const IDENT_RE = /^[A-Za-z0-9._:/-]{1,64}$/;

export function isIdent(s: string): boolean {
  return IDENT_RE.test(s);
}

export function payloadReader(payload: Uint8Array): ByteReader {
  return new ByteReader(payload, 0, payload.length, badPayload);
}

export function readIdent(r: ByteReader, field: string): string {
  const s = r.string(MAX_IDENT_BYTES);
  if (!isIdent(s)) throw r.fail(`${field} must match [A-Za-z0-9._:/-]{1,64}`);
  return s;
}

export function writeIdent(w: ByteWriter, s: string, field: string): void {
  if (typeof s !== 'string' || !isIdent(s)) throw new MurmurArgumentError(field, '1..64 characters of [A-Za-z0-9._:/-]');
  w.string(s);
}

export function writeText(w: ByteWriter, s: string, field: string, maxBytes: number): void {
  if (typeof s !== 'string' || utf8Length(s) > maxBytes) throw new MurmurArgumentError(field, `a string of at most ${maxBytes} UTF-8 bytes`);
  w.string(s);
}

/** A set of byte strings on the wire: varint count, then strictly ascending items. */
export function readSortedSet<T>(
  r: ByteReader,
  maxCount: number,
  readItem: () => T,
  bytesOf: (t: T) => Uint8Array,
  field: string,
): T[] {
  const n = r.varint(maxCount);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const item = readItem();
    if (i > 0 && compareBytes(bytesOf(out[i - 1]!), bytesOf(item)) >= 0) throw r.fail(`${field} must be strictly ascending`);
    out.push(item);
  }
  return out;
}

import { fromHex, toHex } from './bytes.js';
import { verifyStrict } from './ed25519.js';
import { DecodeError } from './errors.js';
import { decodeHeader, decodeUpdate, headerId, signingInput } from './update.js';

/** One signed update header: enough to check the author's signature without the ops. */
export interface SignedHeader {
  readonly id: string;
  readonly header: string;
  readonly signature: string;
}

/** Two valid updates by one author with one seq. `a.id < b.id`. */
export interface EquivocationEvidence {
  readonly author: string;
  readonly seq: number;
  readonly a: SignedHeader;
  readonly b: SignedHeader;
}

export function signedHeaderOf(bytes: Uint8Array): SignedHeader {
  const u = decodeUpdate(bytes);
  return { id: u.id, header: toHex(u.header), signature: toHex(u.signature) };
}

/**
 * Checks evidence as any third party can: both headers decode, name the stated author and seq,
 * carry valid strict signatures, hash to the stated ids, and the ids differ.
 */
export function verifyEvidence(e: EquivocationEvidence): boolean {
  try {
    const halves = [e.a, e.b].map((h) => {
      const header = fromHex(h.header, 'header');
      const signature = fromHex(h.signature, 'signature', 64);
      const decoded = decodeHeader(header);
      const ok =
        toHex(decoded.author) === e.author &&
        decoded.seq === e.seq &&
        headerId(header, signature) === h.id &&
        verifyStrict(decoded.author, signingInput(header), signature);
      return ok;
    });
    return halves.every(Boolean) && e.a.id < e.b.id;
  } catch (err) {
    if (err instanceof DecodeError || err instanceof TypeError) return false;
    throw err;
  }
}

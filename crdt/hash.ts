import { createHash } from 'node:crypto';

/** Domain-separation prefixes; each ends in NUL so no prefix is a prefix of another's input. */
export const DOMAIN_SIGNATURE = Buffer.from('murmur:v1:update-sig\0', 'latin1');
export const DOMAIN_ID = Buffer.from('murmur:v1:update-id\0', 'latin1');
export const DOMAIN_OPS = Buffer.from('murmur:v1:ops\0', 'latin1');
export const DOMAIN_DIGEST = Buffer.from('murmur:v1:state-digest\0', 'latin1');

export const HASH_BYTES = 32;

/** SHA-256 over the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

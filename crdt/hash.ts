import { createHash, hash } from 'node:crypto';

/** Domain-separation prefixes; each ends in NUL so no prefix is a prefix of another's input. */
export const DOMAIN_SIGNATURE = Buffer.from('murmur:v1:update-sig\0', 'latin1');
export const DOMAIN_ID = Buffer.from('murmur:v1:update-id\0', 'latin1');
export const DOMAIN_OPS = Buffer.from('murmur:v1:ops\0', 'latin1');

export const HASH_BYTES = 32;

/** SHA-256 over the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return sha256One(parts[0]!);
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** One-shot SHA-256 of a single buffer (node:crypto.hash: no Hash object, faster on small inputs). */
export function sha256One(data: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', data, 'buffer'));
}

/** One-shot SHA-256 of `domain || data`, as hex. */
export function sha256DomainHex(domain: Uint8Array, data: Uint8Array): string {
  const buf = new Uint8Array(domain.length + data.length);
  buf.set(domain);
  buf.set(data, domain.length);
  return hash('sha256', buf, 'hex');
}

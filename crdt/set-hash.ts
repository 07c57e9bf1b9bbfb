import { createHash } from 'node:crypto';
import { toHex } from './bytes.js';
import { sha256 } from './hash.js';

/** Lanes of the lattice hash (LtHash16: 1 024 lanes of 16 bits, 2 KiB of state). */
export const SET_HASH_LANES = 1_024;
/** Bytes each element is expanded to: one u16 per lane. */
export const SET_HASH_ELEMENT_BYTES = SET_HASH_LANES * 2;

/** Typed-array views read little-endian u16 only on a little-endian host; elsewhere lanes are read byte-wise. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Domain of an element's expansion, and of the digest over the lanes. */
export const DOMAIN_SET_ELEMENT = Buffer.from('murmur:v2:state-element\0', 'latin1');
export const DOMAIN_SET_DIGEST = Buffer.from('murmur:v2:state-digest\0', 'latin1');

/**
 * An incremental, order-independent hash of a set of 32-byte ids: LtHash16 (Bellare and
 * Micciancio's AdHash family, with the lattice parameters of Lewi et al., "Securing update
 * propagation with homomorphic hashing", 2019). Each id is expanded with SHAKE128 to 1 024 u16
 * lanes, and lanes are summed mod 2^16, so adding an id costs one expansion and 1 024 additions
 * whatever the set's size, and any order of additions gives the same lanes. A plain XOR or a
 * 256-bit sum of ids would not do: an author who grinds ids could build two different sets with
 * one digest (linear algebra for XOR, Wagner's k-sum for a small modulus). Pure: no clock, no
 * randomness, no I/O. Specified in docs/PROTOCOL.md §7.
 */
/** SHAKE128 already fed with the element domain: each element copies it (saves a third of the cost). */
const ELEMENT_BASE = createHash('shake128').update(DOMAIN_SET_ELEMENT);

/** An id's expansion (SET_HASH_ELEMENT_BYTES): the costly part of SetHash.add, which a verifier worker may do off the main thread. */
export function setHashElement(id: Uint8Array | string): Uint8Array {
  const bytes = typeof id === 'string' ? Buffer.from(id, 'hex') : id;
  return ELEMENT_BASE.copy({ outputLength: SET_HASH_ELEMENT_BYTES }).update(bytes).digest();
}

export class SetHash {
  private readonly lanes = new Uint16Array(SET_HASH_LANES);
  private n = 0;
  private cached: string | null = null;

  get count(): number {
    return this.n;
  }

  /**
   * Adds one id (32 bytes, or 64 hex characters). The caller adds each id once. `element`, when
   * given, is setHashElement(id) computed elsewhere by trusted code from the same id (a verifier
   * worker); then only the 1 024 lane additions run here.
   */
  add(id: Uint8Array | string, element?: Uint8Array): void {
    const e = element !== undefined && element.length === SET_HASH_ELEMENT_BYTES ? element : setHashElement(id);
    const lanes = this.lanes;
    if (LITTLE_ENDIAN && e.byteOffset % 2 === 0) {
      const v = new Uint16Array(e.buffer, e.byteOffset, SET_HASH_LANES);
      for (let i = 0; i < SET_HASH_LANES; i++) lanes[i] = lanes[i]! + v[i]!;
    } else {
      const v = new DataView(e.buffer, e.byteOffset, e.byteLength);
      for (let i = 0; i < SET_HASH_LANES; i++) lanes[i] = lanes[i]! + v.getUint16(2 * i, true);
    }
    this.n++;
    this.cached = null;
  }

  /** SHA-256(DOMAIN_SET_DIGEST || u64be(count) || lanes as little-endian u16), hex; cached until the next add. */
  digest(): string {
    if (this.cached !== null) return this.cached;
    const head = Buffer.alloc(8);
    head.writeBigUInt64BE(BigInt(this.n));
    const lanes = Buffer.alloc(SET_HASH_ELEMENT_BYTES);
    for (let i = 0; i < SET_HASH_LANES; i++) lanes.writeUInt16LE(this.lanes[i]!, 2 * i);
    this.cached = toHex(sha256(DOMAIN_SET_DIGEST, head, lanes));
    return this.cached;
  }
}

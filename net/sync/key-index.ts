import { sha256 } from '../../crdt/index.js';

/** A sync key: the update's height (u32) and id (32 bytes, hex). Ordered by (height, id). */
export interface SyncKey {
  readonly height: number;
  readonly id: string;
}

/** Upper bound beyond every key. */
export const KEY_INFINITY: SyncKey = { height: 2 ** 32, id: '0'.repeat(64) };
export const KEY_MIN: SyncKey = { height: 0, id: '0'.repeat(64) };
export const FINGERPRINT_BYTES = 16;

const DOMAIN_FP = Buffer.from('murmur:v1:sync-fp\0', 'latin1');
const LANES = 8;

export function compareKeys(a: SyncKey, b: SyncKey): number {
  return a.height - b.height || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function sortKey(k: SyncKey): string {
  return k.height.toString(16).padStart(9, '0') + k.id;
}

/**
 * The sorted set of accepted (height, id) keys, with range fingerprints:
 * fp = SHA-256(DOMAIN || (sum of ids as 256-bit big-endian integers mod 2^256) || u64be count)[0..16].
 * An additive fingerprint (as in Negentropy) resists the linear tricks that break XOR.
 */
export class KeyIndex {
  private keys: string[] = [];
  /** 8 big-endian 32-bit limbs per key, parallel to `keys`. */
  private limbs = new Float64Array(0);
  /** Keys added since the last merge (inserts are buffered: merging per insert would be quadratic). */
  private added: string[] = [];

  get size(): number {
    this.compact();
    return this.keys.length;
  }

  /** Adds a key (a key already present is ignored when the buffer is merged). */
  add(k: SyncKey): void {
    this.added.push(sortKey(k));
  }

  /** Merges buffered keys into the sorted arrays: O(n + m log m) once per read burst. */
  private compact(): void {
    if (this.added.length === 0) return;
    const add = this.added.sort();
    this.added = [];
    const keys: string[] = [];
    const limbs = new Float64Array((this.keys.length + add.length) * LANES);
    let i = 0;
    let j = 0;
    while (i < this.keys.length || j < add.length) {
      const fromOld = j >= add.length || (i < this.keys.length && this.keys[i]! <= add[j]!);
      const s = fromOld ? this.keys[i]! : add[j]!;
      if (fromOld) i++;
      else j++;
      if (keys.length > 0 && keys[keys.length - 1] === s) continue; // duplicate
      const k = keys.length;
      keys.push(s);
      if (fromOld) limbs.set(this.limbs.subarray((i - 1) * LANES, i * LANES), k * LANES);
      else for (let l = 0; l < LANES; l++) limbs[k * LANES + l] = parseInt(s.slice(9 + l * 8, 17 + l * 8), 16);
    }
    this.keys = keys;
    this.limbs = limbs.slice(0, keys.length * LANES);
  }

  /** Index of the first key >= k. */
  lowerBound(k: SyncKey): number {
    this.compact();
    const s = sortKey(k);
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  keyAt(i: number): SyncKey {
    this.compact();
    const s = this.keys[i]!;
    return { height: parseInt(s.slice(0, 9), 16), id: s.slice(9) };
  }

  idAt(i: number): string {
    this.compact();
    return this.keys[i]!.slice(9);
  }

  /** Fingerprint of the keys at indices [from, to). */
  fingerprint(from: number, to: number): Uint8Array {
    this.compact();
    const acc = new Array<number>(LANES).fill(0);
    for (let i = from; i < to; i++) {
      const base = i * LANES;
      for (let l = 0; l < LANES; l++) acc[l]! += this.limbs[base + l]!;
      if ((i - from) % 1_000_000 === 999_999) carry(acc);
    }
    carry(acc);
    const buf = Buffer.alloc(32 + 8);
    acc.forEach((v, l) => buf.writeUInt32BE(v, l * 4));
    buf.writeBigUInt64BE(BigInt(to - from), 32);
    return sha256(DOMAIN_FP, buf).subarray(0, FINGERPRINT_BYTES);
  }
}

/** Propagates carries from the least significant lane (7) up; what leaves lane 0 is dropped (mod 2^256). */
function carry(acc: number[]): void {
  for (let l = LANES - 1; l >= 0; l--) {
    const v = acc[l]!;
    const high = Math.floor(v / 2 ** 32);
    acc[l] = v - high * 2 ** 32;
    if (l > 0) acc[l - 1]! += high;
  }
}

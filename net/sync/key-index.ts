import { compareSpans, sha256 } from '../../crdt/index.js';

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

const ID_BYTES = 32;
/** A stored key: height (u32 big-endian) then the id, so byte order is key order. */
const ROW_BYTES = 4 + ID_BYTES;
/** Buffered inserts merged at once, at least (and at least a quarter of the index: amortised O(1) per insert). */
const MERGE_MIN_KEYS = 65_536;

/**
 * The sorted set of accepted (height, id) keys, with range fingerprints:
 * fp = SHA-256(DOMAIN || (sum of ids as 256-bit big-endian integers mod 2^256) || u64be count)[0..16].
 * An additive fingerprint (as in Negentropy) resists the linear tricks that break XOR.
 *
 * Keys are 36-byte rows in one sorted buffer (36 bytes a key); inserts go to an unsorted buffer
 * that is sorted and merged in before a read, or once it holds a quarter of the index.
 */
export class KeyIndex {
  private sorted = new Uint8Array(0);
  private n = 0;
  private added = new Uint8Array(1024 * ROW_BYTES);
  private m = 0;

  get size(): number {
    this.compact();
    return this.n;
  }

  /** Adds a key (a key already present is ignored when the buffer is merged). */
  add(k: SyncKey): void {
    if ((this.m + 1) * ROW_BYTES > this.added.length) {
      const grown = new Uint8Array(this.added.length * 2);
      grown.set(this.added);
      this.added = grown;
    }
    encodeKey(k, this.added, this.m * ROW_BYTES);
    this.m++;
    if (this.m >= Math.max(MERGE_MIN_KEYS, this.n / 4)) this.compact();
  }

  /** Merges buffered keys into the sorted buffer: O(n + m log m). */
  private compact(): void {
    if (this.m === 0) return;
    const add = Buffer.from(this.added.buffer, 0, this.m * ROW_BYTES);
    const order = Array.from({ length: this.m }, (_, k) => k).sort((a, b) => compareRows(add, a, add, b));
    const old = Buffer.from(this.sorted.buffer, this.sorted.byteOffset, this.n * ROW_BYTES);
    const out = Buffer.allocUnsafeSlow((this.n + this.m) * ROW_BYTES);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.n || j < order.length) {
      const fromOld = j >= order.length || (i < this.n && compareRows(old, i, add, order[j]!) <= 0);
      const src = fromOld ? old : add;
      const at = fromOld ? i++ : order[j++]!;
      if (k > 0 && compareRows(src, at, out, k - 1) === 0) continue; // a duplicate
      src.copy(out, k * ROW_BYTES, at * ROW_BYTES, (at + 1) * ROW_BYTES);
      k++;
    }
    this.sorted = k === this.n + this.m ? out : out.subarray(0, k * ROW_BYTES);
    this.n = k;
    this.m = 0;
    if (this.added.length > 1024 * ROW_BYTES) this.added = new Uint8Array(1024 * ROW_BYTES);
  }

  /** Index of the first key >= k. */
  lowerBound(k: SyncKey): number {
    this.compact();
    if (k.height > 0xffffffff) return this.n;
    const probe = Buffer.alloc(ROW_BYTES);
    encodeKey(k, probe, 0);
    const keys = Buffer.from(this.sorted.buffer, this.sorted.byteOffset, this.n * ROW_BYTES);
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys.compare(probe, 0, ROW_BYTES, mid * ROW_BYTES, (mid + 1) * ROW_BYTES) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  keyAt(i: number): SyncKey {
    this.compact();
    const at = i * ROW_BYTES;
    const s = this.sorted;
    return { height: ((s[at]! << 24) | (s[at + 1]! << 16) | (s[at + 2]! << 8) | s[at + 3]!) >>> 0, id: this.idAt(i) };
  }

  idAt(i: number): string {
    this.compact();
    return Buffer.from(this.sorted.buffer, this.sorted.byteOffset + i * ROW_BYTES + 4, ID_BYTES).toString('hex');
  }

  /** Fingerprint of the keys at indices [from, to). */
  fingerprint(from: number, to: number): Uint8Array {
    this.compact();
    const view = new DataView(this.sorted.buffer, this.sorted.byteOffset);
    const acc = new Array<number>(LANES).fill(0);
    for (let i = from; i < to; i++) {
      const base = i * ROW_BYTES + 4;
      for (let l = 0; l < LANES; l++) acc[l]! += view.getUint32(base + 4 * l);
      if ((i - from) % 1_000_000 === 999_999) carry(acc);
    }
    carry(acc);
    const buf = Buffer.alloc(32 + 8);
    acc.forEach((v, l) => buf.writeUInt32BE(v, l * 4));
    buf.writeBigUInt64BE(BigInt(to - from), 32);
    return sha256(DOMAIN_FP, buf).subarray(0, FINGERPRINT_BYTES);
  }
}

/** Byte order of row `i` of `a` against row `j` of `b`. */
function compareRows(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  return compareSpans(a, i * ROW_BYTES, b, j * ROW_BYTES, ROW_BYTES);
}

function encodeKey(k: SyncKey, out: Uint8Array, at: number): void {
  const h = k.height;
  out[at] = h >>> 24;
  out[at + 1] = (h >>> 16) & 0xff;
  out[at + 2] = (h >>> 8) & 0xff;
  out[at + 3] = h & 0xff;
  out.set(Buffer.from(k.id, 'hex'), at + 4);
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

import { createCipheriv } from 'node:crypto';
import { check, KernelErrorCode } from '../errors.js';

/**
 * Masks of secure aggregation: a 32-byte seed expands to a stream of u32 words with AES-256-CTR
 * (node:crypto, so AES-NI where the CPU has it), coordinate i being the i-th little-endian word
 * of the key stream. The counter block of coordinate i is floor(i / 4) (128-bit big-endian, IV 0
 * at coordinate 0), so any slice expands on its own and every node expands the same words.
 * Masked values live in the ring Z_2^32 (Int32Array arithmetic with `| 0`).
 */

export const MASK_SEED_BYTES = 32;
/** Key-stream bytes expanded per cipher call: large enough to amortise the call, small enough to stay in cache. */
export const MASK_CHUNK_BYTES = 256 * 1024;

const ZEROS = new Uint8Array(MASK_CHUNK_BYTES);

function counterIv(block: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(Math.floor(block / 2 ** 32), 8);
  iv.writeUInt32BE(block >>> 0, 12);
  return iv;
}

/**
 * Adds (sign 1) or subtracts (sign -1) the mask of `seed` over coordinates [offset, offset +
 * acc.length) into `acc`, mod 2^32.
 */
export function applyMask(acc: Int32Array, seed: Uint8Array, offset: number, sign: 1 | -1): void {
  check(seed.length === MASK_SEED_BYTES, KernelErrorCode.BadShape, 'seed', `${MASK_SEED_BYTES} bytes`);
  check(Number.isSafeInteger(offset) && offset >= 0, KernelErrorCode.BadParameter, 'offset', 'an integer >= 0');
  const cipher = createCipheriv('aes-256-ctr', seed, counterIv(Math.floor(offset / 4)));
  let skip = (offset % 4) * 4; // key-stream bytes before `offset` in its first block
  let k = 0;
  while (k < acc.length) {
    const want = Math.min(MASK_CHUNK_BYTES, (acc.length - k) * 4 + skip);
    const ks = cipher.update(ZEROS.subarray(0, want));
    const at = ks.byteOffset + skip;
    const len = (ks.length - skip) >> 2;
    // Small outputs may come from Node's shared pool at any byte offset: copy those to align them.
    const words = at % 4 === 0 ? new Int32Array(ks.buffer, at, len) : new Int32Array(ks.buffer.slice(at, at + len * 4));
    skip = 0;
    const n = words.length;
    if (sign === 1) for (let i = 0; i < n; i++) acc[k + i] = (acc[k + i]! + words[i]!) | 0;
    else for (let i = 0; i < n; i++) acc[k + i] = (acc[k + i]! - words[i]!) | 0;
    k += n;
  }
}

/** acc += v, mod 2^32, coordinate by coordinate (the secure sum's plain part). */
export function addRing(acc: Int32Array, v: Int32Array, at = 0): void {
  check(at >= 0 && at + v.length <= acc.length, KernelErrorCode.BadShape, 'v', `a slice inside the accumulator's ${acc.length} coordinates`);
  for (let i = 0; i < v.length; i++) acc[at + i] = (acc[at + i]! + v[i]!) | 0;
}

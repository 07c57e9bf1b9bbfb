import { createCipheriv, type Cipher } from 'node:crypto';
import { check, KernelErrorCode } from '../errors.js';
import { ringSimd } from './ring-simd.js';

/**
 * Masks of secure aggregation: a 32-byte seed expands to a stream of u32 words with AES-128-CTR
 * (node:crypto, so AES-NI where the CPU has it): the key is the seed's first 16 bytes, the
 * initial counter block its next 8 bytes followed by the 64-bit big-endian block number, and
 * coordinate i is the i-th little-endian word of the key stream (block floor(i / 4)), so any slice
 * expands on its own and every node expands the same words. (The last 8 seed bytes are unused.)
 * Masked values live in the ring Z_2^32 (Int32Array arithmetic mod 2^32); the additions run in
 * WebAssembly SIMD (ring-simd.ts), a chunk of the vector at a time with every mask applied to it.
 */

export const MASK_SEED_BYTES = 32;
/** Key-stream bytes expanded per cipher call: large enough to amortise the call, small enough to stay in cache. */
export const MASK_CHUNK_BYTES = 64 * 1024;
const CHUNK_WORDS = MASK_CHUNK_BYTES / 4;

const ZEROS = new Uint8Array(MASK_CHUNK_BYTES + 16);

function counterIv(seed: Uint8Array, block: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.set(seed.subarray(16, 24));
  iv.writeUInt32BE(Math.floor(block / 2 ** 32), 8);
  iv.writeUInt32BE(block >>> 0, 12);
  return iv;
}

export interface Mask {
  readonly seed: Uint8Array;
  /** 1: add the mask; -1: subtract it. */
  readonly sign: 1 | -1;
}

/** Applies every mask over coordinates [offset, offset + acc.length) to `acc`, mod 2^32. */
export function applyMasks(acc: Int32Array, masks: readonly Mask[], offset: number): void {
  check(Number.isSafeInteger(offset) && offset >= 0, KernelErrorCode.BadParameter, 'offset', 'an integer >= 0');
  for (const m of masks) check(m.seed.length === MASK_SEED_BYTES, KernelErrorCode.BadShape, 'seed', `${MASK_SEED_BYTES} bytes`);
  if (masks.length === 0 || acc.length === 0) return;
  // Wasm memory: [0, CHUNK) the accumulator's chunk, [CHUNK, 2 CHUNK) one mask's key stream.
  const simd = ringSimd(2 * MASK_CHUNK_BYTES + 16);
  const ciphers: Cipher[] = masks.map((m) => createCipheriv('aes-128-ctr', m.seed.subarray(0, 16), counterIv(m.seed, Math.floor(offset / 4))));
  let skip = (offset % 4) * 4; // key-stream bytes before `offset` in its first block
  const words = new Int32Array(simd.memory.buffer, 0, CHUNK_WORDS);
  const bytes = new Uint8Array(simd.memory.buffer, MASK_CHUNK_BYTES, MASK_CHUNK_BYTES + 16);
  for (let k = 0; k < acc.length; k += CHUNK_WORDS) {
    const n = Math.min(CHUNK_WORDS, acc.length - k);
    const padded = Math.ceil((n * 4) / 16) * 16;
    words.set(acc.subarray(k, k + n));
    masks.forEach((m, j) => {
      const ks = ciphers[j]!.update(ZEROS.subarray(0, n * 4 + skip));
      bytes.set(ks.subarray(skip));
      if (m.sign === 1) simd.add(0, MASK_CHUNK_BYTES, padded);
      else simd.sub(0, MASK_CHUNK_BYTES, padded);
    });
    skip = 0;
    acc.set(words.subarray(0, n), k);
  }
}

/** applyMasks with one mask. */
export function applyMask(acc: Int32Array, seed: Uint8Array, offset: number, sign: 1 | -1): void {
  applyMasks(acc, [{ seed, sign }], offset);
}

/** A vector slice to add: its words and the coordinate it starts at. */
export interface RingPart {
  readonly words: Int32Array;
  readonly at: number;
}

/** acc += every part, mod 2^32 (the secure sum's plain part), a chunk of acc at a time in SIMD. */
export function addRings(acc: Int32Array, parts: readonly RingPart[]): void {
  for (const p of parts) check(p.at >= 0 && p.at + p.words.length <= acc.length, KernelErrorCode.BadShape, 'part', `a slice inside the accumulator's ${acc.length} coordinates`);
  const simd = ringSimd(2 * MASK_CHUNK_BYTES + 16);
  const words = new Int32Array(simd.memory.buffer, 0, CHUNK_WORDS);
  const other = new Int32Array(simd.memory.buffer, MASK_CHUNK_BYTES, CHUNK_WORDS + 4);
  for (let k = 0; k < acc.length; k += CHUNK_WORDS) {
    const end = Math.min(acc.length, k + CHUNK_WORDS);
    words.set(acc.subarray(k, end));
    for (const p of parts) {
      const from = Math.max(k, p.at);
      const to = Math.min(end, p.at + p.words.length);
      if (from >= to) continue;
      if (from > k || to < end) other.fill(0); // a part that covers the chunk partly adds zeros elsewhere
      other.set(p.words.subarray(from - p.at, to - p.at), from - k);
      simd.add(0, MASK_CHUNK_BYTES, Math.ceil(((end - k) * 4) / 16) * 16);
    }
    acc.set(words.subarray(0, end - k), k);
  }
}

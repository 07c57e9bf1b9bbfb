/**
 * Child of bench/secagg.ts: one contributor's mask expansion in a process of a contributor's size
 * (it holds its vector, not a node's log). Every run is measured, the first (cold) one too;
 * prints one JSON line: GB/s per run for masks (expand + add) and for the bare key stream.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { applyMasks, MASK_CHUNK_BYTES } from '../kernels/index.js';

const [dimension, masks, runs] = process.argv.slice(2).map(Number) as [number, number, number];
const mask: number[] = [];
const keystream: number[] = [];
const bytes = masks * dimension * 4;
for (let r = 0; r < runs; r++) {
  const seeds = Array.from({ length: masks }, () => randomBytes(32));
  const acc = new Int32Array(dimension);
  let t0 = process.hrtime.bigint();
  applyMasks(acc, seeds.map((seed, j) => ({ seed, sign: j % 2 === 0 ? 1 : -1 })), 0);
  mask.push(bytes / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e9);
  const zeros = new Uint8Array(MASK_CHUNK_BYTES);
  t0 = process.hrtime.bigint();
  for (const s of seeds) {
    const c = createCipheriv('aes-128-ctr', s.subarray(0, 16), Buffer.alloc(16));
    for (let off = 0; off < dimension * 4; off += MASK_CHUNK_BYTES) c.update(zeros);
  }
  keystream.push(bytes / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e9);
}
console.log(JSON.stringify({ mask, keystream }));

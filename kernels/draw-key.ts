import { createHash } from 'node:crypto';
import { check, KernelErrorCode } from './errors.js';

/** What a public draw is for. Public: the key is a function of public values, so the draws are the same on every node (and no privacy may rest on them). */
export type DrawUse = 'public-gaussian' | 'quantize';

/**
 * The Philox key for (use, stream, round): the first 8 bytes of
 * SHA-256("murmur/draw/v1" 0x00 use 0x00 stream 0x00 round-decimal), as two little-endian u32.
 * Every node derives the same key, so every node draws the same noise.
 */
export function drawKey(use: DrawUse, stream: string, round: number): [number, number] {
  check(Number.isSafeInteger(round) && round >= 0, KernelErrorCode.BadParameter, 'round', 'a non-negative integer');
  const h = createHash('sha256').update(`murmur/draw/v1\0${use}\0${stream}\0${round}`).digest();
  return [h.readUInt32LE(0), h.readUInt32LE(4)];
}

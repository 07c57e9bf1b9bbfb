/**
 * Exact integer helpers shared by the CPU backend and mirrored line for line in WGSL
 * (webgpu/wgsl-common.ts), so both backends compute the same bits.
 */

/** High 32 bits of the 64-bit product of two u32 values. */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const lo = a0 * b0;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** floor(q * f / 2^16) for i32 q and 0 <= f <= 2^16, exactly (the product may exceed 2^32). */
export function mulShift16(q: number, f: number): number {
  // (q >> 16) * f stays within 2^30; (q & 0xffff) * f < 2^32, so >>> floors it exactly.
  return (q >> 16) * f + (((q & 0xffff) * f) >>> 16);
}

/** Rounded coarse coordinate: round-half-up of q / 2^16, |result| <= 2^14 for |q| < 2^30. */
export function coarse(q: number): number {
  return (q + 32768) >> 16;
}

/** floor((a + b) / 2) for safe integers, without overflow (Pyth's avg_2_int64 rounding). */
export function avgFloor(a: number, b: number): number {
  return Math.floor((a + b) / 2);
}

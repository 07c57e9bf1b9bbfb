import { check, KernelErrorCode } from './errors.js';
import { FIXED_BITS, MAX_DELTA_ABS, MAX_DELTAS, MAX_DIMENSION } from './limits.js';

/**
 * K deltas of D coordinates in one block-floating-point frame: x = q * 2^-shift, |q| < 2^30.
 * All delta kernels work on these integers, so no float rounding depends on a backend.
 */
export interface FixedDeltas {
  readonly k: number;
  readonly d: number;
  readonly rows: readonly Int32Array[];
  readonly shift: number;
}

const F64 = new Float64Array(1);
const BITS = new Uint32Array(F64.buffer);

/** floor(log2(m)) for a finite m > 0, read from the IEEE-754 bits (exact, unlike Math.log2). */
export function binaryExponent(m: number): number {
  F64[0] = m;
  const biased = (BITS[1]! >>> 20) & 0x7ff;
  if (biased !== 0) return biased - 1023;
  F64[0] = m * 2 ** 64; // subnormal: renormalise
  return ((BITS[1]! >>> 20) & 0x7ff) - 1023 - 64;
}

/** 1.5 x 2^52: x + ROUND_MAGIC - ROUND_MAGIC is x rounded half to even, for |x| < 2^51. */
export const ROUND_MAGIC = 6_755_399_441_055_744;

/** Round half to even; `y` is exact (a float scaled by a power of two). */
export function roundHalfEven(y: number): number {
  let r = Math.round(y);
  if (r - y === 0.5 && (r & 1) !== 0) r -= 1;
  return r;
}

/** Checks the shape of K deltas: 1..MAX_DELTAS rows of one length in 1..MAX_DIMENSION. */
export function checkShape(rows: readonly Float32Array[], field = 'deltas'): { k: number; d: number } {
  const k = rows.length;
  check(k >= 1 && k <= MAX_DELTAS, KernelErrorCode.BadShape, field, `1..${MAX_DELTAS} deltas, got ${k}`);
  const d = rows[0]!.length;
  check(d >= 1 && d <= MAX_DIMENSION, KernelErrorCode.BadShape, field, `1..${MAX_DIMENSION} coordinates, got ${d}`);
  rows.forEach((row, r) => check(row.length === d, KernelErrorCode.BadShape, `${field}[${r}]`, `${d} coordinates like delta 0, got ${row.length}`));
  return { k, d };
}

/** The frame's shift for the largest magnitude `max`: the largest value then has FIXED_BITS - 1 bits. */
export function frameShift(max: number): number {
  return max === 0 ? 0 : FIXED_BITS - 1 - binaryExponent(max);
}

/** Checks shape and values, then converts to the common fixed-point frame. */
export function toFixed(rows: readonly Float32Array[], field = 'deltas'): FixedDeltas {
  const { k, d } = checkShape(rows, field);
  let max = 0;
  for (let r = 0; r < k; r++) {
    const row = rows[r]!;
    for (let i = 0; i < d; i++) {
      const a = Math.abs(row[i]!);
      if (a > max || a !== a) {
        check(Number.isFinite(a), KernelErrorCode.NonFinite, `${field}[${r}][${i}]`, `${row[i]} is not finite`);
        check(a <= MAX_DELTA_ABS, KernelErrorCode.OutOfRange, `${field}[${r}][${i}]`, `|x| <= 2^64, got ${row[i]}`);
        max = a;
      }
    }
  }
  const shift = frameShift(max);
  const scale = 2 ** shift;
  // row[i] * scale is exact (a power-of-two scale) and below 2^31 in magnitude, so adding and
  // subtracting 1.5 x 2^52 rounds it half to even by IEEE-754's own rounding: roundHalfEven
  // without a call or a branch (the same integers; test/kernels checks them against it).
  const out = rows.map((row) => {
    const q = new Int32Array(d);
    for (let i = 0; i < d; i++) q[i] = row[i]! * scale + ROUND_MAGIC - ROUND_MAGIC;
    return q;
  });
  return { k, d, rows: out, shift };
}

/** Converts fixed-point results (integers, or exact ratios in float64) back to f32. */
export function fromFixed(values: ArrayLike<number>, shift: number, divisor = 1): Float32Array {
  const out = new Float32Array(values.length);
  const scale = 2 ** -shift;
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! / divisor) * scale;
  return out;
}

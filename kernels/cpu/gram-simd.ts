/**
 * Squared L2 distances of coarse rows (Int16, |c| <= 2^14) with WebAssembly SIMD: 8 coordinates an
 * instruction (i16x8.sub, then i32x4.dot_i16x8_s squares and adds pairs), accumulated exactly in
 * two u64 lanes. The scalar loop of gramCpu does one coordinate at a time; Krum's K(K-1)/2 pairs
 * are where multi-krum spends its time. The module, assembled below from this text:
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "dist") (param $a i32) (param $b i32) (param $n i32) (result i64) ;; n: bytes, a multiple of 16
 *       (local $end i32) (local $acc v128) (local $p v128)
 *       (local.set $end (i32.add (local.get $a) (local.get $n)))
 *       (local.set $acc (v128.const i64x2 0 0))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $a) (local.get $end)))
 *         (local.set $p (i16x8.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
 *         (local.set $p (i32x4.dot_i16x8_s (local.get $p) (local.get $p)))
 *         (local.set $acc (i64x2.add (i64x2.add (local.get $acc) (i64x2.extend_low_i32x4_u (local.get $p)))
 *                                    (i64x2.extend_high_i32x4_u (local.get $p))))
 *         (local.set $a (i32.add (local.get $a) (i32.const 16)))
 *         (local.set $b (i32.add (local.get $b) (i32.const 16)))
 *         (br 0)))
 *       (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc)))))
 *
 * Exactness: a difference of two coarse values (|c| <= 2^14) is at most 2^15 in magnitude; an i16
 * holds all of them but +2^15, which i16x8.sub wraps to -2^15, whose square is the same. A pair's
 * sum of squares is at most 2^31 (an i32 lane holds it, read unsigned by the u64 extension), and
 * the total stays below 2^53 for every dimension the kernels accept, so the result is the scalar
 * loop's integer.
 */
import { coarse } from '../int-math.js';
import { MAX_DELTAS } from '../limits.js';
import type { FixedDeltas } from '../fixed-point.js';
import { ensureMemory, instantiateOrNull, leb, name, section, simd, WASM_HEADER, type WasmMemory } from '../wasm.js';

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const LOAD = [...simd(0x00), 0x04, 0x00];

function distBody(): number[] {
  const code = [
    ...get(0), ...get(2), 0x6a, ...set(3),
    ...simd(0x0c), ...new Array<number>(16).fill(0), ...set(4),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(3), 0x4f, 0x0d, 0x01,
    ...get(0), ...LOAD, ...get(1), ...LOAD, ...simd(145), ...set(5), // i16x8.sub
    ...get(5), ...get(5), ...simd(186), ...set(5), // i32x4.dot_i16x8_s
    ...get(4), ...get(5), ...simd(201), ...simd(206), // i64x2.extend_low_i32x4_u, i64x2.add
    ...get(5), ...simd(202), ...simd(206), ...set(4), // i64x2.extend_high_i32x4_u, i64x2.add
    ...get(0), 0x41, 0x10, 0x6a, ...set(0),
    ...get(1), 0x41, 0x10, 0x6a, ...set(1),
    0x0c, 0x00, 0x0b, 0x0b,
    ...get(4), ...simd(29), 0x00, ...get(4), ...simd(29), 0x01, 0x7c, // i64x2.extract_lane 0 and 1, i64.add
    0x0b,
  ];
  const fn = [0x02, 0x01, 0x7f, 0x02, 0x7b, ...code]; // locals: one i32, two v128
  return [...leb(fn.length), ...fn];
}

const MODULE = new Uint8Array([
  ...WASM_HEADER,
  ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7e]),
  ...section(3, [0x01, 0x00]),
  ...section(5, [0x01, 0x00, 0x01]),
  ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('dist'), 0x00, 0x00]),
  ...section(10, [0x01, ...distBody()]),
]);

interface GramModule {
  readonly memory: WasmMemory;
  dist(a: number, b: number, bytes: number): bigint;
}

let instance: GramModule | null | undefined;

/** The module, or null where this runtime has no WebAssembly SIMD (gramCpu's scalar loop then runs). */
function module(): GramModule | null {
  if (instance === undefined) instance = instantiateOrNull<GramModule>(MODULE);
  return instance;
}

export function gramSimdAvailable(): boolean {
  return module() !== null;
}

/** Coordinates per column block: the module's memory holds one block of every row (MAX_DELTAS + 1 rows of 32 KiB: 2.1 MiB), never the whole of D. */
export const GRAM_BLOCK_COORDS = 16_384;

/**
 * gramCpu's result with the SIMD distance, a column block at a time: each block's coarse values
 * are written straight into the module's memory (row r at (r + 1) x stride, a zero row at 0 for
 * the norms; the block padded with zeros to a multiple of 8 coordinates, which adds nothing to any
 * sum), and every pair's partial sum added to its total (exact: all below 2^53). Null without
 * WebAssembly SIMD.
 */
export function gramSimd(x: FixedDeltas, pairs: boolean): { distances: Float64Array; norms: Float64Array } | null {
  const m = module();
  if (m === null) return null;
  const stride = GRAM_BLOCK_COORDS * 2;
  ensureMemory(m.memory, (MAX_DELTAS + 1) * stride);
  const mem = new Int16Array(m.memory.buffer, 0, ((x.k + 1) * stride) / 2);
  mem.fill(0, 0, stride / 2);
  const distances = new Float64Array(x.k * x.k);
  const norms = new Float64Array(x.k);
  for (let lo = 0; lo < x.d; lo += GRAM_BLOCK_COORDS) {
    const len = Math.min(GRAM_BLOCK_COORDS, x.d - lo);
    const bytes = Math.ceil(len / 8) * 16;
    for (let r = 0; r < x.k; r++) {
      const row = x.rows[r]!;
      const at = ((r + 1) * stride) / 2 - lo;
      for (let i = lo; i < lo + len; i++) mem[at + i] = coarse(row[i]!);
      mem.fill(0, at + lo + len, at + lo + bytes / 2);
    }
    for (let a = 0; a < x.k; a++) {
      const pa = (a + 1) * stride;
      norms[a] = norms[a]! + Number(m.dist(pa, 0, bytes));
      for (let b = a + 1; pairs && b < x.k; b++) distances[a * x.k + b] = distances[b * x.k + a] = distances[a * x.k + b]! + Number(m.dist(pa, (b + 1) * stride, bytes));
    }
  }
  return { distances, norms };
}

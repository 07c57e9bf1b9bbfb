/**
 * The weighted sum of K float deltas in the fixed-point frame, straight from the floats, with
 * WebAssembly SIMD: sum_k w_k * roundHalfEven(x_k[i] * 2^shift), the integers that
 * weightedSumCpu(toFixed(rows), w) gives, without materialising the K x D fixed-point rows
 * (256 MiB of fresh memory at K = 64, D = 2^20, whose page faults alone cost more than the
 * arithmetic). Two passes over column blocks of BLOCK_COORDS coordinates, each block's slices of
 * the K rows copied into the module's memory: the first finds the largest magnitude (the frame's
 * shift), the second converts and accumulates. The module's memory is bounded by the block
 * (MAX_DELTAS x BLOCK_COORDS x 4 bytes of floats and BLOCK_COORDS x 8 of sums: 4.1 MiB), never by D.
 * Assembled below from this text:
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "maxabs") (param $p i32) (param $n i32) (result f32)   ;; n: bytes, a multiple of 64
 *       (local $end i32) (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
 *       (local.set $end (i32.add (local.get $p) (local.get $n)))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $m0 (f32x4.max (local.get $m0) (f32x4.abs (v128.load offset=0 (local.get $p)))))   ;; NaN propagates
 *         ... $m1, $m2, $m3 at offsets 16, 32, 48
 *         (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *         (br 0)))
 *       (local.set $m0 (f32x4.max (f32x4.max $m0 $m1) (f32x4.max $m2 $m3)))
 *       (f32.max (f32.max (f32x4.extract_lane 0 $m0) (f32x4.extract_lane 1 $m0))
 *                (f32.max (f32x4.extract_lane 2 $m0) (f32x4.extract_lane 3 $m0))))
 *     (func (export "wsum") (param $p i32) (param $out i32) (param $n i32) (param $scale f64) (param $w f64)
 *       (local $end i32) (local $s v128) (local $wv v128) (local $x v128)
 *       ;; out[j] += w * nearest(f64(x[j]) * scale), two f64 lanes at a time, four floats a step
 *       (local.set $end (i32.add (local.get $p) (local.get $n)))
 *       (local.set $s (f64x2.splat (local.get $scale)))
 *       (local.set $wv (f64x2.splat (local.get $w)))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $x (v128.load (local.get $p)))
 *         (v128.store offset=0 (local.get $out) (f64x2.add (v128.load offset=0 (local.get $out))
 *           (f64x2.mul (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (local.get $s))) (local.get $wv))))
 *         (v128.store offset=16 (local.get $out) (f64x2.add (v128.load offset=16 (local.get $out))
 *           (f64x2.mul (f64x2.nearest (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8..15 0..7 $x $x)) (local.get $s))) (local.get $wv))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (local.set $out (i32.add (local.get $out) (i32.const 32)))
 *         (br 0)))))
 *
 * Exactness: x * 2^shift is exact in float64 and below 2^29 in magnitude, f64x2.nearest rounds
 * half to even (as toFixed), w * q < 2^45, and K of them sum below 2^51: every step is an exact
 * integer, so the order of additions cannot change a bit.
 */
import { checkShape, frameShift, toFixed } from '../fixed-point.js';
import { MAX_DELTA_ABS, MAX_DELTAS } from '../limits.js';
import { ensureMemory, instantiateOrNull, leb, name, section, simd, WASM_HEADER, type WasmMemory } from '../wasm.js';

/** Coordinates per column block (the module's memory holds one block of every row). */
export const BLOCK_COORDS = 16_384;

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const mem = (op: number, offset: number) => [...simd(op), 0x04, offset];
const LOAD = 0x00;
const STORE = 0x0b;
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

function fn(locals: number[], code: number[]): number[] {
  const body = [...locals, ...code, 0x0b];
  return [...leb(body.length), ...body];
}

const loopHead = (p: number, end: number) => [0x02, 0x40, 0x03, 0x40, ...get(p), ...get(end), 0x4f, 0x0d, 0x01];
/** local += by (by < 64: i32.const's immediate is signed LEB128, a one-byte form holds -64..63). */
const advance = (local: number, by: number) => [...get(local), 0x41, ...(by < 64 ? [by] : [0x80 | (by & 0x7f), by >> 7]), 0x6a, ...set(local)];
const LOOP_END = [0x0c, 0x00, 0x0b, 0x0b];

/** acc (local `m`) = f32x4.max(acc, f32x4.abs(load p + offset)). */
const maxStep = (m: number, offset: number) => [...get(m), ...get(0), ...mem(LOAD, offset), ...simd(224), ...simd(233), ...set(m)];
const maxOf = (a: number, b: number) => [...get(a), ...get(b), ...simd(233), ...set(a)];

// Four accumulators (locals 3-6), 64 bytes a step: one f32x4.max chain would wait on its own latency.
const MAXABS = fn([0x02, 0x01, 0x7f, 0x04, 0x7b], [
  ...get(0), ...get(1), 0x6a, ...set(2),
  ...loopHead(0, 2),
  ...maxStep(3, 0), ...maxStep(4, 16), ...maxStep(5, 32), ...maxStep(6, 48),
  ...advance(0, 64),
  ...LOOP_END,
  ...maxOf(3, 4), ...maxOf(5, 6), ...maxOf(3, 5),
  ...get(3), ...simd(31), 0, ...get(3), ...simd(31), 1, 0x97, // f32x4.extract_lane, f32.max
  ...get(3), ...simd(31), 2, ...get(3), ...simd(31), 3, 0x97, 0x97,
]);

/** f64x2 lanes of `x` (on the stack as the v128 in local 8, after `pre`) converted, weighted and added to out at `offset`. */
const accumulate = (pre: number[], offset: number) => [
  ...get(1), ...get(1), ...mem(LOAD, offset),
  ...pre, ...simd(95), ...get(6), ...simd(242), ...simd(148), ...get(7), ...simd(242), ...simd(240), // promote_low, mul, nearest, mul, add
  ...mem(STORE, offset),
];

const WSUM = fn([0x02, 0x01, 0x7f, 0x03, 0x7b], [
  ...get(0), ...get(2), 0x6a, ...set(5),
  ...get(3), ...simd(0x14), ...set(6), // f64x2.splat
  ...get(4), ...simd(0x14), ...set(7),
  ...loopHead(0, 5),
  ...get(0), ...mem(LOAD, 0), ...set(8),
  ...accumulate(get(8), 0),
  ...accumulate([...get(8), ...get(8), ...simd(0x0d), ...HIGH_TO_LOW], 16), // i8x16.shuffle
  ...advance(0, 16),
  ...advance(1, 32),
  ...LOOP_END,
]);

const MODULE = new Uint8Array([
  ...WASM_HEADER,
  ...section(1, [0x02, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7d, 0x60, 0x05, 0x7f, 0x7f, 0x7f, 0x7c, 0x7c, 0x00]),
  ...section(3, [0x02, 0x00, 0x01]),
  ...section(5, [0x01, 0x00, 0x01]),
  ...section(7, [0x03, ...name('memory'), 0x02, 0x00, ...name('maxabs'), 0x00, 0x00, ...name('wsum'), 0x00, 0x01]),
  ...section(10, [0x02, ...MAXABS, ...WSUM]),
]);

interface MeanModule {
  readonly memory: WasmMemory;
  maxabs(p: number, bytes: number): number;
  wsum(p: number, out: number, bytes: number, scale: number, w: number): void;
}

let instance: MeanModule | null | undefined;

function module(): MeanModule | null {
  if (instance === undefined) {
    instance = instantiateOrNull<MeanModule>(MODULE);
    if (instance !== null) ensureMemory(instance.memory, MAX_DELTAS * BLOCK_COORDS * 4 + BLOCK_COORDS * 8);
  }
  return instance;
}

export function meanSimdAvailable(): boolean {
  return module() !== null;
}

/** Copies the block [lo, lo + len) of every row into the module's memory, zero-padded to a multiple of 16 (64 bytes: maxabs's step); returns the padded length. */
function load(m: MeanModule, rows: readonly Float32Array[], lo: number, len: number): number {
  const padded = Math.ceil(len / 16) * 16;
  const f = new Float32Array(m.memory.buffer, 0, rows.length * BLOCK_COORDS);
  for (let r = 0; r < rows.length; r++) {
    f.set(rows[r]!.subarray(lo, lo + len), r * BLOCK_COORDS);
    f.fill(0, r * BLOCK_COORDS + len, r * BLOCK_COORDS + padded);
  }
  return padded;
}

/**
 * The fixed-point frame's shift of K float deltas (toFixed's), from a SIMD scan for the largest
 * magnitude; null without WebAssembly SIMD. Checks the shape, and refuses a non-finite or too
 * large value with toFixed's own exact error and coordinate.
 */
export function floatFrameShift(rows: readonly Float32Array[]): number | null {
  const m = module();
  if (m === null) return null;
  const { k, d } = checkShape(rows);
  let max = 0;
  for (let lo = 0; lo < d; lo += BLOCK_COORDS) {
    const padded = load(m, rows, lo, Math.min(BLOCK_COORDS, d - lo));
    for (let r = 0; r < k; r++) max = Math.max(max, m.maxabs(r * BLOCK_COORDS * 4, padded * 4));
    if (!(max <= MAX_DELTA_ABS)) {
      toFixed(rows); // throws the exact error (NaN, an infinity, or a value past 2^64)
      return null;
    }
  }
  return frameShift(max);
}

/**
 * weightedSumCpu(toFixed(rows), weights), for rows whose frame has `shift` (floatFrameShift's), or
 * null without WebAssembly SIMD.
 */
export function weightedSumFromFloats(rows: readonly Float32Array[], weights: Uint32Array, shift: number): Float64Array | null {
  const m = module();
  if (m === null) return null;
  const k = rows.length;
  const d = rows[0]!.length;
  const outAt = k * BLOCK_COORDS * 4;
  const scale = 2 ** shift;
  const sums = new Float64Array(d);
  for (let lo = 0; lo < d; lo += BLOCK_COORDS) {
    const len = Math.min(BLOCK_COORDS, d - lo);
    const padded = load(m, rows, lo, len);
    const out = new Float64Array(m.memory.buffer, outAt, padded);
    out.fill(0);
    for (let r = 0; r < k; r++) m.wsum(r * BLOCK_COORDS * 4, outAt, padded * 4, scale, weights[r]!);
    sums.set(out.subarray(0, len), lo);
  }
  return sums;
}

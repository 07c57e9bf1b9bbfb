import { ROUND_MAGIC, type FixedDeltas } from '../fixed-point.js';
import { coarse, mulShift16, mulhiU32 } from '../int-math.js';
import { DrawPurpose, PhiloxStream } from '../philox.js';
import { GAUSS_QUANTILES, GAUSS_TABLE_BITS } from '../gaussian-table.js';
import { QUANT_BLOCK } from '../limits.js';

/**
 * CPU reference of the coordinate-wise and pairwise delta kernels. Every output is an exact
 * integer (held in float64, always below 2^53), so the WebGPU backend can and must match it bit
 * for bit.
 */

/** sum_k weight_k * q_k[i] for each coordinate i. */
export function weightedSumCpu(x: FixedDeltas, weights: Uint32Array): Float64Array {
  const out = new Float64Array(x.d);
  for (let r = 0; r < x.k; r++) {
    const row = x.rows[r]!;
    const w = weights[r]!;
    for (let i = 0; i < x.d; i++) out[i] = out[i]! + w * row[i]!;
  }
  return out;
}

/** Rearranges a[lo..hi] so that a[k] holds the value of rank k, smaller ones left of it. */
function select(a: Int32Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

const TILE = 512;

/**
 * Where a column pass reads its K x D fixed-point values: `fill(tile, i0, n)` writes coordinates
 * i0..i0+n-1 of every row into `tile`, coordinate-major (tile[c * k + r]).
 */
export interface ColumnSource {
  readonly k: number;
  readonly d: number;
  fill(tile: Int32Array, i0: number, n: number): void;
}

/** The fixed-point rows themselves. */
function rowsSource(x: FixedDeltas): ColumnSource {
  const k = x.k;
  return {
    k,
    d: x.d,
    fill(tile, i0, n) {
      for (let r = 0; r < k; r++) {
        const row = x.rows[r]!;
        for (let c = 0; c < n; c++) tile[c * k + r] = row[i0 + c]!;
      }
    },
  };
}

/**
 * Float rows converted to the frame of `shift` as they are read (toFixed's integers, rounded half
 * to even by the 1.5 x 2^52 add-subtract): the column kernels then never materialise the K x D
 * fixed-point rows. The caller has checked the values and computed the frame (floatFrameShift).
 */
export function floatSource(rows: readonly Float32Array[], shift: number): ColumnSource {
  const k = rows.length;
  const scale = 2 ** shift;
  return {
    k,
    d: rows[0]!.length,
    fill(tile, i0, n) {
      const magic = ROUND_MAGIC; // a local: an imported binding may be read through a getter per use
      for (let r = 0; r < k; r++) {
        const row = rows[r]!;
        for (let c = 0; c < n; c++) tile[c * k + r] = row[i0 + c]! * scale + magic - magic;
      }
    },
  };
}

/**
 * Calls `fn(col, lo, hi, i)` for every coordinate i with its K values in col[lo..hi], after
 * transposing TILE coordinates at a time (sequential reads of every row).
 */
function forEachColumn(src: ColumnSource, fn: (col: Int32Array, lo: number, hi: number, i: number) => void): void {
  const k = src.k;
  const tile = new Int32Array(TILE * k);
  for (let i0 = 0; i0 < src.d; i0 += TILE) {
    const n = Math.min(TILE, src.d - i0);
    src.fill(tile, i0, n);
    for (let c = 0; c < n; c++) fn(tile, c * k, c * k + k - 1, i0 + c);
  }
}

/** Coordinate-wise median; for even K the floor-average of the two middle values. */
export function medianCpu(x: FixedDeltas | ColumnSource): Float64Array {
  const src = 'rows' in x ? rowsSource(x) : x;
  const out = new Float64Array(src.d);
  const mid = src.k >> 1;
  const odd = src.k % 2 === 1;
  forEachColumn(src, (col, lo, hi, i) => {
    select(col, lo, hi, lo + mid);
    if (odd) {
      out[i] = col[lo + mid]!;
    } else {
      let below = col[lo]!;
      for (let r = lo + 1; r < lo + mid; r++) if (col[r]! > below) below = col[r]!;
      out[i] = (below + col[lo + mid]!) >> 1;
    }
  });
  return out;
}

/** Trims up to this many values per side by one pass with two small sorted buffers; more by two selections. */
export const TRIM_STREAM_MAX = 16;

/**
 * The sum of the t smallest (`lows`, ascending) and the t largest (`highs`, ascending) of
 * col[lo..hi], in one pass: most values pass one comparison against each buffer's edge and are
 * not inserted. Exact integers; with K >= 2t + 1 the two are disjoint ranks of the sorted column.
 */
function extremesSum(col: Int32Array, lo: number, hi: number, t: number, lows: Int32Array, highs: Int32Array): number {
  for (let j = 0; j < t; j++) {
    const v = col[lo + j]!;
    let a = j;
    while (a > 0 && lows[a - 1]! > v) lows[a] = lows[--a]!;
    lows[a] = v;
    let b = j;
    while (b > 0 && highs[b - 1]! > v) highs[b] = highs[--b]!;
    highs[b] = v;
  }
  for (let r = lo + t; r <= hi; r++) {
    const v = col[r]!;
    if (v < lows[t - 1]!) {
      let a = t - 1;
      while (a > 0 && lows[a - 1]! > v) lows[a] = lows[--a]!;
      lows[a] = v;
    }
    if (v > highs[0]!) {
      let b = 0;
      while (b < t - 1 && highs[b + 1]! < v) highs[b] = highs[++b]!;
      highs[b] = v;
    }
  }
  let s = 0;
  for (let j = 0; j < t; j++) s += lows[j]! + highs[j]!;
  return s;
}

/** Coordinate-wise sum of the K - 2t values left after dropping the t smallest and t largest. */
export function trimmedSumCpu(x: FixedDeltas | ColumnSource, t: number): Float64Array {
  const src = 'rows' in x ? rowsSource(x) : x;
  const out = new Float64Array(src.d);
  const lows = new Int32Array(Math.max(t, 1));
  const highs = new Int32Array(Math.max(t, 1));
  forEachColumn(src, (col, lo, hi, i) => {
    if (t > 0 && t <= TRIM_STREAM_MAX) {
      let total = 0;
      for (let r = lo; r <= hi; r++) total += col[r]!;
      out[i] = total - extremesSum(col, lo, hi, t, lows, highs);
      return;
    }
    if (t > 0) {
      select(col, lo, hi, lo + t);
      select(col, lo + t, hi, hi - t);
    }
    let s = 0;
    for (let r = lo + t; r <= hi - t; r++) s += col[r]!;
    out[i] = s;
  });
  return out;
}

/** Coarse rows (|c| <= 2^14) for norms and distances. */
function coarseRows(x: FixedDeltas): Int16Array[] {
  return x.rows.map((row) => {
    const c = new Int16Array(x.d);
    for (let i = 0; i < x.d; i++) c[i] = coarse(row[i]!);
    return c;
  });
}

/**
 * Squared L2 distances between every pair of deltas (row-major K x K, symmetric) and each delta's
 * squared norm, on coarse coordinates. Exact integers below 2^53.
 */
export function gramCpu(x: FixedDeltas, pairs: boolean): { distances: Float64Array; norms: Float64Array } {
  const c = coarseRows(x);
  const distances = new Float64Array(x.k * x.k);
  const norms = new Float64Array(x.k);
  for (let a = 0; a < x.k; a++) {
    const ca = c[a]!;
    let n = 0;
    for (let i = 0; i < x.d; i++) n += ca[i]! * ca[i]!;
    norms[a] = n;
    for (let b = a + 1; pairs && b < x.k; b++) {
      const cb = c[b]!;
      let s = 0;
      for (let i = 0; i < x.d; i++) {
        const diff = ca[i]! - cb[i]!;
        s += diff * diff;
      }
      distances[a * x.k + b] = distances[b * x.k + a] = s;
    }
  }
  return { distances, norms };
}

/** Scales row r by factors[r] / 2^16 (0 <= factor <= 2^16), floor-rounded, exactly. */
export function scaleRowsCpu(x: FixedDeltas, factors: Uint32Array): FixedDeltas {
  const rows = x.rows.map((row, r) => {
    const f = factors[r]!;
    if (f === 65536) return row;
    const out = new Int32Array(x.d);
    for (let i = 0; i < x.d; i++) out[i] = mulShift16(row[i]!, f);
    return out;
  });
  return { ...x, rows };
}

/** A standard normal draw in 2^-16 units for counter `i` (table lookup, linear interpolation). */
export function gaussianAt(draws: PhiloxStream, i: number): number {
  const u = draws.at(i);
  const idx = u >>> (32 - GAUSS_TABLE_BITS);
  const frac = (u >>> (16 - GAUSS_TABLE_BITS)) & 0xffff;
  const lo = GAUSS_QUANTILES[idx]!;
  return lo + mulShift16(GAUSS_QUANTILES[idx + 1]! - lo, frac);
}

export function gaussianCpu(k0: number, k1: number, start: number, count: number): Int32Array {
  const out = new Int32Array(count);
  const draws = new PhiloxStream(k0, k1, DrawPurpose.PublicGaussian);
  for (let i = 0; i < count; i++) out[i] = gaussianAt(draws, start + i);
  return out;
}

/**
 * int8 codes with one scale per QUANT_BLOCK coordinates: m = max |q >> 6| in the block, and
 * code = stochastic rounding of (q >> 6) * levels / m, drawn from Philox at the coordinate.
 */
export function quantizeCpu(q: Int32Array, k0: number, k1: number, levels = 127): { codes: Int8Array; blockMax: Int32Array } {
  const blocks = Math.ceil(q.length / QUANT_BLOCK);
  const codes = new Int8Array(q.length);
  const blockMax = new Int32Array(blocks);
  const draws = new PhiloxStream(k0, k1, DrawPurpose.StochasticRounding);
  for (let b = 0; b < blocks; b++) {
    const end = Math.min(q.length, (b + 1) * QUANT_BLOCK);
    let m = 0;
    for (let i = b * QUANT_BLOCK; i < end; i++) m = Math.max(m, Math.abs(q[i]! >> 6));
    blockMax[b] = m;
    if (m === 0) continue;
    for (let i = b * QUANT_BLOCK; i < end; i++) {
      const t = (q[i]! >> 6) * levels;
      const a = Math.floor(t / m);
      const rem = t - a * m;
      const up = mulhiU32(draws.at(i), m) < rem ? 1 : 0;
      codes[i] = a + up;
    }
  }
  return { codes, blockMax };
}

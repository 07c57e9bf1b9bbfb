import { type AttestationAggregates, type AttestationBatch, emptyAggregates, MAD_OUTLIER_FACTOR, quantileRanks } from '../attestation-batch.js';
import { avgFloor } from '../int-math.js';
import { MAX_ATTESTATIONS_PER_FEED } from '../limits.js';

const VOTES = MAX_ATTESTATIONS_PER_FEED * 3;

/** Stable bottom-up merge sort of (value, weight) pairs by value; ties keep their order. */
function sortPairs(v: Float64Array, w: Uint32Array, n: number, tv: Float64Array, tw: Uint32Array): void {
  let src = [v, w] as const;
  let dst = [tv, tw] as const;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let a = lo;
      let b = mid;
      for (let o = lo; o < hi; o++) {
        const takeA = a < mid && (b >= hi || src[0][a]! <= src[0][b]!);
        const from = takeA ? a++ : b++;
        dst[0][o] = src[0][from]!;
        dst[1][o] = src[1][from]!;
      }
    }
    [src, dst] = [dst, src];
  }
  if (src[0] !== v) {
    v.set(src[0].subarray(0, n));
    w.set(src[1].subarray(0, n));
  }
}

/** Values at the given weight ranks of a sorted weighted list (ranks ascending). */
function atRanks(v: Float64Array, w: Uint32Array, n: number, ranks: readonly number[], out: number[]): void {
  let cum = 0;
  let r = 0;
  for (let i = 0; i < n && r < ranks.length; i++) {
    cum += w[i]!;
    while (r < ranks.length && ranks[r]! < cum) out[r++] = v[i]!;
  }
}

/** Weighted median (floor-average of the two middle ranks when the total weight is even). */
function weightedMedian(v: Float64Array, w: Uint32Array, n: number, total: number, tv: Float64Array, tw: Uint32Array, picked: number[]): number {
  sortPairs(v, w, n, tv, tw);
  const r = quantileRanks(total);
  atRanks(v, w, n, [r.midLo, r.midHi], picked);
  return avgFloor(picked[0]!, picked[1]!);
}

/** The CPU reference of the attestation kernel (docs/KERNELS.md); WebGPU must match it bit for bit. */
export function aggregateAttestationsCpu(batch: AttestationBatch): AttestationAggregates {
  const out = emptyAggregates(batch.feeds);
  const v = new Float64Array(VOTES);
  const w = new Uint32Array(VOTES);
  const tv = new Float64Array(VOTES);
  const tw = new Uint32Array(VOTES);
  const picked = [0, 0, 0, 0];
  for (let f = 0; f < batch.feeds; f++) {
    const start = batch.offsets[f]!;
    const n = batch.offsets[f + 1]! - start;
    out.count[f] = n;
    if (n === 0) continue;
    let weight = 0;
    for (let i = 0; i < n; i++) {
      const x = batch.values[start + i]!;
      const c = batch.confidences[start + i]!;
      const wi = batch.weights[start + i]!;
      weight += wi;
      v[3 * i] = x - c;
      v[3 * i + 1] = x;
      v[3 * i + 2] = x + c;
      w[3 * i] = w[3 * i + 1] = w[3 * i + 2] = wi;
    }
    out.totalWeight[f] = weight;
    sortPairs(v, w, 3 * n, tv, tw);
    const vr = quantileRanks(3 * weight);
    atRanks(v, w, 3 * n, [vr.r25, vr.midLo, vr.midHi, vr.r75], picked);
    out.p25[f] = picked[0]!;
    out.price[f] = avgFloor(picked[1]!, picked[2]!);
    out.p75[f] = picked[3]!;
    out.confidence[f] = Math.max(out.price[f]! - picked[0]!, picked[3]! - out.price[f]!);

    for (let i = 0; i < n; i++) {
      v[i] = batch.values[start + i]!;
      w[i] = batch.weights[start + i]!;
    }
    const median = weightedMedian(v, w, n, weight, tv, tw, picked);
    for (let i = 0; i < n; i++) {
      v[i] = Math.abs(batch.values[start + i]! - median);
      w[i] = batch.weights[start + i]!;
    }
    const mad = weightedMedian(v, w, n, weight, tv, tw, picked);
    out.median[f] = median;
    out.mad[f] = mad;
    const fence = MAD_OUTLIER_FACTOR * mad;
    for (let i = 0; i < n; i++) {
      if (Math.abs(batch.values[start + i]! - median) > fence) out.outlierMask[2 * f + (i >> 5)]! |= 1 << (i & 31);
    }
  }
  return out;
}

import { check, KernelErrorCode } from './errors.js';
import {
  MAX_ATTESTATION_MAGNITUDE,
  MAX_ATTESTATION_WEIGHT,
  MAX_ATTESTATIONS_PER_FEED,
  MAX_FEEDS_PER_BATCH,
} from './limits.js';

/**
 * An attestation is an outlier when it lies more than this many MADs from the weighted median
 * (4 MAD ~ 2.7 standard deviations for normal data). MAD breaks down only at 50% outliers, where
 * an IQR fence breaks at 25%: 2 liars of 7 already move the third quartile.
 */
export const MAD_OUTLIER_FACTOR = 4;

/** One attestation as the kernel sees it: integers in the feed's common units. */
export interface AttestationInput {
  readonly value: number;
  readonly confidence: number;
  readonly weight: number;
}

/** Many feeds, packed: feed f owns entries offsets[f] .. offsets[f + 1]. */
export interface AttestationBatch {
  readonly feeds: number;
  readonly offsets: Uint32Array;
  readonly values: Float64Array;
  readonly confidences: Float64Array;
  readonly weights: Uint32Array;
}

/**
 * Per feed: Pyth-style price (weighted median of the votes value-c, value, value+c), its
 * confidence (the larger distance to the votes' 25th or 75th percentile), the values' weighted
 * median and median absolute deviation (MAD), outlier flags (bit i of the feed's mask:
 * |value_i - median| > MAD_OUTLIER_FACTOR x MAD), the count and the total weight.
 */
export interface AttestationAggregates {
  readonly feeds: number;
  readonly price: Float64Array;
  readonly confidence: Float64Array;
  readonly p25: Float64Array;
  readonly p75: Float64Array;
  readonly median: Float64Array;
  readonly mad: Float64Array;
  readonly count: Uint32Array;
  readonly totalWeight: Uint32Array;
  /** Two words per feed: bits 0..31 and 32..63. */
  readonly outlierMask: Uint32Array;
}

/** Validates every attestation (typed errors name the feed and index) and packs the batch. */
export function packAttestations(feeds: readonly (readonly AttestationInput[])[]): AttestationBatch {
  check(feeds.length <= MAX_FEEDS_PER_BATCH, KernelErrorCode.BadShape, 'feeds', `at most ${MAX_FEEDS_PER_BATCH} feeds per batch`);
  let total = 0;
  const offsets = new Uint32Array(feeds.length + 1);
  feeds.forEach((f, i) => {
    check(f.length <= MAX_ATTESTATIONS_PER_FEED, KernelErrorCode.BadShape, `feeds[${i}]`, `at most ${MAX_ATTESTATIONS_PER_FEED} attestations`);
    total += f.length;
    offsets[i + 1] = total;
  });
  const values = new Float64Array(total);
  const confidences = new Float64Array(total);
  const weights = new Uint32Array(total);
  let j = 0;
  feeds.forEach((f, i) =>
    f.forEach((a, n) => {
      const where = `feeds[${i}][${n}]`;
      for (const [name, v] of [['value', a.value], ['confidence', a.confidence], ['weight', a.weight]] as const) {
        check(Number.isFinite(v), KernelErrorCode.NonFinite, `${where}.${name}`, `${v} is not finite`);
        check(Number.isInteger(v), KernelErrorCode.OutOfRange, `${where}.${name}`, `an integer in the feed's units, got ${v}`);
      }
      check(a.confidence >= 0, KernelErrorCode.OutOfRange, `${where}.confidence`, 'must be >= 0');
      check(Math.abs(a.value) + a.confidence <= MAX_ATTESTATION_MAGNITUDE, KernelErrorCode.OutOfRange, where, '|value| + confidence must be <= 2^50 - 1');
      check(a.weight >= 1 && a.weight <= MAX_ATTESTATION_WEIGHT, KernelErrorCode.OutOfRange, `${where}.weight`, `1..2^24, got ${a.weight}`);
      values[j] = a.value;
      confidences[j] = a.confidence;
      weights[j++] = a.weight;
    }),
  );
  return { feeds: feeds.length, offsets, values, confidences, weights };
}

export function emptyAggregates(feeds: number): AttestationAggregates {
  const f64 = (): Float64Array => new Float64Array(feeds);
  return {
    feeds,
    price: f64(),
    confidence: f64(),
    p25: f64(),
    p75: f64(),
    median: f64(),
    mad: f64(),
    count: new Uint32Array(feeds),
    totalWeight: new Uint32Array(feeds),
    outlierMask: new Uint32Array(feeds * 2),
  };
}

/**
 * The ranks (0-based, in units of weight) of the quantiles over a sorted multiset of total
 * weight W, as if each item were repeated `weight` times. With unit weights these are Pyth's
 * indices: p25 at floor(W/4), p75 at W-1-floor(W/4), the median at floor(W/2) when W is odd and
 * the floor-average of ranks W/2-1 and W/2 when it is even.
 */
export function quantileRanks(total: number): { r25: number; midLo: number; midHi: number; r75: number } {
  const quarter = Math.floor(total / 4);
  const half = Math.floor(total / 2);
  return total % 2 === 1
    ? { r25: quarter, midLo: half, midHi: half, r75: total - 1 - quarter }
    : { r25: quarter, midLo: half - 1, midHi: half, r75: total - 1 - quarter };
}

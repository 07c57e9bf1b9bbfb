/**
 * Bounds of the kernels' numeric domain. Every bound exists so that each intermediate value is an
 * exact integer on every backend (float64 on the CPU, u32 pairs on WebGPU); docs/KERNELS.md derives
 * them.
 */

/** Attestations per feed in one aggregation (3 votes each, so 192 votes fit a 256-slot sort). */
export const MAX_ATTESTATIONS_PER_FEED = 64;
/** Feeds in one batch (one WebGPU workgroup per feed; the dispatch limit is 65535). */
export const MAX_FEEDS_PER_BATCH = 65_535;
/** |value| + confidence, in the feed's common integer units: keeps every vote, sum and IQR fence exact. */
export const MAX_ATTESTATION_MAGNITUDE = 2 ** 50 - 1;
/** Largest author weight of an attestation; 192 votes of this weight still sum below 2^32. */
export const MAX_ATTESTATION_WEIGHT = 2 ** 24;

/** Deltas in one aggregation: per-coordinate sorts hold K values in a private array. */
export const MAX_DELTAS = 64;
/** Coordinates per delta: coarse squared distances summed over D stay below 2^53. */
export const MAX_DIMENSION = 2 ** 22;
/** Largest FedAvg weight: K x weight x 2^30 stays below 2^53. */
export const MAX_DELTA_WEIGHT = 65_535;
/** Largest finite |x| accepted in a delta (f32 values beyond it are rejected, not clamped). */
export const MAX_DELTA_ABS = 2 ** 64;
/** Fixed-point: the round's largest |x| is scaled to just under 2^FIXED_BITS. */
export const FIXED_BITS = 30;
/** Coarse coordinates for norms and distances: q >> COARSE_SHIFT (rounded), |c| <= 2^14. */
export const COARSE_SHIFT = 16;
/** Coordinates per int8 quantization block (one scale per block). */
export const QUANT_BLOCK = 256;

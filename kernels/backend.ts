import type { AttestationAggregates, AttestationBatch } from './attestation-batch.js';
import type { FixedDeltas } from './fixed-point.js';

export type BackendName = 'cpu' | 'webgpu';
export type BackendChoice = 'auto' | BackendName;
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu'];

export interface Gram {
  /** K x K coarse squared distances, row-major, symmetric, zero diagonal. */
  readonly distances: Float64Array;
  /** Coarse squared L2 norm of each delta. */
  readonly norms: Float64Array;
}

export interface Quantized {
  readonly codes: Int8Array;
  readonly blockMax: Int32Array;
}

/**
 * The integer kernels every backend implements. Outputs are exact integers (or int8 codes), so
 * two backends agree bit for bit; finalisation to floats happens once, on the host
 * (kernels/aggregator.ts).
 */
export interface KernelBackend {
  readonly name: BackendName;
  attestations(batch: AttestationBatch): Promise<AttestationAggregates>;
  weightedSum(x: FixedDeltas, weights: Uint32Array): Promise<Float64Array>;
  median(x: FixedDeltas): Promise<Float64Array>;
  trimmedSum(x: FixedDeltas, trim: number): Promise<Float64Array>;
  /** Norms always; pairwise distances only when `pairs` (they cost K^2 / 2 passes over D). */
  gram(x: FixedDeltas, pairs: boolean): Promise<Gram>;
  scaleRows(x: FixedDeltas, factors: Uint32Array): Promise<FixedDeltas>;
  gaussian(k0: number, k1: number, start: number, count: number): Promise<Int32Array>;
  /** Codes in -levels..levels (1..127), one block maximum per QUANT_BLOCK coordinates. */
  quantize(q: Int32Array, k0: number, k1: number, levels: number): Promise<Quantized>;
  close(): void;
}

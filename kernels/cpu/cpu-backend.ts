import type { KernelBackend } from '../backend.js';
import { aggregateAttestationsCpu } from './attestations.js';
import { gaussianCpu, gramCpu, medianCpu, quantizeCpu, scaleRowsCpu, trimmedSumCpu, weightedSumCpu } from './deltas.js';
import { gramSimd } from './gram-simd.js';

/**
 * The TypeScript backend over typed arrays: the reference every other backend must match. The
 * pairwise distances run on WebAssembly SIMD where the runtime has it (gram-simd.ts, the same
 * integers as gramCpu, which runs otherwise).
 */
export function createCpuBackend(): KernelBackend {
  return {
    name: 'cpu',
    attestations: async (batch) => aggregateAttestationsCpu(batch),
    weightedSum: async (x, w) => weightedSumCpu(x, w),
    median: async (x) => medianCpu(x),
    trimmedSum: async (x, t) => trimmedSumCpu(x, t),
    gram: async (x, pairs) => gramSimd(x, pairs) ?? gramCpu(x, pairs),
    scaleRows: async (x, f) => scaleRowsCpu(x, f),
    gaussian: async (k0, k1, start, count) => gaussianCpu(k0, k1, start, count),
    quantize: async (q, k0, k1, levels) => quantizeCpu(q, k0, k1, levels),
    close: () => {},
  };
}

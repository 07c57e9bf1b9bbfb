import type { KernelBackend } from '../backend.js';
import { aggregateAttestationsCpu } from './attestations.js';
import { gaussianCpu, gramCpu, medianCpu, quantizeCpu, scaleRowsCpu, trimmedSumCpu, weightedSumCpu } from './deltas.js';

/** The TypeScript backend over typed arrays: the reference every other backend must match. */
export function createCpuBackend(): KernelBackend {
  return {
    name: 'cpu',
    attestations: async (batch) => aggregateAttestationsCpu(batch),
    weightedSum: async (x, w) => weightedSumCpu(x, w),
    median: async (x) => medianCpu(x),
    trimmedSum: async (x, t) => trimmedSumCpu(x, t),
    gram: async (x, pairs) => gramCpu(x, pairs),
    scaleRows: async (x, f) => scaleRowsCpu(x, f),
    gaussian: async (k0, k1, start, count) => gaussianCpu(k0, k1, start, count),
    quantize: async (q, k0, k1, levels) => quantizeCpu(q, k0, k1, levels),
    close: () => {},
  };
}

import type { AttestationInput } from '../../kernels/attestation-batch.js';
import { MAX_ATTESTATION_MAGNITUDE, MAX_ATTESTATION_WEIGHT } from '../../kernels/limits.js';
import { Prng } from '../helpers/prng.js';

/** Random and adversarial kernel inputs shared by the kernel tests. */
export function randomRows(rng: Prng, k: number, d: number, scale = 1): Float32Array[] {
  return Array.from({ length: k }, () => Float32Array.from({ length: d }, () => (rng.next() - 0.5) * 2 * scale));
}

/** Named delta sets: ties, duplicates, extreme magnitudes, K = 1, D off the workgroup size. */
export function adversarialDeltaSets(rng: Prng): [string, Float32Array[]][] {
  const tie = Float32Array.from({ length: 67 }, () => 0.25);
  return [
    ['all equal (ties)', Array.from({ length: 6 }, () => tie.slice())],
    ['duplicates', [...randomRows(rng, 3, 129), ...randomRows(new Prng(9), 3, 129)]],
    ['K = 1', randomRows(rng, 1, 65)],
    ['D = 1', randomRows(rng, 9, 1)],
    ['zeros', Array.from({ length: 4 }, () => new Float32Array(63))],
    ['extreme magnitudes', [Float32Array.from({ length: 70 }, (_, i) => (i % 2 === 0 ? 1.5e19 : -1e-40)), ...randomRows(rng, 4, 70, 1e-30)]],
    ['64 deltas, D = 1000 + 3', randomRows(rng, 64, 1003, 1e3)],
    ['sign-flipped and scaled', [...randomRows(rng, 5, 257), ...randomRows(rng, 2, 257, -100)]],
  ];
}

export function randomFeeds(rng: Prng, feeds: number, maxPer = 64): AttestationInput[][] {
  return Array.from({ length: feeds }, () =>
    Array.from({ length: rng.int(maxPer + 1) }, () => {
      const value = Math.floor((rng.next() - 0.2) * 1e9);
      return { value, confidence: rng.int(1e6), weight: 1 + rng.int(10) };
    }),
  );
}

export function adversarialFeeds(rng: Prng): AttestationInput[][] {
  const max = MAX_ATTESTATION_MAGNITUDE;
  return [
    [],
    [{ value: 7, confidence: 0, weight: 1 }],
    Array.from({ length: 64 }, () => ({ value: 100, confidence: 3, weight: 1 })),
    Array.from({ length: 64 }, (_, i) => ({ value: i % 2 === 0 ? max : -max, confidence: 0, weight: MAX_ATTESTATION_WEIGHT })),
    [{ value: max - 5, confidence: 5, weight: 1 }, { value: -max + 5, confidence: 5, weight: 2 }],
    Array.from({ length: 33 }, (_, i) => ({ value: i < 30 ? 1000 + rng.int(3) : 10_000_000, confidence: 1, weight: 1 + (i % 3) })),
    Array.from({ length: 64 }, (_, i) => ({ value: Math.floor(i / 8), confidence: i % 3, weight: 1 + rng.int(MAX_ATTESTATION_WEIGHT) })),
  ];
}

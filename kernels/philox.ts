import { mulhiU32 } from './int-math.js';

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
 * counter-based generator, so the draw for (key, counter) is a pure function that every node and
 * every backend computes identically. Mirrored in webgpu/wgsl-common.ts.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
export const PHILOX_ROUNDS = 10;

/** Counter word 1 separates the uses of one key. */
export enum DrawPurpose {
  /** Public Gaussian draws (tests, simulations): every node computes them, so they protect nobody and serve no privacy. */
  PublicGaussian = 0,
  StochasticRounding = 1,
}

const OUT = new Uint32Array(4);

/**
 * The draw for stream position `i` under a purpose: word (i mod 4) of Philox4x32-10 at counter
 * (floor(i / 4), purpose, 0, 0), so one block of the generator serves four coordinates.
 */
export function philoxU32(k0: number, k1: number, i: number, purpose: number): number {
  const j = i >>> 0; // positions wrap at 2^32, as u32 arithmetic does in WGSL
  philox4(k0, k1, j >>> 2, purpose, OUT);
  return OUT[j & 3]!;
}

/** philoxU32 for one (key, purpose), caching the last block: sequential positions cost 1/4. */
export class PhiloxStream {
  private readonly out = new Uint32Array(4);
  private block = -1;

  constructor(
    private readonly k0: number,
    private readonly k1: number,
    private readonly purpose: number,
  ) {}

  at(i: number): number {
    const j = i >>> 0;
    if (j >>> 2 !== this.block) {
      this.block = j >>> 2;
      philox4(this.k0, this.k1, this.block, this.purpose, this.out);
    }
    return this.out[j & 3]!;
  }
}

/** The four output words of Philox4x32-10 for counter (c0, c1, 0, 0) under key (k0, k1). */
export function philox4(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = 0;
  let x3 = 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    const hi0 = mulhiU32(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhiU32(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

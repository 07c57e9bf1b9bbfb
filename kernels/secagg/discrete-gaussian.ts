import { check, KernelErrorCode } from '../errors.js';

/**
 * The exact discrete Gaussian sampler of Canonne, Kamath and Steinke ("The Discrete Gaussian for
 * Differential Privacy", 2020, Algorithms 1-3): integers Y with P(Y = y) proportional to
 * exp(-y^2 / (2 sigma^2)), for a rational sigma^2 = num / den, using only integer arithmetic
 * (BigInt where products outgrow 2^53) and uniform random integers. No floating point touches a
 * sample, so there are no low-bit leaks of the kind Mironov (2012) found in floating-point
 * samplers. Pure: the random bytes come from `RandomBytes` (the contributor's CSPRNG).
 */

export type RandomBytes = (n: number) => Uint8Array;

/** Uniform integers below a bound, from a byte source, by rejection (no modulo bias). */
export class UniformInts {
  private pool: Uint8Array = new Uint8Array(0);
  private pos = 0;
  constructor(private readonly source: RandomBytes) {}

  private take(n: number): Uint8Array {
    if (this.pos + n > this.pool.length) {
      this.pool = this.source(Math.max(65_536, n));
      this.pos = 0;
    }
    const out = this.pool.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Uniform in [0, n) for 1 <= n <= 2^32. */
  below(n: number): number {
    if (n === 1) return 0;
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const b = this.take(4);
      const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      if (v < limit) return v % n;
    }
  }

  /** Uniform in [0, n) for any n >= 1. */
  belowBig(n: bigint): bigint {
    if (n <= 0x1_0000_0000n) return BigInt(this.below(Number(n)));
    const bits = n.toString(2).length;
    const bytes = Math.ceil(bits / 8);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      let v = 0n;
      for (const x of this.take(bytes)) v = (v << 8n) | BigInt(x);
      v &= mask;
      if (v < n) return v;
    }
  }
}

/** Bernoulli(exp(-num/den)) for 0 <= num/den <= 1 (CKS Algorithm 1, first case). */
function bernoulliExpNegAtMostOne(num: bigint, den: bigint, u: UniformInts): boolean {
  let k = 1n;
  while (u.belowBig(den * k) < num) k++;
  return k % 2n === 1n;
}

/** Bernoulli(exp(-num/den)) for any num/den >= 0 (CKS Algorithm 1). */
export function bernoulliExpNeg(num: bigint, den: bigint, u: UniformInts): boolean {
  let n = num;
  while (n > den) {
    if (!bernoulliExpNegAtMostOne(1n, 1n, u)) return false;
    n -= den;
  }
  return bernoulliExpNegAtMostOne(n, den, u);
}

/** Discrete Laplace with scale t (integer >= 1): P(Y = y) proportional to exp(-|y| / t) (CKS Algorithm 2, s = 1). */
export function discreteLaplace(t: number, u: UniformInts): number {
  const tb = BigInt(t);
  for (;;) {
    const uu = u.below(t);
    if (!bernoulliExpNeg(BigInt(uu), tb, u)) continue;
    let v = 0;
    while (bernoulliExpNeg(1n, 1n, u)) v++;
    const y = uu + t * v;
    const negative = u.below(2) === 1;
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}

/** One discrete Gaussian sample with variance parameter sigma^2 = num / den (CKS Algorithm 3). */
export function discreteGaussian(num: bigint, den: bigint, u: UniformInts): number {
  check(num > 0n && den > 0n, KernelErrorCode.BadParameter, 'sigma2', 'a positive rational');
  // t = floor(sigma) + 1, with sigma = sqrt(num / den): the largest t with (t-1)^2 <= num/den, plus 1.
  let t = BigInt(Math.floor(Math.sqrt(Number(num) / Number(den))));
  while (t * t * den > num) t--;
  while ((t + 1n) * (t + 1n) * den <= num) t++;
  t += 1n;
  const tn = Number(t);
  for (;;) {
    const y = discreteLaplace(tn, u);
    const ay = BigInt(Math.abs(y));
    const diff = ay * den * t - num; // (|y| - sigma^2 / t) * den * t
    if (bernoulliExpNeg(diff * diff, 2n * num * den * t * t, u)) return y;
  }
}

/** Denominator of the rational sigma^2 a float std is rounded to (sigma^2 = round(sigma^2 * 2^20) / 2^20). */
export const SIGMA2_DENOMINATOR = 2n ** 20n;

/** `count` discrete Gaussian samples of std about `sigma` (its square rounded to a multiple of 2^-20). */
export function discreteGaussianVector(count: number, sigma: number, source: RandomBytes): Int32Array {
  check(Number.isFinite(sigma) && sigma > 0 && sigma < 2 ** 24, KernelErrorCode.BadParameter, 'sigma', 'a finite std in (0, 2^24)');
  const num = BigInt(Math.max(1, Math.round(sigma * sigma * Number(SIGMA2_DENOMINATOR))));
  const u = new UniformInts(source);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = discreteGaussian(num, SIGMA2_DENOMINATOR, u);
  return out;
}

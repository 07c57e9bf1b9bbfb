import { check, KernelErrorCode } from '../errors.js';

/**
 * Shamir secret sharing over GF(2^8), byte by byte (the AES field, x^8 + x^4 + x^3 + x + 1): a
 * secret of L bytes is L independent polynomials of degree threshold - 1, and a share is the L
 * evaluations at one non-zero point x. Any `threshold` shares give the secret back; fewer give
 * every secret with equal probability. Pure: the polynomial coefficients are passed in (the
 * contributor draws them from its CSPRNG). Points are 1..255, so at most 255 shares per secret.
 */

export const SHAMIR_MAX_SHARES = 255;

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0); // multiply by the generator 3
    x &= 0xff;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]!;
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function div(a: number, b: number): number {
  return a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!;
}

export interface Share {
  /** The evaluation point, 1..255. */
  readonly x: number;
  readonly y: Uint8Array;
}

/** Bytes of randomness `split` needs: (threshold - 1) coefficients per secret byte. */
export function shamirRandomBytes(secretBytes: number, threshold: number): number {
  return secretBytes * (threshold - 1);
}

/**
 * Shares of `secret` at the points `xs` (distinct, 1..255), any `threshold` of which recover it.
 * `coefficients` holds shamirRandomBytes(secret.length, threshold) uniformly random bytes.
 */
export function shamirSplit(secret: Uint8Array, threshold: number, xs: readonly number[], coefficients: Uint8Array): Share[] {
  check(Number.isInteger(threshold) && threshold >= 1 && threshold <= xs.length, KernelErrorCode.BadParameter, 'threshold', `an integer in 1..${xs.length} (the number of shares)`);
  check(xs.length <= SHAMIR_MAX_SHARES && new Set(xs).size === xs.length && xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 255), KernelErrorCode.BadParameter, 'xs', 'distinct points in 1..255');
  check(coefficients.length === shamirRandomBytes(secret.length, threshold), KernelErrorCode.BadShape, 'coefficients', `${shamirRandomBytes(secret.length, threshold)} bytes`);
  const deg = threshold - 1;
  return xs.map((x) => {
    const y = new Uint8Array(secret.length);
    for (let b = 0; b < secret.length; b++) {
      // Horner: a_deg x^deg + ... + a_1 x + secret
      let acc = 0;
      for (let j = deg - 1; j >= 0; j--) acc = mul(acc, x) ^ coefficients[b * deg + j]!;
      y[b] = mul(acc, x) ^ secret[b]!;
    }
    return { x, y };
  });
}

/** The secret whose polynomial passes through `shares` (Lagrange at 0). Exactly `threshold` shares give the dealt secret. */
export function shamirCombine(shares: readonly Share[]): Uint8Array {
  check(shares.length >= 1 && new Set(shares.map((s) => s.x)).size === shares.length, KernelErrorCode.BadShape, 'shares', 'at least one share, at distinct points');
  const len = shares[0]!.y.length;
  check(shares.every((s) => s.y.length === len && s.x >= 1 && s.x <= 255), KernelErrorCode.BadShape, 'shares', `points in 1..255 and ${len} bytes each`);
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is xor in GF(2^8).
  const basis = shares.map((si, i) => {
    let l = 1;
    shares.forEach((sj, j) => {
      if (j !== i) l = mul(l, div(sj.x, sj.x ^ si.x));
    });
    return l;
  });
  const out = new Uint8Array(len);
  for (let b = 0; b < len; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) acc ^= mul(basis[i]!, shares[i]!.y[b]!);
    out[b] = acc;
  }
  return out;
}

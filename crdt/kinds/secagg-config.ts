import type { ByteReader, ByteWriter } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import { PUBLIC_KEY_BYTES } from '../ed25519.js';

/** Most members one secure-aggregation roster may list. */
export const MAX_SECAGG_MEMBERS = 1024;
/** Largest neighbour degree k (Shamir over GF(2^8) has 255 points). */
export const MAX_SECAGG_NEIGHBOURS = 254;
/** Largest vector a masked round may sum (coordinates). */
export const MAX_SECAGG_DIMENSION = 2 ** 24;
/** Largest fixed-point scale, in bits (values are round(x * 2^scaleBits)). */
export const MAX_SECAGG_SCALE_BITS = 30;
/** A contributor's discrete-Gaussian noise share is clamped at this many of its standard deviations. */
export const SECAGG_NOISE_CLAMP_SIGMAS = 12;
/** Masked values live in Z_2^32; the sum of every member's bounded input must stay below 2^31 in absolute value. */
export const SECAGG_RING_HALF = 2 ** 31 - 1;

/**
 * What every member of a round agrees to (docs/PRIVACY.md, "Secure aggregation"). It travels in
 * each member's keys op; a roster is valid only when all its members carry the same config and
 * its author is the config's coordinator.
 */
export interface SecAggConfig {
  readonly dimension: number;
  /** Neighbour degree k of the graph (even, or >= members - 1 for the complete graph). */
  readonly neighbours: number;
  /** Shares needed to recover a secret; 2 * threshold > min(k, members - 1) (the safety rule). Also the fewest survivors a close may name. */
  readonly threshold: number;
  readonly maxMembers: number;
  readonly scaleBits: number;
  /** L2 norm every member clips its vector to. */
  readonly clipNorm: number;
  /** Std of the distributed discrete-Gaussian noise the unmasked sum carries, in value units; 0: none. */
  readonly noiseStd: number;
  /** Ed25519 key (hex) that alone may publish the round's roster and close ops. */
  readonly coordinator: string;
}

/** Largest |q| of one clipped input coordinate: |x_i| <= ||x|| <= clipNorm, quantized and rounded. */
export function inputBound(c: SecAggConfig): number {
  return Math.ceil(c.clipNorm * 2 ** c.scaleBits) + 1;
}

/** Std of one member's noise share in ring units: noiseStd / sqrt(threshold), so any >= threshold survivors carry at least noiseStd. */
export function noiseShareStd(c: SecAggConfig): number {
  return (c.noiseStd * 2 ** c.scaleBits) / Math.sqrt(c.threshold);
}

/** Largest |noise share| per coordinate (the clamp). */
export function noiseBound(c: SecAggConfig): number {
  return c.noiseStd === 0 ? 0 : Math.ceil(SECAGG_NOISE_CLAMP_SIGMAS * noiseShareStd(c));
}

/** Returns why `c` cannot be a round's config, or null. */
export function configProblem(c: SecAggConfig): string | null {
  if (!Number.isInteger(c.dimension) || c.dimension < 1 || c.dimension > MAX_SECAGG_DIMENSION) return `dimension must be in 1..${MAX_SECAGG_DIMENSION}`;
  if (!Number.isInteger(c.maxMembers) || c.maxMembers < 2 || c.maxMembers > MAX_SECAGG_MEMBERS) return `maxMembers must be in 2..${MAX_SECAGG_MEMBERS}`;
  if (!Number.isInteger(c.neighbours) || c.neighbours < 2 || c.neighbours > MAX_SECAGG_NEIGHBOURS) return `neighbours must be in 2..${MAX_SECAGG_NEIGHBOURS}`;
  if (c.neighbours % 2 !== 0 && c.neighbours < c.maxMembers - 1) return 'neighbours must be even, or >= maxMembers - 1 (the complete graph)';
  if (!Number.isInteger(c.threshold) || c.threshold < 2 || c.threshold > c.neighbours) return 'threshold must be in 2..neighbours';
  if (c.neighbours < c.maxMembers - 1 && 2 * c.threshold <= c.neighbours) return 'threshold must be more than half of neighbours (the safety rule, docs/PRIVACY.md)';
  if (!Number.isInteger(c.scaleBits) || c.scaleBits < 0 || c.scaleBits > MAX_SECAGG_SCALE_BITS) return `scaleBits must be in 0..${MAX_SECAGG_SCALE_BITS}`;
  if (!(Number.isFinite(c.clipNorm) && c.clipNorm > 0)) return 'clipNorm must be finite and > 0';
  if (!(Number.isFinite(c.noiseStd) && c.noiseStd >= 0) || Object.is(c.noiseStd, -0)) return 'noiseStd must be finite and >= 0';
  if (c.maxMembers * (inputBound(c) + noiseBound(c)) > SECAGG_RING_HALF) {
    return `maxMembers x (clip + noise bound) = ${c.maxMembers * (inputBound(c) + noiseBound(c))} would wrap Z_2^32 (at most ${SECAGG_RING_HALF}): lower scaleBits, clipNorm or maxMembers`;
  }
  if (!/^[0-9a-f]{64}$/.test(c.coordinator)) return 'coordinator must be 64 hex characters (an Ed25519 public key)';
  return null;
}

function f64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return b;
}

export function readF64(r: ByteReader): number {
  const b = r.bytes(8);
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
}

export function readConfig(r: ByteReader): SecAggConfig {
  const c: SecAggConfig = {
    dimension: r.varint(),
    neighbours: r.varint(),
    threshold: r.varint(),
    maxMembers: r.varint(),
    scaleBits: r.u8(),
    clipNorm: readF64(r),
    noiseStd: readF64(r),
    coordinator: Buffer.from(r.bytes(PUBLIC_KEY_BYTES)).toString('hex'),
  };
  const problem = configProblem(c);
  if (problem !== null) throw r.fail(`config: ${problem}`);
  return c;
}

export function writeConfig(w: ByteWriter, c: SecAggConfig): void {
  const problem = configProblem(c);
  if (problem !== null) throw new MurmurArgumentError('config', problem);
  w.varint(c.dimension).varint(c.neighbours).varint(c.threshold).varint(c.maxMembers).u8(c.scaleBits);
  w.bytes(f64(c.clipNorm)).bytes(f64(c.noiseStd)).bytes(Buffer.from(c.coordinator, 'hex'));
}

/** Two configs are the same round's when every field is equal. */
export function sameConfig(a: SecAggConfig, b: SecAggConfig): boolean {
  return (Object.keys(a) as (keyof SecAggConfig)[]).every((k) => Object.is(a[k], b[k]));
}

import { ByteWriter } from '../bytes.js';
import { DecodeError, MurmurArgumentError, RejectCode } from '../errors.js';
import type { OpKind } from './registry.js';
import { payloadReader, readIdent, writeIdent } from './fields.js';

export const KIND_DELTA = 2;
/** Marks the optional trailer that declares local DP (DeltaPrivacy). */
const PRIVACY_TAG = 1;
/** Largest model or plan vector a delta may address (coordinates). */
export const MAX_DELTA_DIMENSION = 2 ** 28;
export const MIN_INT8_BLOCK = 16;
export const MAX_INT8_BLOCK = 4096;

export enum DeltaEncoding {
  /** `count` little-endian IEEE-754 binary32 values, all finite. */
  F32 = 0,
  /** ceil(count / blockSize) finite non-negative f32 scales, then `count` int8 values in -127..127. */
  Int8 = 1,
}

/**
 * Tail allowance of the noise bound, in standard deviations: an honest slice's Gaussian noise has
 * L2 norm above sigma * (sqrt(count) + t) with probability at most exp(-t^2 / 2), about 1e-14 at 8.
 */
export const DELTA_NOISE_TAIL_SIGMAS = 8;

/**
 * What a contributor declares of the local differential privacy it applied: its whole vector was
 * clipped to L2 norm `clipNorm`, then Gaussian noise of std `noiseMultiplier * clipNorm` was added
 * to every coordinate (docs/PRIVACY.md).
 */
export interface DeltaPrivacy {
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
}

/** Largest L2 norm a declared delta of `count` coordinates may carry: clip, plus the noise's high-probability bound. */
export function declaredNormBound(p: DeltaPrivacy, count: number): number {
  return p.clipNorm * (1 + p.noiseMultiplier * (Math.sqrt(count) + DELTA_NOISE_TAIL_SIGMAS));
}

/** L2 norm of a slice's values (f32, or int8 x scale), in float64. */
export function sliceNorm(encoding: DeltaEncoding, count: number, blockSize: number, data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let sum = 0;
  if (encoding === DeltaEncoding.F32) {
    for (let i = 0; i < count; i++) sum += view.getFloat32(i * 4, true) ** 2;
  } else {
    const blocks = Math.ceil(count / blockSize);
    for (let i = 0; i < count; i++) sum += (view.getInt8(blocks * 4 + i) * view.getFloat32(Math.floor(i / blockSize) * 4, true)) ** 2;
  }
  return Math.sqrt(sum);
}

/**
 * A slice [offset, offset + count) of a `dimension`-long vector for (stream, round). Large vectors
 * travel as several slices, so that one update stays within MAX_UPDATE_BYTES.
 */
export interface Delta {
  readonly stream: string;
  readonly round: number;
  readonly dimension: number;
  readonly offset: number;
  readonly encoding: DeltaEncoding;
  /** How much this delta counts in weighted aggregation (for example its sample count). */
  readonly sampleWeight: number;
  readonly count: number;
  /** Int8 only; 0 for F32. */
  readonly blockSize: number;
  readonly data: Uint8Array;
  /** Declared local DP, or absent (a delta sent without it). */
  readonly privacy?: DeltaPrivacy;
}

export function deltaDataBytes(encoding: DeltaEncoding, count: number, blockSize: number): number {
  return encoding === DeltaEncoding.F32 ? count * 4 : Math.ceil(count / blockSize) * 4 + count;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Returns a reason when `data` breaks the encoding's value rules, else null. */
function checkData(encoding: DeltaEncoding, count: number, blockSize: number, data: Uint8Array): string | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const floats = encoding === DeltaEncoding.F32 ? count : Math.ceil(count / blockSize);
  for (let i = 0; i < floats; i++) {
    const v = view.getFloat32(i * 4, true);
    if (!Number.isFinite(v)) return `value ${i} is not finite`;
    if (encoding === DeltaEncoding.Int8 && v < 0) return `scale ${i} is negative`;
  }
  if (encoding === DeltaEncoding.Int8) {
    for (let i = floats * 4; i < data.length; i++) if (data[i] === 0x80) return 'int8 value -128 is not allowed';
  }
  return null;
}

export const deltaKind: OpKind<Delta> = {
  kind: KIND_DELTA,
  name: 'delta',
  decode(payload) {
    const r = payloadReader(payload);
    const stream = readIdent(r, 'stream');
    const round = r.varint();
    const dimension = r.varint(MAX_DELTA_DIMENSION);
    if (dimension < 1) throw r.fail('dimension must be >= 1');
    const offset = r.varint(dimension - 1);
    const encoding = r.u8();
    if (encoding !== DeltaEncoding.F32 && encoding !== DeltaEncoding.Int8) throw r.fail(`unknown delta encoding ${encoding}`);
    const sampleWeight = r.varint();
    if (sampleWeight < 1) throw r.fail('sampleWeight must be >= 1');
    const count = r.varint(dimension - offset);
    if (count < 1) throw r.fail('count must be >= 1');
    let blockSize = 0;
    if (encoding === DeltaEncoding.Int8) {
      blockSize = r.varint(MAX_INT8_BLOCK);
      if (blockSize < MIN_INT8_BLOCK || !isPowerOfTwo(blockSize)) throw r.fail(`blockSize must be a power of two in ${MIN_INT8_BLOCK}..${MAX_INT8_BLOCK}`);
    }
    const data = r.bytes(deltaDataBytes(encoding, count, blockSize));
    let privacy: DeltaPrivacy | undefined;
    if (r.remaining > 0) {
      if (r.u8() !== PRIVACY_TAG) throw r.fail('unknown delta trailer');
      const f = r.bytes(16);
      const v = new DataView(f.buffer, f.byteOffset, 16);
      privacy = { clipNorm: v.getFloat64(0, true), noiseMultiplier: v.getFloat64(8, true) };
      if (!(Number.isFinite(privacy.clipNorm) && privacy.clipNorm > 0)) throw r.fail('clipNorm must be finite and > 0');
      if (!(Number.isFinite(privacy.noiseMultiplier) && privacy.noiseMultiplier >= 0) || Object.is(privacy.noiseMultiplier, -0)) throw r.fail('noiseMultiplier must be finite and >= 0');
    }
    r.finish();
    const problem = checkData(encoding, count, blockSize, data);
    if (problem !== null) throw r.fail(problem);
    if (privacy !== undefined) {
      const norm = sliceNorm(encoding, count, blockSize, data);
      const bound = declaredNormBound(privacy, count);
      if (!(norm <= bound)) throw new DecodeError(RejectCode.ClipExceeded, `slice norm ${norm} exceeds ${bound}, the bound of clip ${privacy.clipNorm} with noise multiplier ${privacy.noiseMultiplier}`);
    }
    return { stream, round, dimension, offset, encoding, sampleWeight, count, blockSize, data, ...(privacy !== undefined ? { privacy } : {}) };
  },
  encode(d) {
    const w = new ByteWriter(64 + d.data.length);
    writeIdent(w, d.stream, 'stream');
    w.varint(d.round, 'round').varint(d.dimension, 'dimension').varint(d.offset, 'offset').u8(d.encoding);
    w.varint(d.sampleWeight, 'sampleWeight').varint(d.count, 'count');
    if (d.encoding === DeltaEncoding.Int8) w.varint(d.blockSize, 'blockSize');
    if (d.data.length !== deltaDataBytes(d.encoding, d.count, d.blockSize)) {
      throw new MurmurArgumentError('data', `${deltaDataBytes(d.encoding, d.count, d.blockSize)} bytes for this encoding and count`);
    }
    w.bytes(d.data);
    if (d.privacy !== undefined) {
      const f = new Uint8Array(16);
      const v = new DataView(f.buffer);
      v.setFloat64(0, d.privacy.clipNorm, true);
      v.setFloat64(8, d.privacy.noiseMultiplier, true);
      w.u8(PRIVACY_TAG).bytes(f);
    }
    const bytes = w.finish();
    deltaKind.decode(bytes); // the encoder never emits what the decoder would refuse
    return bytes;
  },
};

/** Builds an F32 delta body from values (convenience for producers and tests). */
export function f32Delta(fields: Omit<Delta, 'encoding' | 'count' | 'blockSize' | 'data'>, values: Float32Array): Delta {
  const data = new Uint8Array(values.length * 4);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { ...fields, encoding: DeltaEncoding.F32, count: values.length, blockSize: 0, data };
}

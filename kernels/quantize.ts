import { check, KernelErrorCode } from './errors.js';
import { toFixed } from './fixed-point.js';
import { QUANT_BLOCK } from './limits.js';
import type { KernelRunner } from './select-backend.js';
import type { BackendName } from './backend.js';

/**
 * A delta as int8 codes with one f32 scale per QUANT_BLOCK coordinates (the Int8 encoding of
 * crdt/kinds/delta.ts): x ~= code * scale. Error per coordinate is below one scale step plus
 * 2^(6 - shift) (the dropped low bits) plus the f32 rounding of the scale (docs/KERNELS.md).
 */
export interface QuantizedDelta {
  readonly blockSize: number;
  readonly scales: Float32Array;
  readonly codes: Int8Array;
  readonly backend: BackendName;
}

export const DEFAULT_QUANT_LEVELS = 127;

/**
 * Quantizes a delta to codes in -levels..levels per QUANT_BLOCK block. 127 uses the full int8
 * range; fewer levels trade precision for entropy, which the lossless stage then removes
 * (docs/KERNELS.md gives ratios and error bounds for both).
 */
export async function quantizeDelta(runner: KernelRunner, values: Float32Array, key: readonly [number, number], levels = DEFAULT_QUANT_LEVELS): Promise<QuantizedDelta> {
  check(Number.isInteger(levels) && levels >= 1 && levels <= 127, KernelErrorCode.BadParameter, 'levels', 'an integer in 1..127');
  const x = toFixed([values], 'values');
  const res = await runner.run((b) => b.quantize(x.rows[0]!, key[0], key[1], levels));
  const unit = (64 * 2 ** -x.shift) / levels;
  const scales = Float32Array.from(res.value.blockMax, (m) => m * unit);
  return { blockSize: QUANT_BLOCK, scales, codes: res.value.codes, backend: res.backend };
}

export function dequantize(q: Pick<QuantizedDelta, 'blockSize' | 'scales' | 'codes'>): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = q.codes[i]! * q.scales[Math.floor(i / q.blockSize)]!;
  return out;
}

/** The bytes of the crdt Int8 delta body: scales (f32 little-endian), then the codes. */
export function int8Body(q: Pick<QuantizedDelta, 'scales' | 'codes'>): Uint8Array {
  const out = new Uint8Array(q.scales.length * 4 + q.codes.length);
  const view = new DataView(out.buffer);
  q.scales.forEach((s, i) => view.setFloat32(i * 4, s, true));
  out.set(new Uint8Array(q.codes.buffer, q.codes.byteOffset, q.codes.length), q.scales.length * 4);
  return out;
}

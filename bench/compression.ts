import { compress, decompress } from '../kernels/compression.js';
import { dequantize, int8Body, quantizeDelta } from '../kernels/quantize.js';
import { KernelRunner } from '../kernels/select-backend.js';
import { report } from './common.js';

/**
 * `npm run bench -- compression`: bytes of a delta as f32 versus int8 codes (per-block scales)
 * compressed losslessly (zstd), for several value distributions, with the worst error seen
 * relative to the block's largest magnitude. The baseline is zstd on the raw f32 bytes.
 */
const D = 1 << 20;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    s ^= s >>> 13;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
}

function distributions(): [string, Float32Array][] {
  const r = rng(7);
  const normal = (): number => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
  // A fine-tuning delta: per-layer scales, mostly small Gaussian updates, 5% heavy (Student-t like).
  const layered = Float32Array.from({ length: D }, (_, i) => {
    const layerScale = 10 ** (-3 - ((i >> 16) % 3));
    return layerScale * (r() < 0.05 ? normal() / Math.max(0.05, Math.abs(normal())) : normal());
  });
  return [
    ['gaussian', Float32Array.from({ length: D }, () => normal() * 1e-3)],
    ['laplace', Float32Array.from({ length: D }, () => (r() < 0.5 ? -1 : 1) * Math.log(r()) * 1e-3)],
    ['fine-tuning (layered, 5% heavy tail)', layered],
  ];
}

export async function main(): Promise<void> {
  const runner = new KernelRunner({ backend: 'cpu' });
  const lines: [string, string | number][] = [];
  const result: Record<string, number> = {};
  let worst = Infinity;
  for (const [name, x] of distributions()) {
    const raw = new Uint8Array(x.buffer);
    const zstdF32 = compress(raw).length;
    lines.push([`${name}: f32 bytes / zstd(f32)`, `${raw.length} / ${zstdF32} (${(raw.length / zstdF32).toFixed(2)}x)`]);
    for (const levels of [127, 15, 7]) {
      const q = await quantizeDelta(runner, x, [1, 2], levels);
      const frame = compress(int8Body(q));
      if (decompress(frame).length !== int8Body(q).length) throw new Error('round trip failed');
      const y = dequantize(q);
      let err = 0;
      for (let i = 0; i < D; i++) err = Math.max(err, Math.abs(y[i]! - x[i]!) / q.scales[Math.floor(i / q.blockSize)]! / levels);
      const ratio = raw.length / frame.length;
      if (levels === 7) worst = Math.min(worst, ratio);
      lines.push([`${name}: ${levels} levels, ratio (max error / block max)`, `${ratio.toFixed(2)}x (${err.toExponential(2)})`]);
      result[`${name.split(' ')[0]}_${levels}`] = Number(ratio.toFixed(2));
    }
  }
  runner.close();
  report(lines, { ...result, ratio_min_7_levels: Number(worst.toFixed(2)) });
}

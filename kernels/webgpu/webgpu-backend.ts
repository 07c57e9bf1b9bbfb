/// <reference types="@webgpu/types" />
import type { Gram, KernelBackend, Quantized } from '../backend.js';
import { type AttestationAggregates, type AttestationBatch, emptyAggregates } from '../attestation-batch.js';
import type { FixedDeltas } from '../fixed-point.js';
import { GAUSS_QUANTILES } from '../gaussian-table.js';
import { QUANT_BLOCK } from '../limits.js';
import { GpuContext, type GpuContextOptions } from './gpu-context.js';
import { GpuRun } from './gpu-run.js';
import { ATTESTATION_WGSL, COORDINATE_WGSL, GAUSSIAN_WGSL, GRAM_SLOTS, GRAM_TILE, GRAM_WGSL, QUANTIZE_WGSL, SCALE_WGSL } from './shaders.js';

const TWO_32 = 2 ** 32;
/** Workgroups that stride over coordinate tiles in the Gram kernel (partials summed on the host). */
const GRAM_GROUPS = 256;

/** Safe integers to (low, high) words of a two's-complement 64-bit integer. */
function toWords(src: Float64Array): Uint32Array {
  const out = new Uint32Array(src.length * 2);
  for (let i = 0; i < src.length; i++) {
    const hi = Math.floor(src[i]! / TWO_32);
    out[2 * i] = src[i]! - hi * TWO_32;
    out[2 * i + 1] = hi;
  }
  return out;
}

function fromWords(lo: number, hi: number): number {
  return (hi | 0) * TWO_32 + lo;
}

/** Column ranges [start, end) such that K rows of one range fit one storage binding. */
function columnChunks(x: FixedDeltas, maxBinding: number, bytesPerOutput: number): [number, number][] {
  const per = Math.max(1, Math.floor(maxBinding / Math.max(4 * x.k, bytesPerOutput)));
  const out: [number, number][] = [];
  for (let s = 0; s < x.d; s += per) out.push([s, Math.min(x.d, s + per)]);
  return out;
}

function uploadColumns(run: GpuRun, x: FixedDeltas, start: number, end: number): GPUBuffer {
  const len = end - start;
  const b = run.buffer(x.k * len * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
  x.rows.forEach((row, r) => run.device.queue.writeBuffer(b, r * len * 4, row.buffer, row.byteOffset + start * 4, len * 4));
  return b;
}

/** The Dawn WebGPU backend: the same integer kernels as the CPU backend, in WGSL. */
export class WebGpuBackend implements KernelBackend {
  readonly name = 'webgpu' as const;
  private readonly ctx: GpuContext;

  constructor(opts: GpuContextOptions) {
    this.ctx = new GpuContext(opts);
  }

  /** Creates the device now (so that a missing adapter shows up at start, not at first use). */
  probe(): Promise<void> {
    return this.ctx.use(async () => {});
  }

  close(): void {
    this.ctx.close();
  }

  /** Runs raw work on this backend's device (benchmarks use it for the copy baseline). */
  withRun<T>(work: (run: GpuRun) => Promise<T>): Promise<T> {
    return this.run(work);
  }

  private run<T>(work: (run: GpuRun) => Promise<T>): Promise<T> {
    return this.ctx.use(async (device) => {
      const run = new GpuRun(device, this.ctx.maxBindingBytes);
      try {
        const out = await work(run);
        await run.finish();
        return out;
      } catch (err) {
        await run.finish().catch(() => {});
        throw err;
      }
    });
  }

  attestations(batch: AttestationBatch): Promise<AttestationAggregates> {
    return this.run(async (run) => {
      const out = emptyAggregates(batch.feeds);
      if (batch.feeds === 0) return out;
      const o = run.output(batch.feeds * 64);
      run.dispatch(ATTESTATION_WGSL, [run.input(batch.offsets), run.input(toWords(batch.values)), run.input(toWords(batch.confidences)), run.input(batch.weights), o], batch.feeds);
      const w = new Uint32Array(await run.read(o, batch.feeds * 64));
      for (let f = 0; f < batch.feeds; f++) {
        const b = f * 16;
        const cols = [out.price, out.confidence, out.p25, out.p75, out.median, out.mad];
        cols.forEach((col, c) => (col[f] = fromWords(w[b + 2 * c]!, w[b + 2 * c + 1]!)));
        out.count[f] = w[b + 12]!;
        out.totalWeight[f] = w[b + 13]!;
        out.outlierMask[2 * f] = w[b + 14]!;
        out.outlierMask[2 * f + 1] = w[b + 15]!;
      }
      return out;
    });
  }

  weightedSum(x: FixedDeltas, weights: Uint32Array): Promise<Float64Array> {
    return this.coordinate(x, 0, 0, weights);
  }

  median(x: FixedDeltas): Promise<Float64Array> {
    return this.coordinate(x, 1, 0);
  }

  trimmedSum(x: FixedDeltas, trim: number): Promise<Float64Array> {
    return this.coordinate(x, 2, trim);
  }

  private coordinate(x: FixedDeltas, mode: number, trim: number, weights: Uint32Array = new Uint32Array(x.k)): Promise<Float64Array> {
    return this.run(async (run) => {
      const out = new Float64Array(x.d);
      const w = run.input(weights);
      for (const [start, end] of columnChunks(x, run.maxBinding, 8)) {
        const len = end - start;
        const o = run.output(len * 8);
        run.dispatch(COORDINATE_WGSL, [run.uniform([x.k, len, mode, trim]), uploadColumns(run, x, start, end), w, o], Math.ceil(len / 64));
        const words = new Uint32Array(await run.read(o, len * 8));
        for (let i = 0; i < len; i++) out[start + i] = fromWords(words[2 * i]!, words[2 * i + 1]!);
      }
      return out;
    });
  }

  gram(x: FixedDeltas, withPairs: boolean): Promise<Gram> {
    return this.run(async (run) => {
      const pairs: number[] = [];
      for (let a = 0; a < x.k && withPairs; a++) for (let b = a + 1; b < x.k; b++) pairs.push(a | (b << 8));
      for (let a = 0; a < x.k; a++) pairs.push(a | (255 << 8));
      if (pairs.length > GRAM_SLOTS * 256) throw new Error('gram: too many pairs for the shader slots');
      const pairBuf = run.input(new Uint32Array(pairs));
      const sums = new Float64Array(pairs.length);
      for (const [start, end] of columnChunks(x, run.maxBinding, 0)) {
        const len = end - start;
        const tiles = Math.ceil(len / GRAM_TILE);
        const groups = Math.min(GRAM_GROUPS, tiles);
        const o = run.output(groups * pairs.length * 8);
        run.dispatch(GRAM_WGSL, [run.uniform([x.k, len, pairs.length, tiles]), uploadColumns(run, x, start, end), pairBuf, o], [groups, 1]);
        const words = new Uint32Array(await run.read(o, groups * pairs.length * 8));
        for (let g = 0; g < groups; g++) {
          for (let p = 0; p < pairs.length; p++) sums[p] = sums[p]! + fromWords(words[2 * (g * pairs.length + p)]!, words[2 * (g * pairs.length + p) + 1]!);
        }
      }
      const distances = new Float64Array(x.k * x.k);
      const norms = new Float64Array(x.k);
      pairs.forEach((ab, p) => {
        const a = ab & 0xff;
        const b = ab >> 8;
        if (b === 255) norms[a] = sums[p]!;
        else distances[a * x.k + b] = distances[b * x.k + a] = sums[p]!;
      });
      return { distances, norms };
    });
  }

  scaleRows(x: FixedDeltas, factors: Uint32Array): Promise<FixedDeltas> {
    return this.run(async (run) => {
      const rows = x.rows.map(() => new Int32Array(x.d));
      const f = run.input(factors);
      for (const [start, end] of columnChunks(x, run.maxBinding, 0)) {
        const len = end - start;
        const o = run.output(x.k * len * 4);
        run.dispatch(SCALE_WGSL, [run.uniform([x.k, len, 0, 0]), uploadColumns(run, x, start, end), f, o], Math.ceil((x.k * len) / 64));
        const all = new Int32Array(await run.read(o, x.k * len * 4));
        rows.forEach((row, r) => row.set(all.subarray(r * len, (r + 1) * len), start));
      }
      return { ...x, rows };
    });
  }

  gaussian(k0: number, k1: number, start: number, count: number): Promise<Int32Array> {
    return this.run(async (run) => {
      const out = new Int32Array(count);
      const table = run.input(new Int32Array(GAUSS_QUANTILES));
      const per = Math.max(64, Math.floor(run.maxBinding / 4));
      for (let s = 0; s < count; s += per) {
        const len = Math.min(per, count - s);
        const o = run.output(len * 4);
        run.dispatch(GAUSSIAN_WGSL, [run.uniform([k0, k1, (start + s) >>> 0, len]), table, o], Math.ceil(len / 64));
        out.set(new Int32Array(await run.read(o, len * 4)), s);
      }
      return out;
    });
  }

  quantize(q: Int32Array, k0: number, k1: number, levels: number): Promise<Quantized> {
    return this.run(async (run) => {
      const codes = new Int8Array(q.length);
      const blockMax = new Int32Array(Math.ceil(q.length / QUANT_BLOCK));
      const per = Math.max(1, Math.floor(run.maxBinding / 4 / QUANT_BLOCK)) * QUANT_BLOCK;
      for (let s = 0; s < q.length; s += per) {
        const len = Math.min(per, q.length - s);
        const blocks = Math.ceil(len / QUANT_BLOCK);
        const c = run.output(blocks * QUANT_BLOCK);
        const m = run.output(blocks * 4);
        run.dispatch(QUANTIZE_WGSL, [run.uniform([len, k0, k1, s, levels, 0, 0, 0]), run.input(q.subarray(s, s + len)), c, m], blocks);
        codes.set(new Int8Array(await run.read(c, blocks * QUANT_BLOCK)).subarray(0, len), s);
        blockMax.set(new Int32Array(await run.read(m, blocks * 4)), s / QUANT_BLOCK);
      }
      return { codes, blockMax };
    });
  }
}

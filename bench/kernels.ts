/// <reference types="@webgpu/types" />
import { createHash } from 'node:crypto';
import { packAttestations, type AttestationInput } from '../kernels/attestation-batch.js';
import type { KernelBackend } from '../kernels/backend.js';
import { createCpuBackend } from '../kernels/cpu/cpu-backend.js';
import { toFixed } from '../kernels/fixed-point.js';
import { aggregateDeltas } from '../kernels/aggregator.js';
import { KernelRunner } from '../kernels/select-backend.js';
import { WebGpuBackend } from '../kernels/webgpu/webgpu-backend.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, spread, timedRunsAsync } from './common.js';

/**
 * `npm run bench -- kernels [--d N] [--feeds N] [--reps N]`: input throughput (GB/s) of every
 * kernel on each backend next to a memory-copy baseline measured in the same run on that backend,
 * and the CPU kernels side by side with Flower's aggregation functions on numpy, on the same inputs.
 * CPU baseline: TypedArray.set of the same bytes. WebGPU baseline: a copy between two buffers that
 * already live on the device (the device's own bandwidth). Every figure is the median of `reps`
 * runs, all measured.
 */
interface Args {
  d: number;
  k: number;
  feeds: number;
  reps: number;
  krumD: number;
}

function parse(args: string[]): Args {
  const get = (flag: string, dflt: number): number => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  return { d: get('--d', 1 << 20), k: get('--k', 64), feeds: get('--feeds', 10_000), reps: get('--reps', 3), krumD: get('--krum-d', 1 << 16) };
}

function floatRows(k: number, d: number): Float32Array[] {
  let s = 12345;
  return Array.from({ length: k }, () =>
    Float32Array.from({ length: d }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s / 2 ** 32 - 0.5) * 0.01;
    }),
  );
}

function feeds(n: number): AttestationInput[][] {
  return Array.from({ length: n }, (_, f) =>
    Array.from({ length: 64 }, (_, i) => ({ value: 2_500_000 + ((f * 7919 + i * 104_729) % 5000), confidence: 100 + (i % 50), weight: 1 + (i % 4) })),
  );
}

async function cpuCopy(bytes: number, reps: number): Promise<number> {
  const src = new Int32Array(bytes / 4).fill(7);
  const dst = new Int32Array(bytes / 4);
  return (await timedRunsAsync(reps, async () => dst.set(src))).median;
}

/** A device-resident copy: both buffers are on the device (filled before timing); only the copy and its completion are timed. */
async function gpuCopy(gpu: WebGpuBackend, bytes: number, reps: number): Promise<number> {
  const host = new Uint8Array(bytes).fill(7);
  return gpu.withRun(async (run) => {
    const src = run.buffer(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    const dst = run.buffer(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    run.device.queue.writeBuffer(src, 0, host);
    await run.device.queue.onSubmittedWorkDone();
    const timed = await timedRunsAsync(reps, async () => {
      const enc = run.device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
      run.device.queue.submit([enc.finish()]);
      await run.device.queue.onSubmittedWorkDone();
    });
    return timed.median;
  });
}

/** Flower's aggregation (bench/flower-baseline.py) on the same float32 rows: seconds per kernel, or why it could not run. */
function flowerSeconds(rows: Float32Array[], krum: Float32Array[], trim: number, reps: number): { impl: string; seconds: Record<string, { median: number; min: number; max: number }> } | string {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-flower-'));
  try {
    const write = (name: string, xs: Float32Array[]): string => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.concat(xs.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength))));
      return path;
    };
    const args = [join(import.meta.dirname, 'flower-baseline.py'), write('rows.f32', rows), String(rows.length), String(rows[0]!.length), write('krum.f32', krum), String(krum[0]!.length), String(trim), String(reps)];
    const out = execFileSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    const parsed = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown> & { impl: string };
    const { impl, ...seconds } = parsed;
    return { impl, seconds: seconds as Record<string, { median: number; min: number; max: number }> };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return `skipped: no Python 3 with numpy (${(e.stderr ?? e.message).trim().split('\n').at(-1)})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<void> {
  const a = parse(argv);
  const rowsF32 = floatRows(a.k, a.d);
  const x = toFixed(rowsF32);
  const deltaBytes = a.k * a.d * 4;
  const batch = packAttestations(feeds(a.feeds));
  const attBytes = batch.values.length * 20;
  const krumF32 = floatRows(a.k, a.krumD);
  const krum = toFixed(krumF32);
  const weights = Uint32Array.from({ length: a.k }, (_, i) => 1 + i);
  const factors = Uint32Array.from({ length: a.k }, (_, i) => 30_000 + i);

  const coordinate: [string, number, (b: KernelBackend) => Promise<unknown>][] = [
    ['weighted-mean', deltaBytes, (b) => b.weightedSum(x, weights)],
    ['median', deltaBytes, (b) => b.median(x)],
    ['trimmed-mean', deltaBytes, (b) => b.trimmedSum(x, 6)],
    ['clip-scale', deltaBytes, (b) => b.scaleRows(x, factors)],
    ['quantize-int8', a.d * 4, (b) => b.quantize(x.rows[0]!, 1, 2, 127)],
  ];
  const other: [string, number, (b: KernelBackend) => Promise<unknown>][] = [
    ['attestations', attBytes, (b) => b.attestations(batch)],
    ['multi-krum-distances', a.k * a.krumD * 4, (b) => b.gram(krum, true)],
    ['gaussian (output bytes)', a.d * 4, (b) => b.gaussian(1, 2, 0, a.d)],
  ];

  const lines: [string, string | number][] = [[`sizes`, `deltas K=${a.k} x D=${a.d}; attestations ${a.feeds} feeds x 64; krum D=${a.krumD}`]];
  const result: Record<string, unknown> = { k: a.k, d: a.d, feeds: a.feeds };
  const outputs = new Map<string, string>();

  const measure = async (name: 'cpu' | 'webgpu', b: KernelBackend, copy: (bytes: number) => Promise<number>): Promise<number> => {
    let min = Infinity;
    const baseline = deltaBytes / (await copy(deltaBytes)) / 1e9;
    lines.push([`${name} memcpy baseline GB/s`, baseline]);
    result[`${name}_memcpy_gbps`] = baseline;
    for (const [kernel, bytes, fn] of [...coordinate, ...other]) {
      const gbps = bytes / (await timedRunsAsync(a.reps, () => fn(b))).median / 1e9;
      const base = bytes === deltaBytes ? baseline : bytes / (await copy(bytes)) / 1e9;
      const ratio = gbps / base;
      lines.push([`${name} ${kernel} GB/s (ratio to memcpy)`, `${gbps.toFixed(3)} (${ratio.toFixed(3)})`]);
      result[`${name}_${kernel.split(' ')[0]}_gbps`] = Number(gbps.toFixed(4));
      if (coordinate.some(([k]) => k === kernel)) min = Math.min(min, ratio);
      const out = await fn(b);
      outputs.set(`${name}:${kernel}`, digestOf(out));
    }
    return min;
  };

  result.method = `cold-median-of-${a.reps}`;
  result.cpu_ratio_min = Number((await measure('cpu', createCpuBackend(), (n) => cpuCopy(n, a.reps))).toFixed(4));
  await flowerSideBySide(a, rowsF32, krumF32, weights, lines, result);
  const gpu = new WebGpuBackend({ idleMs: 5_000 });
  try {
    await gpu.probe();
    result.webgpu_ratio_min = Number((await measure('webgpu', gpu, (n) => gpuCopy(gpu, n, a.reps))).toFixed(4));
    result.bit_identical = [...coordinate, ...other].every(([k]) => outputs.get(`cpu:${k}`) === outputs.get(`webgpu:${k}`));
  } catch (err) {
    lines.push(['webgpu', `unavailable: ${err instanceof Error ? err.message : String(err)}`]);
    result.webgpu_ratio_min = null;
    result.bit_identical = null;
  } finally {
    gpu.close();
  }
  report(lines, result);
}

/**
 * murmur's CPU kernels against Flower's functions on the same float32 rows, in the same run:
 * murmur's time is the node's own call, aggregateDeltas on a CPU runner (the checks, the
 * fixed-point frame, the kernel and the conversion back to f32; Flower starts from the floats
 * too), except Krum's distances, which are the gram kernel on the fixed-point rows (Flower's
 * _compute_distances returns only those). ratio = Flower's time / murmur's, so above 1 murmur is ahead.
 */
async function flowerSideBySide(a: Args, rows: Float32Array[], krumRows: Float32Array[], weights: Uint32Array, lines: [string, string | number][], result: Record<string, unknown>): Promise<void> {
  const cpu = createCpuBackend();
  const runner = new KernelRunner({ backend: 'cpu' });
  const trim = 6;
  const flower = flowerSeconds(rows, krumRows, trim, a.reps);
  if (typeof flower === 'string') {
    lines.push(['flower side-by-side', flower]);
    result.ratio_to_flower_min = null;
    result.flower = flower;
    return;
  }
  const ours: [string, () => Promise<unknown>][] = [
    ['weighted-mean', () => aggregateDeltas(runner, rows, { rule: 'mean', weights: Array.from(weights) })],
    ['median', () => aggregateDeltas(runner, rows, { rule: 'median' })],
    ['trimmed-mean', () => aggregateDeltas(runner, rows, { rule: 'trimmed-mean', trim: trim / rows.length })],
    ['multi-krum-distances', () => cpu.gram(toFixed(krumRows), true)],
  ];
  lines.push(['flower side-by-side', flower.impl]);
  let min = Infinity;
  const perKernel: Record<string, unknown> = {};
  for (const [kernel, fn] of ours) {
    const m = await timedRunsAsync(a.reps, fn);
    const f = flower.seconds[kernel]!;
    const ratio = f.median / m.median;
    min = Math.min(min, ratio);
    lines.push([`${kernel}: murmur cpu s ${spread(m, 4)}`, `flower ${f.median.toFixed(4)} s, ratio ${ratio.toFixed(3)}`]);
    perKernel[kernel] = { murmur_cpu_s: m.median, flower_s: f.median, flower_min_s: f.min, flower_max_s: f.max, ratio: Number(ratio.toFixed(3)) };
  }
  result.flower_impl = flower.impl;
  result.flower = perKernel;
  result.ratio_to_flower_min = Number(min.toFixed(3));
}

/** A digest of any kernel output (typed arrays, possibly nested in objects). */
function digestOf(v: unknown): string {
  const parts: Uint8Array[] = [];
  const walk = (o: unknown): void => {
    if (ArrayBuffer.isView(o)) parts.push(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    else if (Array.isArray(o)) o.forEach(walk);
    else if (o !== null && typeof o === 'object') Object.keys(o).sort().forEach((k) => walk((o as Record<string, unknown>)[k]));
    else parts.push(new TextEncoder().encode(String(o)));
  };
  walk(v);
  return createHash('sha256').update(Buffer.concat(parts)).digest('hex');
}

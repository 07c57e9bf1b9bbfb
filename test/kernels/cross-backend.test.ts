import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { packAttestations } from '../../kernels/attestation-batch.js';
import type { KernelBackend } from '../../kernels/backend.js';
import { createCpuBackend } from '../../kernels/cpu/cpu-backend.js';
import { toFixed } from '../../kernels/fixed-point.js';
import { WebGpuBackend } from '../../kernels/webgpu/webgpu-backend.js';
import { closeWebgpu, webgpuOrSkip } from '../helpers/gpu.js';
import { Prng } from '../helpers/prng.js';
import { adversarialDeltaSets, adversarialFeeds, randomFeeds, randomRows } from './kernel-inputs.js';

const cpu = createCpuBackend();
after(closeWebgpu);

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function assertSame(a: ArrayBufferView, b: ArrayBufferView, what: string): void {
  assert.ok(bytesOf(a).equals(bytesOf(b)), `${what}: CPU and WebGPU outputs differ`);
}

async function compareDeltaKernels(gpu: KernelBackend, rows: Float32Array[], name: string): Promise<void> {
  const x = toFixed(rows);
  const w = Uint32Array.from({ length: x.k }, (_, i) => 1 + ((i * 7919) % 65535));
  assertSame(await cpu.weightedSum(x, w), await gpu.weightedSum(x, w), `${name} weighted sum`);
  assertSame(await cpu.median(x), await gpu.median(x), `${name} median`);
  const t = Math.floor((x.k - 1) / 2);
  assertSame(await cpu.trimmedSum(x, t), await gpu.trimmedSum(x, t), `${name} trimmed sum`);
  const [g1, g2] = [await cpu.gram(x, true), await gpu.gram(x, true)];
  assertSame(g1.distances, g2.distances, `${name} distances`);
  assertSame(g1.norms, g2.norms, `${name} norms`);
  const f = Uint32Array.from({ length: x.k }, (_, i) => (i * 40503) % 65537);
  const [s1, s2] = [await cpu.scaleRows(x, f), await gpu.scaleRows(x, f)];
  s1.rows.forEach((r, i) => assertSame(r, s2.rows[i]!, `${name} scaled row ${i}`));
  for (const levels of [127, 15, 1]) {
    const [q1, q2] = [await cpu.quantize(x.rows[0]!, 11, 12, levels), await gpu.quantize(x.rows[0]!, 11, 12, levels)];
    assertSame(q1.codes, q2.codes, `${name} codes (${levels} levels)`);
    assertSame(q1.blockMax, q2.blockMax, `${name} block maxima`);
  }
}

test('delta kernels: byte-equal on CPU and WebGPU for random and adversarial inputs', async (t) => {
  const gpu = await webgpuOrSkip(t);
  if (gpu === null) return;
  const rng = new Prng(41);
  for (const [name, rows] of adversarialDeltaSets(rng)) await compareDeltaKernels(gpu, rows, name);
  for (let i = 0; i < 5; i++) await compareDeltaKernels(gpu, randomRows(rng, 1 + rng.int(64), 1 + rng.int(3000), 10 ** (rng.int(12) - 6)), `random ${i}`);
});

test('delta kernels: byte-equal when WebGPU splits the input into many binding-sized chunks', async (t) => {
  if ((await webgpuOrSkip(t)) === null) return;
  const small = new WebGpuBackend({ idleMs: 500, maxBindingBytes: 4096 });
  try {
    await compareDeltaKernels(small, randomRows(new Prng(5), 13, 2_000), 'chunked');
    assertSame(await cpu.gaussian(1, 2, 5, 3000), await small.gaussian(1, 2, 5, 3000), 'chunked gaussian');
  } finally {
    small.close();
  }
});

test('gaussian draws: byte-equal on CPU and WebGPU, any start offset', async (t) => {
  const gpu = await webgpuOrSkip(t);
  if (gpu === null) return;
  for (const [k0, k1, start, n] of [[0, 0, 0, 1], [0xffffffff, 7, 4_294_967_000, 200], [123, 456, 99, 10_000]] as const) {
    assertSame(await cpu.gaussian(k0, k1, start, n), await gpu.gaussian(k0, k1, start, n), `gaussian key ${k0},${k1} start ${start}`);
  }
});

test('attestation kernel: byte-equal on CPU and WebGPU for random and adversarial feeds', async (t) => {
  const gpu = await webgpuOrSkip(t);
  if (gpu === null) return;
  const rng = new Prng(7);
  for (const feeds of [adversarialFeeds(rng), randomFeeds(rng, 300)]) {
    const batch = packAttestations(feeds);
    const [a, b] = [await cpu.attestations(batch), await gpu.attestations(batch)];
    for (const col of ['price', 'confidence', 'p25', 'p75', 'median', 'mad', 'count', 'totalWeight', 'outlierMask'] as const) {
      assertSame(a[col], b[col], `attestations ${col}`);
    }
  }
});

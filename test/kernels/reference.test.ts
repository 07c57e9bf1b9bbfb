import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { aggregateDeltas, type DeltaAggregateOptions } from '../../kernels/aggregator.js';
import { gaussianCpu } from '../../kernels/cpu/deltas.js';
import { KernelRunner } from '../../kernels/select-backend.js';
import { dequantize, quantizeDelta } from '../../kernels/quantize.js';
import { Prng } from '../helpers/prng.js';
import { randomRows } from './kernel-inputs.js';

const runner = new KernelRunner({ backend: 'cpu' });
after(() => runner.close());

function column(rows: readonly Float32Array[], i: number): number[] {
  return rows.map((r) => r[i]!).sort((a, b) => a - b);
}

/** Documented tolerance: the fixed-point step 2^-shift plus half an f32 ulp of the result. */
function assertNear(got: Float32Array, want: number[], shift: number, what: string): void {
  want.forEach((w, i) => {
    const tol = 2 ** -shift + Math.abs(w) * 2 ** -24;
    assert.ok(Math.abs(got[i]! - w) <= tol, `${what}[${i}]: ${got[i]} vs float64 ${w} (tolerance ${tol})`);
  });
}

async function agg(rows: Float32Array[], o: DeltaAggregateOptions) {
  return aggregateDeltas(runner, rows, o);
}

test('mean, median and trimmed mean match float64 formulas within the documented tolerance', async () => {
  const rng = new Prng(3);
  for (const [k, d, scale] of [[1, 10, 1], [7, 300, 1e-3], [64, 200, 50], [10, 65, 1e6]] as const) {
    const rows = randomRows(rng, k, d, scale);
    const weights = rows.map((_, i) => 1 + ((i * 37) % 100));
    const W = weights.reduce((s, w) => s + w, 0);
    const mean = await agg(rows, { rule: 'mean', weights });
    assertNear(mean.values, Array.from({ length: d }, (_, i) => rows.reduce((s, r, j) => s + r[i]! * weights[j]!, 0) / W), mean.shift, `mean K=${k}`);
    const med = await agg(rows, { rule: 'median' });
    assertNear(med.values, Array.from({ length: d }, (_, i) => { const c = column(rows, i); return k % 2 ? c[k >> 1]! : (c[k / 2 - 1]! + c[k / 2]!) / 2; }), med.shift, `median K=${k}`);
    const trim = await agg(rows, { rule: 'trimmed-mean', trim: 0.2 });
    const t = Math.floor(0.2 * k);
    assertNear(trim.values, Array.from({ length: d }, (_, i) => column(rows, i).slice(t, k - t).reduce((s, v) => s + v, 0) / (k - 2 * t)), trim.shift, `trimmed K=${k}`);
  }
});

test('Multi-Krum leaves out scaled and sign-flipped poisoners; clipping bounds every norm', async () => {
  const rng = new Prng(8);
  const base = randomRows(rng, 1, 400)[0]!;
  const honest = Array.from({ length: 8 }, () => base.map((v) => v + (rng.next() - 0.5) * 0.1));
  const poison = [base.map((v) => v * 50), base.map((v) => -v)];
  const res = await agg([...honest, ...poison], { rule: 'multi-krum', f: 2 });
  assert.deepEqual(res.selected, [0, 1, 2, 3, 4, 5, 6, 7], 'exactly the honest deltas are selected');
  const clip = 2;
  const clipped = await agg([...honest, ...poison], { rule: 'mean', clipNorm: clip });
  for (const [i, f] of clipped.clipFactors.entries()) assert.ok(f <= 1 && f > 0, `clip factor ${i} in (0, 1]: ${f}`);
  const single = await agg([poison[0]!], { rule: 'mean', clipNorm: clip });
  const norm = Math.hypot(...single.values);
  assert.ok(norm <= clip * (1 + 1e-3) && norm >= clip * 0.99, `a clipped delta has norm ~${clip}: ${norm}`);
});

test('Gaussian draws: mean 0, variance 1, and the normal quantiles', () => {
  const n = 200_000;
  const z = gaussianCpu(17, 99, 0, n);
  let sum = 0;
  let sq = 0;
  let below = 0;
  for (const v of z) {
    const x = v / 65536;
    sum += x;
    sq += x * x;
    if (x < 1.959964) below++;
  }
  assert.ok(Math.abs(sum / n) < 0.01, `mean ${sum / n}`);
  assert.ok(Math.abs(sq / n - 1) < 0.015, `variance ${sq / n}`);
  assert.ok(Math.abs(below / n - 0.975) < 0.002, `P(z < 1.96) = ${below / n}`);
});

test('noise is the same on every node for the same key, and different for another round', async () => {
  const rows = randomRows(new Prng(1), 3, 50);
  const a = await agg(rows, { rule: 'mean', noise: { sigma: 0.5, key: [1, 2] } });
  const b = await agg(rows, { rule: 'mean', noise: { sigma: 0.5, key: [1, 2] } });
  const c = await agg(rows, { rule: 'mean', noise: { sigma: 0.5, key: [1, 3] } });
  assert.deepEqual(a.values, b.values);
  assert.notDeepEqual(a.values, c.values);
});

test('int8 quantization: error within one scale step, unbiased, and a lossless round trip of codes', async () => {
  const rng = new Prng(4);
  const x = Float32Array.from({ length: 10_000 }, () => (rng.next() - 0.5) * 0.02);
  const q = await quantizeDelta(runner, x, [5, 6]);
  const y = dequantize(q);
  let bias = 0;
  x.forEach((v, i) => {
    const step = q.scales[Math.floor(i / q.blockSize)]!;
    assert.ok(Math.abs(y[i]! - v) <= step * (1 + 2 ** -20) + 2 ** -20 * Math.abs(v), `coordinate ${i}: |${y[i]} - ${v}| > step ${step}`);
    bias += y[i]! - v;
  });
  assert.ok(Math.abs(bias / x.length) < 1e-5, `stochastic rounding is unbiased on average (${bias / x.length})`);
});

import type { AttestationAggregates, AttestationInput } from './attestation-batch.js';
import { packAttestations } from './attestation-batch.js';
import { check, KernelErrorCode } from './errors.js';
import { checkShape, type FixedDeltas, toFixed } from './fixed-point.js';
import { floatSource, medianCpu, trimmedSumCpu } from './cpu/deltas.js';
import { floatFrameShift, weightedSumFromFloats } from './cpu/mean-simd.js';
import { COARSE_SHIFT, MAX_DELTA_WEIGHT } from './limits.js';
import { multiKrumSelect } from './multi-krum.js';
import type { KernelRunner } from './select-backend.js';
import type { BackendName } from './backend.js';

export type DeltaRule = 'mean' | 'median' | 'trimmed-mean' | 'multi-krum';
export const DELTA_RULES: readonly DeltaRule[] = ['mean', 'median', 'trimmed-mean', 'multi-krum'];

export interface DeltaAggregateOptions {
  readonly rule: DeltaRule;
  /** FedAvg weights, integers in 1..65535 (mean and multi-krum); all 1 when absent. */
  readonly weights?: readonly number[];
  /** trimmed-mean: drop floor(trim * K) values at each end, 0 <= trim < 0.5. */
  readonly trim?: number;
  /** multi-krum: the number of Byzantine deltas tolerated (K > 2f + 2). */
  readonly f?: number;
  /** L2 clipping of every delta to this norm before aggregation. */
  readonly clipNorm?: number;
  /** Gaussian noise of standard deviation sigma, drawn from Philox under `key`. */
  readonly noise?: { readonly sigma: number; readonly key: readonly [number, number] };
}

export interface DeltaAggregate {
  readonly values: Float32Array;
  readonly backend: BackendName;
  readonly fallback?: string;
  /** Deltas that entered the rule (all, or Multi-Krum's selection), by input index. */
  readonly selected: readonly number[];
  /** Per delta: the clipping factor applied (1 when not clipped). */
  readonly clipFactors: readonly number[];
  /** Fixed-point frame of the round: inputs were q * 2^-shift. */
  readonly shift: number;
}

const ONE_16 = 65536;

function checkOptions(k: number, o: DeltaAggregateOptions): Uint32Array {
  check(DELTA_RULES.includes(o.rule), KernelErrorCode.BadParameter, 'rule', `one of ${DELTA_RULES.join(', ')}`);
  const weights = o.weights ?? new Array<number>(k).fill(1);
  check(weights.length === k, KernelErrorCode.BadShape, 'weights', `one weight per delta (${k})`);
  weights.forEach((w, i) =>
    check(Number.isInteger(w) && w >= 1 && w <= MAX_DELTA_WEIGHT, KernelErrorCode.OutOfRange, `weights[${i}]`, `an integer in 1..${MAX_DELTA_WEIGHT}, got ${w}`),
  );
  if (o.rule === 'trimmed-mean') {
    const t = o.trim ?? 0.1;
    check(Number.isFinite(t) && t >= 0 && t < 0.5, KernelErrorCode.BadParameter, 'trim', 'a fraction in [0, 0.5)');
  }
  if (o.clipNorm !== undefined) check(Number.isFinite(o.clipNorm) && o.clipNorm > 0, KernelErrorCode.BadParameter, 'clipNorm', 'a positive number');
  if (o.noise !== undefined) check(Number.isFinite(o.noise.sigma) && o.noise.sigma > 0, KernelErrorCode.BadParameter, 'noise.sigma', 'a positive number');
  return Uint32Array.from(weights);
}

/** Clip factor in 2^-16 units: 1 when the (coarse) norm is within `clip`, else clip / norm. */
export function clipFactor(coarseNormSq: number, shift: number, clip: number): number {
  const norm = Math.sqrt(coarseNormSq) * 2 ** (COARSE_SHIFT - shift);
  return norm <= clip ? ONE_16 : Math.floor((ONE_16 * clip) / norm);
}

function pickRows(x: FixedDeltas, rows: readonly number[]): FixedDeltas {
  return { ...x, k: rows.length, rows: rows.map((r) => x.rows[r]!) };
}

/**
 * Mean, median and trimmed mean without clipping, on the CPU, straight from the floats: the same
 * integers as the fixed-point rows would give (the frame from a SIMD scan, each value converted as
 * it is read; rounding is monotone, so order statistics commute with it), without materialising
 * K x D fixed-point rows. Null where WebAssembly SIMD is absent (the kernels on toFixed's rows then run).
 */
function fromFloats(rows: readonly Float32Array[], weights: Uint32Array, o: DeltaAggregateOptions): { sums: Float64Array; divisor: number; selected: number[]; clipFactors: number[]; shift: number } | null {
  const shift = floatFrameShift(rows);
  if (shift === null) return null;
  const k = rows.length;
  const all = Array.from({ length: k }, (_, i) => i);
  const common = { selected: all, clipFactors: all.map(() => 1), shift };
  if (o.rule === 'median') return { sums: medianCpu(floatSource(rows, shift)), divisor: 1, ...common };
  if (o.rule === 'trimmed-mean') {
    const t = Math.floor((o.trim ?? 0.1) * k);
    return { sums: trimmedSumCpu(floatSource(rows, shift), t), divisor: k - 2 * t, ...common };
  }
  const sums = weightedSumFromFloats(rows, weights, shift);
  return sums === null ? null : { sums, divisor: weights.reduce((s, v) => s + v, 0), ...common };
}

/**
 * Aggregates K deltas by `rule` on the runner's backend. Integer kernels do the work; the one
 * float step, (sum / divisor) * 2^-shift (+ z * sigma / 2^16), happens here in float64 and is
 * rounded once to f32, so every backend and every node produces the same bytes.
 */
export async function aggregateDeltas(runner: KernelRunner, rows: readonly Float32Array[], o: DeltaAggregateOptions): Promise<DeltaAggregate> {
  const weights = checkOptions(rows.length, o);
  const { d } = checkShape(rows);
  let fixed: FixedDeltas | null = null;
  const input = (): FixedDeltas => (fixed ??= toFixed(rows));
  // The closure may run twice (WebGPU, then the CPU after a fallback), so it never mutates `input`.
  const res = await runner.run(async (b) => {
    const noiseOf = async () => (o.noise !== undefined ? await b.gaussian(o.noise.key[0], o.noise.key[1], 0, d) : null);
    if (b.name === 'cpu' && o.rule !== 'multi-krum' && o.clipNorm === undefined) {
      const fused = fromFloats(rows, weights, o);
      if (fused !== null) return { ...fused, noise: await noiseOf() };
    }
    let x = input();
    let clipFactors = new Array<number>(x.k).fill(1);
    if (o.clipNorm !== undefined) {
      const { norms } = await b.gram(x, false);
      const factors = Uint32Array.from(norms, (n) => clipFactor(n, x.shift, o.clipNorm!));
      clipFactors = Array.from(factors, (f) => f / ONE_16);
      x = await b.scaleRows(x, factors);
    }
    let selected = Array.from({ length: x.k }, (_, i) => i);
    let sums: Float64Array;
    let divisor: number;
    if (o.rule === 'median') {
      sums = await b.median(x);
      divisor = 1;
    } else if (o.rule === 'trimmed-mean') {
      const t = Math.floor((o.trim ?? 0.1) * x.k);
      sums = await b.trimmedSum(x, t);
      divisor = x.k - 2 * t;
    } else {
      if (o.rule === 'multi-krum') selected = multiKrumSelect((await b.gram(x, true)).distances, x.k, o.f ?? 0).selected;
      const w = Uint32Array.from(selected, (i) => weights[i]!);
      sums = await b.weightedSum(pickRows(x, selected), w);
      divisor = w.reduce((s, v) => s + v, 0);
    }
    return { sums, divisor, noise: await noiseOf(), selected, clipFactors, shift: x.shift };
  });
  const { sums, divisor, noise, selected, clipFactors, shift } = res.value;
  const values = new Float32Array(d);
  const scale = 2 ** -shift;
  const zScale = o.noise !== undefined ? o.noise.sigma / ONE_16 : 0;
  for (let i = 0; i < d; i++) values[i] = (sums[i]! / divisor) * scale + (noise === null ? 0 : noise[i]! * zScale);
  return { values, backend: res.backend, ...(res.fallback !== undefined ? { fallback: res.fallback } : {}), selected, clipFactors, shift };
}

/** Aggregates many feeds at once (validation first: nothing runs on bad input). */
export async function aggregateFeeds(runner: KernelRunner, feeds: readonly (readonly AttestationInput[])[]): Promise<{ value: AttestationAggregates; backend: BackendName; fallback?: string }> {
  const batch = packAttestations(feeds);
  return runner.run((b) => b.attestations(batch));
}

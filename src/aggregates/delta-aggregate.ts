import { DeltaEncoding, type DeltaView } from '../../crdt/index.js';
import {
  aggregateDeltas,
  check,
  drawKey,
  KernelErrorCode,
  MAX_DELTA_WEIGHT,
  MAX_DELTAS,
  MAX_DIMENSION,
  type DeltaAggregateOptions,
  type DeltaRule,
} from '../../kernels/index.js';
import type { AggregationService } from './aggregation-service.js';
import { aggregateDigest } from './digest.js';

export interface DeltaQuery {
  readonly stream: string;
  readonly round: number;
  readonly rule: DeltaRule;
  readonly trim?: number;
  readonly f?: number;
  readonly clipNorm?: number;
  /** Gaussian noise std (mean rule with clipNorm only); charged to the stream's privacy budget. */
  readonly sigma?: number;
}

type Reason = 'incomplete' | 'overlapping' | 'inconsistent' | 'dimension-mismatch' | 'over-limit';

/** Decodes one slice (F32 or Int8 x scale) into `into` at its offset. */
function decodeSlice(d: DeltaView, into: Float32Array): void {
  const view = new DataView(d.data.buffer, d.data.byteOffset, d.data.byteLength);
  if (d.encoding === DeltaEncoding.F32) {
    for (let i = 0; i < d.count; i++) into[d.offset + i] = view.getFloat32(i * 4, true);
    return;
  }
  const blocks = Math.ceil(d.count / d.blockSize);
  for (let i = 0; i < d.count; i++) into[d.offset + i] = view.getInt8(blocks * 4 + i) * view.getFloat32(Math.floor(i / d.blockSize) * 4, true);
}

interface Contribution {
  author: string;
  updateIds: string[];
  weight: number;
  values: Float32Array;
}

/**
 * Assembles each author's vector for (stream, round) from its slices: they must tile
 * [0, dimension) exactly once and agree on dimension and sample weight. The dimension most
 * authors used wins (ties: the smaller); at most 64 authors count, by author key.
 */
function contributions(all: readonly DeltaView[]): { used: Contribution[]; excluded: { author: string; reason: Reason }[] } {
  const byAuthor = new Map<string, DeltaView[]>();
  for (const d of all) {
    const list = byAuthor.get(d.author);
    if (list === undefined) byAuthor.set(d.author, [d]);
    else list.push(d);
  }
  const excluded: { author: string; reason: Reason }[] = [];
  const complete: Contribution[] = [];
  for (const [author, slices] of [...byAuthor].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dim = slices[0]!.dimension;
    const weight = slices[0]!.sampleWeight;
    if (slices.some((s) => s.dimension !== dim || s.sampleWeight !== weight)) {
      excluded.push({ author, reason: 'inconsistent' });
      continue;
    }
    slices.sort((a, b) => a.offset - b.offset);
    let next = 0;
    let bad: Reason | null = null;
    for (const s of slices) {
      if (s.offset < next) bad = 'overlapping';
      else if (s.offset > next) bad ??= 'incomplete';
      next = Math.max(next, s.offset + s.count);
    }
    if (next !== dim) bad ??= 'incomplete';
    if (bad !== null) {
      excluded.push({ author, reason: bad });
      continue;
    }
    check(dim <= MAX_DIMENSION, KernelErrorCode.BadShape, 'dimension', `at most ${MAX_DIMENSION} coordinates can be aggregated, got ${dim}`);
    const values = new Float32Array(dim);
    for (const s of slices) decodeSlice(s, values);
    complete.push({ author, updateIds: [...new Set(slices.map((s) => s.updateId))].sort(), weight: Math.min(weight, MAX_DELTA_WEIGHT), values });
  }
  const votes = new Map<number, number>();
  for (const c of complete) votes.set(c.values.length, (votes.get(c.values.length) ?? 0) + 1);
  const dim = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  const used: Contribution[] = [];
  for (const c of complete) {
    if (c.values.length !== dim) excluded.push({ author: c.author, reason: 'dimension-mismatch' });
    else if (used.length >= MAX_DELTAS) excluded.push({ author: c.author, reason: 'over-limit' });
    else used.push(c);
  }
  return { used, excluded };
}

/** The aggregate of (stream, round) by `q.rule`, with provenance, privacy spend and digest. */
export async function deltaAggregate(svc: AggregationService, all: readonly DeltaView[], q: DeltaQuery) {
  const { used, excluded } = contributions(all);
  check(used.length > 0, KernelErrorCode.BadShape, 'deltas', `no complete delta for ${q.stream} round ${q.round}`);
  const opts: DeltaAggregateOptions = {
    rule: q.rule,
    weights: used.map((c) => c.weight),
    ...(q.trim !== undefined ? { trim: q.trim } : {}),
    ...(q.f !== undefined ? { f: q.f } : {}),
    ...(q.clipNorm !== undefined ? { clipNorm: q.clipNorm } : {}),
  };
  let privacy: { sigma: number; sensitivity: number; epsilonSpent: number; epsilonBudget: number; delta: number } | null = null;
  if (q.sigma !== undefined) {
    check(q.rule === 'mean' && q.clipNorm !== undefined, KernelErrorCode.BadParameter, 'sigma', 'noise needs rule=mean and a clip norm (it bounds the sensitivity)');
    const total = used.reduce((s, c) => s + c.weight, 0);
    const sensitivity = (q.clipNorm * Math.max(...used.map((c) => c.weight))) / total;
    const spent = svc.chargePrivacy(q.stream, sensitivity, q.sigma);
    privacy = { sigma: q.sigma, sensitivity, epsilonSpent: spent.epsilon, epsilonBudget: svc.accountant.budget.epsilon, delta: svc.accountant.budget.delta };
    Object.assign(opts, { noise: { sigma: q.sigma, key: drawKey('dp-noise', q.stream, q.round) } });
  }
  const res = await aggregateDeltas(svc.runner, used.map((c) => c.values), opts);
  svc.count(res.backend);
  const bytes = new Uint8Array(res.values.buffer, res.values.byteOffset, res.values.byteLength);
  const inputs = used.map((c, i) => ({ author: c.author, updateIds: c.updateIds, weight: c.weight, selected: res.selected.includes(i), clipFactor: res.clipFactors[i]! }));
  const body = { stream: q.stream, round: q.round, rule: q.rule, trim: q.trim ?? null, f: q.f ?? null, clipNorm: q.clipNorm ?? null, sigma: q.sigma ?? null, dimension: res.values.length, inputs, excluded };
  return {
    ...body,
    privacy,
    backend: res.backend,
    ...(res.fallback !== undefined ? { fallback: res.fallback } : {}),
    valuesF32Base64: Buffer.from(bytes).toString('base64'),
    preview: Array.from(res.values.subarray(0, 8)),
    digest: aggregateDigest('delta', body, bytes),
  };
}

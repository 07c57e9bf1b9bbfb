import { DeltaEncoding, declaredNormBound, type DeltaPrivacy, type DeltaView } from '../../crdt/index.js';
import {
  aggregateDeltas,
  check,
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
}

type Reason = 'incomplete' | 'overlapping' | 'inconsistent' | 'dimension-mismatch' | 'over-limit' | 'clip-exceeded' | 'superseded-key';

/** Identity lookups (PROTOCOL.md §6a): an identity's keys count as one contributor. */
export interface Identities {
  chainOf(key: string): readonly string[];
}

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

/** L2 norms of 4 096-coordinate chunks (float64), so Math.hypot never gets millions of arguments. */
function chunkNorms(v: Float32Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < v.length; k += 4_096) {
    let s = 0;
    for (let i = k; i < Math.min(v.length, k + 4_096); i++) s += v[i]! * v[i]!;
    out.push(Math.sqrt(s));
  }
  return out;
}

interface Contribution {
  author: string;
  updateIds: string[];
  weight: number;
  values: Float32Array;
  /** The local DP its slices declare (all the same), or null. */
  privacy: DeltaPrivacy | null;
}

function samePrivacy(a: DeltaPrivacy | undefined, b: DeltaPrivacy | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.clipNorm === b.clipNorm && a.noiseMultiplier === b.noiseMultiplier);
}

/**
 * Assembles each author's vector for (stream, round) from its slices: they must tile
 * [0, dimension) exactly once and agree on dimension and sample weight. The dimension most
 * authors used wins (ties: the smaller); at most 64 authors count, by author key.
 */
function contributions(all: readonly DeltaView[], identities?: Identities): { used: Contribution[]; excluded: { author: string; reason: Reason }[] } {
  const byAuthor = new Map<string, DeltaView[]>();
  for (const d of all) {
    const list = byAuthor.get(d.author);
    if (list === undefined) byAuthor.set(d.author, [d]);
    else list.push(d);
  }
  const excluded: { author: string; reason: Reason }[] = [];
  if (identities !== undefined) {
    // One identity, one contribution: the slices of its latest key in the chain.
    const latest = new Map<string, string>();
    for (const author of byAuthor.keys()) {
      const chain = identities.chainOf(author);
      const cur = latest.get(chain[0]!);
      if (cur === undefined || chain.indexOf(author) > chain.indexOf(cur)) latest.set(chain[0]!, author);
    }
    const keep = new Set(latest.values());
    for (const author of [...byAuthor.keys()]) {
      if (keep.has(author)) continue;
      byAuthor.delete(author);
      excluded.push({ author, reason: 'superseded-key' });
    }
  }
  const complete: Contribution[] = [];
  for (const [author, slices] of [...byAuthor].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dim = slices[0]!.dimension;
    const weight = slices[0]!.sampleWeight;
    const privacy = slices[0]!.privacy;
    if (slices.some((s) => s.dimension !== dim || s.sampleWeight !== weight || !samePrivacy(s.privacy, privacy))) {
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
    // Each slice passed its own bound on validation; the whole vector must pass the whole bound.
    if (privacy !== undefined && !(Math.hypot(...chunkNorms(values)) <= declaredNormBound(privacy, dim))) {
      excluded.push({ author, reason: 'clip-exceeded' });
      continue;
    }
    complete.push({ author, updateIds: [...new Set(slices.map((s) => s.updateId))].sort(), weight: Math.min(weight, MAX_DELTA_WEIGHT), values, privacy: privacy ?? null });
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

/**
 * The aggregate of (stream, round) by `q.rule`, with provenance and digest. A pure function of the
 * signed deltas: the node adds no noise (noise every node could recompute protects nobody;
 * contributors add their own, docs/PRIVACY.md).
 */
export async function deltaAggregate(svc: AggregationService, all: readonly DeltaView[], q: DeltaQuery, identities?: Identities) {
  const { used, excluded } = contributions(all, identities);
  check(used.length > 0, KernelErrorCode.BadShape, 'deltas', `no complete delta for ${q.stream} round ${q.round}`);
  const opts: DeltaAggregateOptions = {
    rule: q.rule,
    weights: used.map((c) => c.weight),
    ...(q.trim !== undefined ? { trim: q.trim } : {}),
    ...(q.f !== undefined ? { f: q.f } : {}),
    ...(q.clipNorm !== undefined ? { clipNorm: q.clipNorm } : {}),
  };
  const res = await aggregateDeltas(svc.runner, used.map((c) => c.values), opts);
  svc.count(res.backend);
  const bytes = new Uint8Array(res.values.buffer, res.values.byteOffset, res.values.byteLength);
  const inputs = used.map((c, i) => ({ author: c.author, updateIds: c.updateIds, weight: c.weight, selected: res.selected.includes(i), clipFactor: res.clipFactors[i]!, privacy: c.privacy }));
  const body = { stream: q.stream, round: q.round, rule: q.rule, trim: q.trim ?? null, f: q.f ?? null, clipNorm: q.clipNorm ?? null, dimension: res.values.length, inputs, excluded };
  return {
    ...body,
    backend: res.backend,
    ...(res.fallback !== undefined ? { fallback: res.fallback } : {}),
    valuesF32Base64: Buffer.from(bytes).toString('base64'),
    preview: Array.from(res.values.subarray(0, 8)),
    digest: aggregateDigest('delta', body, bytes),
  };
}

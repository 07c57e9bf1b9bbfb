import { formatDecimal, rescale, type AttestationView, type Decimal } from '../../crdt/index.js';
import { aggregateFeeds, MAX_ATTESTATION_MAGNITUDE, MAX_ATTESTATIONS_PER_FEED, type AttestationInput } from '../../kernels/index.js';
import type { AggregationService } from './aggregation-service.js';
import { aggregateDigest } from './digest.js';

export interface Excluded {
  readonly updateId: string;
  readonly index: number;
  readonly author: string;
  readonly reason: 'superseded' | 'out-of-range' | 'over-limit' | 'not-admitted';
}

/** Weight of an author's attestations for a feed (issue 6: the registry); 0 means not admitted. */
export type FeedWeights = (feed: string, author: string) => number;
export const EQUAL_WEIGHTS: FeedWeights = () => 1;

/**
 * The aggregate of a feed over [from, to] (observation time, ms). Deterministic selection:
 * each identity's latest attestation in the window counts (an identity's keys count as one author) (ties: the later (updateId, index));
 * values are brought to the smallest exponent among them; at most 64 authors count (highest
 * weight first, then author key). Everything left out is listed with its reason.
 */
export async function feedAggregate(
  svc: AggregationService,
  all: readonly AttestationView[],
  q: { feed: string; from: number; to: number },
  weightOf: FeedWeights = EQUAL_WEIGHTS,
  /** The identity of a key (PROTOCOL.md §6a): one identity's keys count once, as one contributor. */
  identityOf: (author: string) => string = (a) => a,
) {
  const excluded: Excluded[] = [];
  const skip = (a: AttestationView, reason: Excluded['reason']): void => void excluded.push({ updateId: a.updateId, index: a.index, author: a.author, reason });
  const latest = new Map<string, AttestationView>();
  for (const a of all) {
    const who = identityOf(a.author);
    const prev = latest.get(who);
    if (prev !== undefined) skip(prev, 'superseded');
    latest.set(who, a); // `all` is ordered by (observedAtMs, updateId, index): the identity's latest, whichever of its keys signed it
  }
  let kept = [...latest.values()].filter((a) => {
    const ok = weightOf(q.feed, a.author) > 0;
    if (!ok) skip(a, 'not-admitted');
    return ok;
  });
  kept.sort((a, b) => weightOf(q.feed, b.author) - weightOf(q.feed, a.author) || (a.author < b.author ? -1 : 1));
  for (const a of kept.slice(MAX_ATTESTATIONS_PER_FEED)) skip(a, 'over-limit');
  kept = kept.slice(0, MAX_ATTESTATIONS_PER_FEED);
  const exponent = kept.length === 0 ? 0 : Math.min(...kept.map((a) => a.exponent));
  const inputs: { a: AttestationView; input: AttestationInput }[] = [];
  for (const a of kept) {
    try {
      const value = rescale(a, exponent).mantissa;
      const confidence = rescale({ mantissa: a.confidence, exponent: a.exponent }, exponent).mantissa;
      if (Math.abs(value) + confidence > MAX_ATTESTATION_MAGNITUDE) throw new Error('magnitude');
      inputs.push({ a, input: { value, confidence, weight: weightOf(q.feed, a.author) } });
    } catch {
      skip(a, 'out-of-range');
    }
  }
  inputs.sort((x, y) => (x.a.updateId < y.a.updateId ? -1 : x.a.updateId > y.a.updateId ? 1 : x.a.index - y.a.index));
  const ran = await aggregateFeeds(svc.runner, [inputs.map((i) => i.input)]);
  svc.count(ran.backend);
  const r = ran.value;
  const dec = (m: number): string => formatDecimal({ mantissa: m, exponent } satisfies Decimal);
  const outlier = (i: number): boolean => ((r.outlierMask[i >> 5]! >>> (i & 31)) & 1) === 1;
  const counted = inputs.map(({ a, input }, i) => ({ updateId: a.updateId, index: a.index, author: a.author, value: dec(input.value), confidence: dec(input.confidence), weight: input.weight, outlier: outlier(i) }));
  const body = {
    feed: q.feed,
    from: q.from,
    to: q.to,
    count: r.count[0]!,
    totalWeight: r.totalWeight[0]!,
    ...(inputs.length === 0
      ? { price: null, confidence: null, p25: null, p75: null, median: null, mad: null }
      : { price: dec(r.price[0]!), confidence: dec(r.confidence[0]!), p25: dec(r.p25[0]!), p75: dec(r.p75[0]!), median: dec(r.median[0]!), mad: dec(r.mad[0]!) }),
    inputs: counted,
    excluded: excluded.sort((x, y) => (x.updateId < y.updateId ? -1 : x.updateId > y.updateId ? 1 : x.index - y.index)),
  };
  return { ...body, backend: ran.backend, ...(ran.fallback !== undefined ? { fallback: ran.fallback } : {}), digest: aggregateDigest('feed', body) };
}

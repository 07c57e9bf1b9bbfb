import type { DecodedOp } from './kinds/registry.js';
import { KIND_ATTESTATION, type Attestation } from './kinds/attestation.js';
import { KIND_DELTA, type Delta } from './kinds/delta.js';
import { KIND_AUDIT, type AuditEvent } from './kinds/audit.js';
import { KIND_DOC, type DecodedDocOp } from './kinds/doc.js';
import { isDocExcluded, isExcluded, type UpdateRecord } from './records.js';

/** Where an op came from. */
export interface Provenance {
  readonly updateId: string;
  readonly index: number;
  readonly author: string;
  readonly seq: number;
}

export type AttestationView = Provenance & Attestation;
export type DeltaView = Provenance & Delta;
export type AuditView = Provenance & AuditEvent & { readonly height: number };
export type DocOpView = Provenance & DecodedDocOp;

/** Compact per-op entry: the update record, the op index and the decoded body. */
interface Entry<T> {
  readonly u: UpdateRecord;
  readonly i: number;
  readonly b: T;
}

/** An index bucket sorted lazily by `cmp` (inserts arrive in any order). */
class Bucket<T> {
  items: Entry<T>[] = [];
  sorted = true;
  constructor(private readonly cmp: (a: Entry<T>, b: Entry<T>) => number) {}
  push(e: Entry<T>): void {
    this.items.push(e);
    this.sorted = false;
  }
  view(): Entry<T>[] {
    if (!this.sorted) {
      this.items.sort(this.cmp);
      this.sorted = true;
    }
    return this.items;
  }
}

function byOp(a: Entry<unknown>, b: Entry<unknown>): number {
  return a.u.id < b.u.id ? -1 : a.u.id > b.u.id ? 1 : a.i - b.i;
}
const byObservation = (a: Entry<Attestation>, b: Entry<Attestation>): number => a.b.observedAtMs - b.b.observedAtMs || byOp(a, b);
const byTopology = (a: Entry<unknown>, b: Entry<unknown>): number => a.u.height - b.u.height || byOp(a, b);

/**
 * The counted (not excluded) entries of `items` from the `offset`-th counted one on, at most
 * `limit`, mapped: one pass over the exclusion flags, and only the page is built.
 */
function pageOf<T, R>(items: readonly Entry<T>[], offset: number, limit: number, map: (e: Entry<T>) => R, excluded = isExcluded): R[] {
  const out: R[] = [];
  let skip = offset;
  for (let k = 0; k < items.length && out.length < limit; k++) {
    const e = items[k]!;
    if (excluded(e.u)) continue;
    if (skip > 0) skip--;
    else out.push(map(e));
  }
  return out;
}

function countOf(items: readonly Entry<unknown>[], excluded = isExcluded): number {
  let n = 0;
  for (const e of items) if (!excluded(e.u)) n++;
  return n;
}

function provenance(e: Entry<unknown>): Provenance {
  return { updateId: e.u.id, index: e.i, author: e.u.author.key, seq: e.u.seq };
}

/**
 * The derived state: indexes over the ops of accepted updates. It is a function of the set of
 * accepted updates alone (insertion order never shows: buckets are sorted by total orders), and
 * ops of an equivocating author from its first equivocating seq on are filtered out at query time.
 */
export class DerivedState {
  private readonly feeds = new Map<string, Bucket<Attestation>>();
  private readonly deltaRounds = new Map<string, Bucket<Delta>>();
  private readonly audit = new Bucket<AuditEvent>(byTopology);
  /** Doc ops per document in apply order: Yjs content does not depend on the order of application. */
  private readonly docs = new Map<string, Entry<DecodedDocOp>[]>();
  /** Interned strings: feeds and stream ids repeat across millions of ops. */
  private readonly intern = new Map<string, string>();

  add(u: UpdateRecord, ops: readonly DecodedOp[]): void {
    ops.forEach((op, i) => {
      if (op.kind === KIND_ATTESTATION) {
        const a = op.body as Attestation;
        const feed = this.internString(a.feed);
        const b: Attestation = a.sources.length === 0 ? { ...a, feed, sources: NO_SOURCES } : { ...a, feed };
        this.bucket(this.feeds, feed, byObservation).push({ u, i, b });
      } else if (op.kind === KIND_DELTA) {
        const d = op.body as Delta;
        // Copy the data out so a delta never pins a larger receive buffer.
        const b: Delta = { ...d, stream: this.internString(d.stream), data: d.data.slice() };
        this.bucket(this.deltaRounds, deltaKey(b.stream, b.round), byOp).push({ u, i, b });
      } else if (op.kind === KIND_AUDIT) {
        this.audit.push({ u, i, b: op.body as AuditEvent });
      } else if (op.kind === KIND_DOC) {
        const d = op.body as DecodedDocOp;
        const name = this.internString(d.doc);
        let list = this.docs.get(name);
        if (list === undefined) this.docs.set(name, (list = []));
        list.push({ u, i, b: d });
      }
    });
  }

  feedIds(): string[] {
    return [...this.feeds.keys()].sort();
  }

  /** Attestations of `feed` observed in [fromMs, toMs), ordered by (observedAtMs, updateId, index). */
  attestations(feed: string, fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): AttestationView[] {
    const items = this.feeds.get(feed)?.view() ?? [];
    const out: AttestationView[] = [];
    for (let k = lowerBound(items, fromMs); k < items.length && items[k]!.b.observedAtMs < toMs; k++) {
      const e = items[k]!;
      if (!isExcluded(e.u)) out.push({ ...provenance(e), ...e.b });
    }
    return out;
  }

  /**
   * One page of `attestations(feed, fromMs, toMs)`: the `total` that count, and views of only
   * those at [offset, offset + limit) (the others are counted, never copied).
   */
  attestationPage(feed: string, fromMs: number, toMs: number, offset: number, limit: number): { total: number; items: AttestationView[] } {
    const items = this.feeds.get(feed)?.view() ?? [];
    const out: AttestationView[] = [];
    let total = 0;
    for (let k = lowerBound(items, fromMs); k < items.length && items[k]!.b.observedAtMs < toMs; k++) {
      const e = items[k]!;
      if (isExcluded(e.u)) continue;
      if (total >= offset && out.length < limit) out.push({ ...provenance(e), ...e.b });
      total++;
    }
    return { total, items: out };
  }

  /** Deltas of (stream, round), ordered by (updateId, index). */
  deltas(stream: string, round: number): DeltaView[] {
    const items = this.deltaRounds.get(deltaKey(stream, round))?.view() ?? [];
    return items.filter((e) => !isExcluded(e.u)).map((e) => ({ ...provenance(e), ...e.b }));
  }

  /** Number of doc ops of `name` applied so far (counted or not), in apply order. */
  docLength(name: string): number {
    return this.docs.get(name)?.length ?? 0;
  }

  /** The k-th doc op of `name` in apply order, and whether it is excluded now. */
  docOpAt(name: string, k: number): { update: Uint8Array; excluded: boolean } {
    const e = this.docs.get(name)![k]!;
    return { update: e.b.update, excluded: isDocExcluded(e.u) };
  }

  docNames(): string[] {
    return [...this.docs.keys()].sort();
  }

  /**
   * Doc ops of `name` that count (not excluded), in the order this node applied them (deps
   * first). The order differs between nodes; the Y.Doc they make does not (Yjs converges for any
   * order once the rules of docs/PROTOCOL.md hold), and every order-sensitive use sorts.
   */
  docOps(name: string, offset = 0, limit = Infinity): DocOpView[] {
    return pageOf(this.docs.get(name) ?? [], offset, limit, (e) => ({ ...provenance(e), ...e.b }), isDocExcluded);
  }

  /** How many doc ops of `name` count (docOps(name).length without building them). */
  docOpCount(name: string): number {
    return countOf(this.docs.get(name) ?? [], isDocExcluded);
  }

  /** Audit events in topological order: (height, updateId, index); `offset` and `limit` page them. */
  auditLog(offset = 0, limit = Infinity): AuditView[] {
    return pageOf(this.audit.view(), offset, limit, (e) => ({ ...provenance(e), ...e.b, height: e.u.height }));
  }

  /** How many audit events count. */
  auditCount(): number {
    return countOf(this.audit.view());
  }

  private bucket<T>(map: Map<string, Bucket<T>>, key: string, cmp: (a: Entry<T>, b: Entry<T>) => number): Bucket<T> {
    let b = map.get(key);
    if (b === undefined) map.set(key, (b = new Bucket(cmp)));
    return b;
  }

  private internString(s: string): string {
    const hit = this.intern.get(s);
    if (hit !== undefined) return hit;
    this.intern.set(s, s);
    return s;
  }
}

const NO_SOURCES: readonly string[] = Object.freeze([]);

function deltaKey(stream: string, round: number): string {
  return `${stream}\u0000${round}`;
}

function lowerBound(items: Entry<Attestation>[], t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.b.observedAtMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

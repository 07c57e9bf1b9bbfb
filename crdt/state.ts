import type { DecodedOp } from './kinds/registry.js';
import { KIND_ATTESTATION, type Attestation } from './kinds/attestation.js';
import { KIND_DELTA, type Delta } from './kinds/delta.js';
import { KIND_AUDIT, type AuditEvent } from './kinds/audit.js';
import { KIND_DOC, type DecodedDocOp } from './kinds/doc.js';
import { KIND_SECAGG, SecAggType, type SecAggOp } from './kinds/secagg.js';
import { KIND_ARB, type ArbOp } from './kinds/arb.js';
import { FeedColumn } from './feed-column.js';
import { isRowDocExcluded, isRowExcluded, type RowReader } from './records.js';

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
export type SecAggView = Provenance & SecAggOp;
export type ArbView = Provenance & ArbOp;

/** Compact per-op entry: the update's row, the op index and the decoded body. */
interface Entry<T> {
  readonly r: number;
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

/**
 * The derived state: indexes over the ops of accepted updates. It is a function of the set of
 * accepted updates alone (insertion order never shows: every index is sorted by a total order),
 * and ops of an equivocating author from its first equivocating seq on are filtered out at query
 * time. Attestations, the bulk of a log, are kept as columns (FeedColumn); the rarer, larger ops
 * as entries.
 */
export class DerivedState {
  private readonly feeds = new Map<string, FeedColumn>();
  private readonly deltaRounds = new Map<string, Bucket<Delta>>();
  private readonly secaggRounds = new Map<string, Bucket<SecAggOp>>();
  private readonly arbSessions = new Map<string, Bucket<ArbOp>>();
  private readonly audit: Bucket<AuditEvent>;
  /** Doc ops per document in apply order: Yjs content does not depend on the order of application. */
  private readonly docs = new Map<string, Entry<DecodedDocOp>[]>();
  /** Interned strings: feeds and stream ids repeat across millions of ops. */
  private readonly intern = new Map<string, string>();
  /** Interned source sets (index 0: none), by their NUL-joined members. */
  private readonly sourceSets: (readonly string[])[] = [NO_SOURCES];
  private readonly sourceSetIndex = new Map<string, number>([['', 0]]);
  private readonly byOp: (a: Entry<unknown>, b: Entry<unknown>) => number;
  private attestationHorizon = 0;
  private auditHorizon = 0;

  constructor(private readonly rows: RowReader) {
    this.byOp = (a, b) => rows.compareIds(a.r, b.r) || a.i - b.i;
    this.audit = new Bucket<AuditEvent>((a, b) => rows.height(a.r) - rows.height(b.r) || this.byOp(a, b));
  }

  add(r: number, ops: readonly DecodedOp[]): void {
    ops.forEach((op, i) => {
      if (op.kind === KIND_ATTESTATION) {
        const a = op.body as Attestation;
        if (a.observedAtMs < this.attestationHorizon) return; // already compacted away
        const feed = this.internString(a.feed);
        let col = this.feeds.get(feed);
        if (col === undefined) this.feeds.set(feed, (col = new FeedColumn()));
        col.push(r, i, a, this.sourceSetOf(a.sources));
      } else if (op.kind === KIND_DELTA) {
        const d = op.body as Delta;
        // Copy the data out so a delta never pins a larger receive buffer (new Uint8Array copies; a Buffer's slice would not).
        const b: Delta = { ...d, stream: this.internString(d.stream), data: new Uint8Array(d.data) };
        this.bucket(this.deltaRounds, deltaKey(b.stream, b.round)).push({ r, i, b });
      } else if (op.kind === KIND_SECAGG) {
        const d = op.body as SecAggOp;
        const b: SecAggOp = d.type === SecAggType.Masked ? { ...d, stream: this.internString(d.stream), data: new Uint8Array(d.data) } : { ...d, stream: this.internString(d.stream) };
        this.bucket(this.secaggRounds, deltaKey(b.stream, b.round)).push({ r, i, b });
      } else if (op.kind === KIND_ARB) {
        const a = op.body as ArbOp;
        this.bucket(this.arbSessions, deltaKey(this.internString(a.pair), a.session)).push({ r, i, b: a });
      } else if (op.kind === KIND_AUDIT) {
        if (this.rows.timestampMs(r) < this.auditHorizon) return;
        this.audit.push({ r, i, b: op.body as AuditEvent });
      } else if (op.kind === KIND_DOC) {
        const d = op.body as DecodedDocOp;
        const name = this.internString(d.doc);
        let list = this.docs.get(name);
        if (list === undefined) this.docs.set(name, (list = []));
        list.push({ r, i, b: d });
      }
    });
  }

  /**
   * Retention (docs/STORAGE.md, "Retention"): drops attestations observed before
   * `attestationsBeforeMs` and audit events of updates timestamped before `auditBeforeMs`, now and
   * whenever such ops arrive later. Horizons only move forward. The updates themselves stay
   * accepted (ids, digest, DAG, equivocation), and their bytes stay wherever the log keeps them.
   */
  compact(cutoff: { attestationsBeforeMs?: number; auditBeforeMs?: number }): { attestations: number; audit: number } {
    let attestations = 0;
    let audit = 0;
    if (cutoff.attestationsBeforeMs !== undefined && cutoff.attestationsBeforeMs > this.attestationHorizon) {
      this.attestationHorizon = cutoff.attestationsBeforeMs;
      for (const col of this.feeds.values()) attestations += col.dropBefore(this.attestationHorizon, this.rows);
    }
    if (cutoff.auditBeforeMs !== undefined && cutoff.auditBeforeMs > this.auditHorizon) {
      this.auditHorizon = cutoff.auditBeforeMs;
      const before = this.audit.items.length;
      this.audit.items = this.audit.items.filter((e) => this.rows.timestampMs(e.r) >= this.auditHorizon);
      audit = before - this.audit.items.length;
    }
    return { attestations, audit };
  }

  /** Gives back the attestation columns' growth slack (after a replay). */
  trimToSize(): void {
    for (const col of this.feeds.values()) col.trimToSize();
  }

  /** What has been compacted: attestations observed before `attestationsMs`, audit events of updates before `auditMs` (0: nothing). */
  get horizons(): { attestationsMs: number; auditMs: number } {
    return { attestationsMs: this.attestationHorizon, auditMs: this.auditHorizon };
  }

  feedIds(): string[] {
    return [...this.feeds.keys()].sort();
  }

  /** Attestations of `feed` observed in [fromMs, toMs), ordered by (observedAtMs, updateId, index). */
  attestations(feed: string, fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): AttestationView[] {
    return this.attestationPage(feed, fromMs, toMs, 0, Infinity).items;
  }

  /**
   * One page of `attestations(feed, fromMs, toMs)`: the `total` that count, and views of only
   * those at [offset, offset + limit) (the others are counted, never copied).
   */
  attestationPage(feed: string, fromMs: number, toMs: number, offset: number, limit: number): { total: number; items: AttestationView[] } {
    const col = this.feeds.get(feed);
    const out: AttestationView[] = [];
    let total = 0;
    if (col === undefined) return { total, items: out };
    col.settle(this.rows);
    for (let k = col.lowerBound(fromMs); k < col.length && col.observed[k]! < toMs; k++) {
      const r = col.rows[k]!;
      if (isRowExcluded(this.rows, r)) continue;
      if (total >= offset && out.length < limit) {
        out.push({ ...this.provenance(r, col.ops[k]!), ...col.attestation(k, feed, this.sourceSets[col.sourceSets[k]!]!) });
      }
      total++;
    }
    return { total, items: out };
  }

  /** Deltas of (stream, round), ordered by (updateId, index). */
  deltas(stream: string, round: number): DeltaView[] {
    const items = this.deltaRounds.get(deltaKey(stream, round))?.view() ?? [];
    return items.filter((e) => !isRowExcluded(this.rows, e.r)).map((e) => ({ ...this.provenance(e.r, e.i), ...e.b }));
  }

  /** Secure-aggregation ops of (stream, round), ordered by (updateId, index). */
  secaggOps(stream: string, round: number): SecAggView[] {
    const items = this.secaggRounds.get(deltaKey(stream, round))?.view() ?? [];
    return items.filter((e) => !isRowExcluded(this.rows, e.r)).map((e) => ({ ...this.provenance(e.r, e.i), ...e.b }));
  }

  /** ArbSphere ops of (pair, session), ordered by (updateId, index). */
  arbOps(pair: string, session: number): ArbView[] {
    const items = this.arbSessions.get(deltaKey(pair, session))?.view() ?? [];
    return items.filter((e) => !isRowExcluded(this.rows, e.r)).map((e) => ({ ...this.provenance(e.r, e.i), ...e.b }));
  }

  /** Every (pair, session) with ArbSphere ops, sorted. */
  arbSessionKeys(): { pair: string; session: number }[] {
    return [...this.arbSessions.keys()].sort().map((k) => {
      const [pair, session] = k.split('\u0000') as [string, string];
      return { pair, session: Number(session) };
    });
  }

  /** Whether (stream, round) has secure-aggregation ops (a masked round: robust rules cannot run on it). */
  isSecAggRound(stream: string, round: number): boolean {
    return this.secaggRounds.has(deltaKey(stream, round));
  }

  /** Number of doc ops of `name` applied so far (counted or not), in apply order. */
  docLength(name: string): number {
    return this.docs.get(name)?.length ?? 0;
  }

  /** The k-th doc op of `name` in apply order, and whether it is excluded now. */
  docOpAt(name: string, k: number): { update: Uint8Array; excluded: boolean } {
    const e = this.docs.get(name)![k]!;
    return { update: e.b.update, excluded: isRowDocExcluded(this.rows, e.r) };
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
    return this.pageOf(this.docs.get(name) ?? [], offset, limit, (e) => ({ ...this.provenance(e.r, e.i), ...e.b }), isRowDocExcluded);
  }

  /** How many doc ops of `name` count (docOps(name).length without building them). */
  docOpCount(name: string): number {
    return this.countOf(this.docs.get(name) ?? [], isRowDocExcluded);
  }

  /** Audit events in topological order: (height, updateId, index); `offset` and `limit` page them. */
  auditLog(offset = 0, limit = Infinity): AuditView[] {
    return this.pageOf(this.audit.view(), offset, limit, (e) => ({ ...this.provenance(e.r, e.i), ...e.b, height: this.rows.height(e.r) }));
  }

  /** How many audit events count. */
  auditCount(): number {
    return this.countOf(this.audit.view());
  }

  private provenance(r: number, index: number): Provenance {
    return { updateId: this.rows.idHex(r), index, author: this.rows.authorOf(r).key, seq: this.rows.seq(r) };
  }

  /**
   * The counted (not excluded) entries of `items` from the `offset`-th counted one on, at most
   * `limit`, mapped: one pass over the exclusion flags, and only the page is built.
   */
  private pageOf<T, R>(items: readonly Entry<T>[], offset: number, limit: number, map: (e: Entry<T>) => R, excluded = isRowExcluded): R[] {
    const out: R[] = [];
    let skip = offset;
    for (let k = 0; k < items.length && out.length < limit; k++) {
      const e = items[k]!;
      if (excluded(this.rows, e.r)) continue;
      if (skip > 0) skip--;
      else out.push(map(e));
    }
    return out;
  }

  private countOf(items: readonly Entry<unknown>[], excluded = isRowExcluded): number {
    let n = 0;
    for (const e of items) if (!excluded(this.rows, e.r)) n++;
    return n;
  }

  private bucket<T>(map: Map<string, Bucket<T>>, key: string): Bucket<T> {
    let b = map.get(key);
    if (b === undefined) map.set(key, (b = new Bucket<T>(this.byOp)));
    return b;
  }

  private sourceSetOf(sources: readonly string[]): number {
    const key = sources.join('\u0000');
    let k = this.sourceSetIndex.get(key);
    if (k === undefined) {
      k = this.sourceSets.length;
      this.sourceSets.push(Object.freeze(sources.map((s) => this.internString(s))));
      this.sourceSetIndex.set(key, k);
    }
    return k;
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

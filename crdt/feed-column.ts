import type { Attestation } from './kinds/attestation.js';
import type { RowReader } from './records.js';
import { permuted, resized, type Column } from './columns.js';

const INITIAL_ENTRIES = 64;

/**
 * The attestations of one feed as columns (about 35 bytes each rather than two objects and a
 * boxed number or two), ordered by (observedAtMs, update id, op index). Appends land in an
 * unsorted tail; the first read after them sorts the tail and merges it in: O(n + m log m).
 */
export class FeedColumn {
  private n = 0;
  private sorted = 0;
  rows = new Int32Array(INITIAL_ENTRIES);
  ops = new Uint16Array(INITIAL_ENTRIES);
  observed = new Float64Array(INITIAL_ENTRIES);
  mantissas = new Float64Array(INITIAL_ENTRIES);
  confidences = new Float64Array(INITIAL_ENTRIES);
  exponents = new Int8Array(INITIAL_ENTRIES);
  /** Index into the state's interned source sets (0: none). */
  sourceSets = new Int32Array(INITIAL_ENTRIES);

  get length(): number {
    return this.n;
  }

  push(row: number, op: number, a: Attestation, sourceSet: number): void {
    if (this.n === this.rows.length) this.resize(Math.ceil(this.n * 1.5));
    const k = this.n++;
    this.rows[k] = row;
    this.ops[k] = op;
    this.observed[k] = a.observedAtMs;
    this.mantissas[k] = a.mantissa;
    this.confidences[k] = a.confidence;
    this.exponents[k] = a.exponent;
    this.sourceSets[k] = sourceSet;
  }

  /** Sorts what was appended since the last read into place. */
  settle(rows: RowReader): void {
    if (this.sorted === this.n) return;
    const cmp = (a: number, b: number): number =>
      this.observed[a]! - this.observed[b]! || rows.compareIds(this.rows[a]!, this.rows[b]!) || this.ops[a]! - this.ops[b]!;
    const tail = Array.from({ length: this.n - this.sorted }, (_, k) => this.sorted + k).sort(cmp);
    const order = new Int32Array(this.n);
    let i = 0;
    let j = 0;
    for (let k = 0; k < this.n; k++) {
      const fromOld = j >= tail.length || (i < this.sorted && cmp(i, tail[j]!) <= 0);
      order[k] = fromOld ? i++ : tail[j++]!;
    }
    this.remap((c) => permuted(c, order));
    this.sorted = this.n;
  }

  /** First position observed at or after `t` (after settle). */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.observed[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops every entry observed before `t` (a prefix once settled); returns how many. */
  dropBefore(t: number, rows: RowReader): number {
    this.settle(rows);
    const k = this.lowerBound(t);
    if (k === 0) return 0;
    for (const col of [this.rows, this.ops, this.observed, this.mantissas, this.confidences, this.exponents, this.sourceSets]) col.copyWithin(0, k, this.n);
    this.n -= k;
    this.sorted = this.n;
    if (this.n < this.rows.length / 4 && this.rows.length > INITIAL_ENTRIES) this.resize(Math.max(INITIAL_ENTRIES, this.n * 2));
    return k;
  }

  /** Gives back the growth slack beyond an eighth. */
  trimToSize(): void {
    const length = Math.max(INITIAL_ENTRIES, this.n + (this.n >> 3));
    if (length < this.rows.length) this.resize(length);
  }

  attestation(k: number, feed: string, sources: readonly string[]): Attestation {
    return { feed, exponent: this.exponents[k]!, mantissa: this.mantissas[k]!, confidence: this.confidences[k]!, observedAtMs: this.observed[k]!, sources };
  }

  private resize(length: number): void {
    this.remap((c) => resized(c, length));
  }

  /** Replaces every column by `f` of it. */
  private remap(f: <T extends Column>(c: T) => T): void {
    this.rows = f(this.rows);
    this.ops = f(this.ops);
    this.observed = f(this.observed);
    this.mantissas = f(this.mantissas);
    this.confidences = f(this.confidences);
    this.exponents = f(this.exponents);
    this.sourceSets = f(this.sourceSets);
  }
}

import type { DecodedOp } from './kinds/registry.js';

/**
 * Per-author bookkeeping, kept for every author with an accepted update. An author's accepted
 * seqs are always 1..maxSeq with none missing (an update's own predecessor is a dep, so it was
 * accepted first): one row number per seq in a typed array, and a side map for the seqs where the
 * author equivocated.
 */
export class AuthorState {
  private first = new Int32Array(4);
  private count = 0;
  /** seq -> every row at that seq (ascending id), only where the author equivocated. */
  readonly forks = new Map<number, number[]>();
  /** Rows of this author's accepted updates with no accepted successor by the same author. */
  readonly heads = new Set<number>();
  /** Lowest seq at which the author equivocated; Infinity when it never did. */
  equivocatedFrom = Infinity;
  /** Last seq that counts after a revocation (identity-book.ts); Infinity when not revoked. */
  revokedAfter = Infinity;
  /** Seq of the key's rotation: later updates count for nothing; Infinity when it never rotated. */
  rotatedAt = Infinity;
  /**
   * Another key with a doc op shares this author's Yjs client id (docs/PROTOCOL.md §5a): every doc
   * op of both is excluded, whichever came first.
   */
  docsExcluded = false;

  constructor(
    readonly key: string,
    /** This author's number in its log (the order authors were first seen: never part of any answer). */
    readonly number: number,
  ) {}

  /** The highest accepted seq. */
  get maxSeq(): number {
    return this.count;
  }

  /** The first accepted row at `seq`, or -1. */
  rowAt(seq: number): number {
    return seq >= 1 && seq <= this.count ? this.first[seq - 1]! : -1;
  }

  /** Records row `r` at `seq` (at most maxSeq + 1); false when that seq already had a row. */
  addRow(seq: number, r: number): boolean {
    if (seq === this.count + 1) {
      if (this.count === this.first.length) {
        const grown = new Int32Array(Math.ceil(this.first.length * 1.5));
        grown.set(this.first);
        this.first = grown;
      }
      this.first[this.count++] = r;
      return true;
    }
    return false;
  }
}

/** An accepted update as the log answers it (a view built on request; the log keeps columns). */
export interface UpdateRecord {
  readonly id: string;
  /** The log's row number of this update (stable for the log's lifetime). */
  readonly row: number;
  readonly author: AuthorState;
  readonly seq: number;
  /** 0 for an update with no deps, else 1 + the largest height among its deps. */
  readonly height: number;
  readonly timestampMs: number;
}

/** An update whose signature and payloads checked out; its causal checks are still to come. */
export interface VerifiedUpdate {
  readonly id: string;
  /** The id as bytes. */
  readonly idBytes: Uint8Array;
  readonly author: Uint8Array;
  readonly authorKey: string;
  readonly seq: number;
  readonly timestampMs: number;
  readonly deps: readonly string[];
  /** The deps as the update carries them (32 bytes each): looked up without a hex round trip. */
  readonly depBytes: readonly Uint8Array[];
  readonly ops: readonly DecodedOp[];
  readonly bytes: Uint8Array;
}

/**
 * Where a log finds the wire bytes of its accepted updates when it does not keep them itself (a
 * node's store). It must answer for an update from the moment the log's accept listeners for it
 * have returned.
 */
export interface UpdateBytesSource {
  bytesOf(id: string, height: number): Uint8Array | undefined;
}

/** What the derived state reads about a row. */
export interface RowReader {
  idHex(r: number): string;
  compareIds(a: number, b: number): number;
  height(r: number): number;
  seq(r: number): number;
  timestampMs(r: number): number;
  authorOf(r: number): AuthorState;
}

/** Whether an update at `seq` of `a` counts for nothing: at or after its equivocation, after its revocation cut-off, or after its rotation. */
function excludedAt(a: AuthorState, seq: number): boolean {
  return seq >= a.equivocatedFrom || seq > a.revokedAfter || seq > a.rotatedAt;
}

/** True when the derived state leaves out this record's ops (equivocation, revocation or rotation; PROTOCOL.md §6, §6a). */
export function isExcluded(rec: UpdateRecord): boolean {
  return excludedAt(rec.author, rec.seq);
}

/** isExcluded for a row. */
export function isRowExcluded(rows: RowReader, r: number): boolean {
  return excludedAt(rows.authorOf(r), rows.seq(r));
}

/** True when a doc op of this row does not count: excluded as above, or its author's client id collides with another key's. */
export function isRowDocExcluded(rows: RowReader, r: number): boolean {
  return isRowExcluded(rows, r) || rows.authorOf(r).docsExcluded;
}

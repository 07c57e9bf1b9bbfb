import type { DecodedOp } from './kinds/registry.js';

/** Per-author bookkeeping, kept for every author with an accepted update. */
export interface AuthorState {
  readonly key: string;
  /** seq -> id, or the ids (ascending) when the author equivocated at that seq. */
  readonly bySeq: Map<number, string | string[]>;
  /** Accepted updates of this author with no accepted successor by the same author. */
  readonly heads: Set<string>;
  /** Lowest seq at which the author equivocated; Infinity when it never did. */
  equivocatedFrom: number;
  /**
   * Another key with a doc op shares this author's Yjs client id (docs/PROTOCOL.md §5a): every doc
   * op of both is excluded, whichever came first.
   */
  docsExcluded: boolean;
}

/** An accepted update as the log keeps it. */
export interface UpdateRecord {
  readonly id: string;
  readonly author: AuthorState;
  readonly seq: number;
  /** 0 for an update with no deps, else 1 + the largest height among its deps. */
  readonly height: number;
  readonly timestampMs: number;
  /** Canonical wire bytes (a private copy). */
  readonly bytes: Uint8Array;
}

/** An update whose signature and payloads checked out; its causal checks are still to come. */
export interface VerifiedUpdate {
  readonly id: string;
  readonly author: Uint8Array;
  readonly authorKey: string;
  readonly seq: number;
  readonly timestampMs: number;
  readonly deps: readonly string[];
  readonly ops: readonly DecodedOp[];
  readonly bytes: Uint8Array;
}

/** True when the derived state leaves out this record's ops (its author equivocated at or before it). */
export function isExcluded(rec: UpdateRecord): boolean {
  return rec.seq >= rec.author.equivocatedFrom;
}

/** True when a doc op of this record does not count: excluded as above, or its author's client id collides with another key's. */
export function isDocExcluded(rec: UpdateRecord): boolean {
  return isExcluded(rec) || rec.author.docsExcluded;
}

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

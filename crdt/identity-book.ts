import { IdentityType, NO_CUTOFF, validSuccessorProof, type IdentityOp } from './kinds/identity.js';

/**
 * Contributor identities (docs/PROTOCOL.md §6a): chains of keys joined by rotations and
 * re-admissions, and the revocations that cut a key off. A pure function of the identity ops of
 * accepted updates (and their causal order), recomputed whenever one arrives (they are rare).
 * Its verdicts on which rows count only ever grow, like equivocation's.
 */

export interface IdentityEntry {
  readonly id: string;
  readonly index: number;
  readonly author: string;
  readonly seq: number;
  readonly height: number;
  readonly deps: readonly string[];
  readonly op: IdentityOp;
}

export interface IdentityContext {
  readonly authorities: ReadonlySet<string>;
  isAncestor(ancestor: string, id: string): boolean;
  /** Author and seq of an accepted update. */
  find(id: string): { author: string; seq: number } | undefined;
  equivocatedFrom(key: string): number;
}

export interface RevocationView {
  readonly updateId: string;
  readonly by: string;
  readonly key: string;
  readonly cutoff: string;
  /** The last seq of `key` that counts (0: none). */
  readonly cutoffSeq: number;
  readonly reason: string;
  /** Null when it counts; else why not. */
  readonly void: string | null;
}

export interface SuccessionView {
  readonly updateId: string;
  readonly by: string;
  readonly type: 'rotate' | 'readmit';
  readonly oldKey: string;
  readonly newKey: string;
  readonly void: string | null;
}

const order = (a: IdentityEntry, b: IdentityEntry): number => a.height - b.height || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || a.index - b.index;

/**
 * Cost bounds (a Byzantine author may sign identity ops in bulk; each still costs it a signed,
 * verified update):
 * - `add` inserts in order by binary search and checks a rotation's proof once (a pure function
 *   of the op), so no recompute does signature work;
 * - entries that sort after every entry already folded in (the usual case: a later update has a
 *   greater height) are folded in alone, with the same rules in the same order, so a chain of N
 *   ops by one key costs O(N) in all; a new counted revocation re-runs the succession pass only;
 * - anything else (an entry that sorts earlier, a new equivocation: `invalidate`) re-runs both
 *   passes: one pass of map lookups over the entries (revocations indexed by key, chain roots in
 *   a map), never a signature check or a chain walk per entry.
 */
export class IdentityBook {
  /** In `order` (inserted by binary search). */
  private readonly entries: IdentityEntry[] = [];
  /** Whether a rotation's proof verifies, per entry (checked once, at add). */
  private readonly proofOk = new WeakMap<IdentityEntry, boolean>();
  /** entries[0, folded) are folded into the verdicts. */
  private folded = 0;
  /** False when an entry was inserted before `folded`, or the context changed: the next recompute re-runs everything. */
  private clean = true;
  /** Counted revocations, by the key they revoke. */
  private readonly counted = new Map<string, RevocationView[]>();
  /** Last seq that counts, per key (absent: no limit). */
  readonly revokedAfter = new Map<string, number>();
  /** Seq of a key's first rotation: later updates of it count for nothing. */
  readonly rotatedAt = new Map<string, number>();
  readonly successor = new Map<string, string>();
  readonly predecessor = new Map<string, string>();
  /** The root of every key that has a predecessor. */
  private readonly roots = new Map<string, string>();
  revocations: RevocationView[] = [];
  successions: SuccessionView[] = [];
  /** Bumped by every recompute (caches of identity-dependent views key on it). */
  version = 0;
  /** Rotation proofs checked so far (one per rotation added). */
  proofChecks = 0;
  /** Recomputes that re-ran every entry (the rest folded in only what was new). */
  fullRecomputes = 0;

  get size(): number {
    return this.entries.length;
  }

  add(e: IdentityEntry): void {
    // A re-admission's proof was checked when its op was decoded (crdt/kinds/identity.ts).
    if (e.op.type === IdentityType.Rotate) {
      this.proofChecks++;
      this.proofOk.set(e, validSuccessorProof(e.author, e.op.newKey, e.op.proof));
    }
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order(this.entries[mid]!, e) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, e);
    if (lo < this.folded) this.clean = false;
  }

  /** The context changed under the folded entries (an author's equivocation seq): the next recompute re-runs everything. */
  invalidate(): void {
    this.clean = false;
  }

  /**
   * Brings every verdict up to date with the entries (any arrival order gives the same result as
   * one pass over all of them). Returns the keys whose revocation cut-off or rotation seq may
   * have changed.
   */
  recompute(ctx: IdentityContext): Set<string> {
    this.version++;
    const touched = new Set<string>();
    const from = this.clean ? this.folded : 0;
    if (from === 0) {
      if (this.folded > 0 || !this.clean) this.fullRecomputes++;
      for (const k of this.revokedAfter.keys()) touched.add(k);
      this.revokedAfter.clear();
      this.counted.clear();
      this.revocations = [];
    }
    let cutoffsMoved = false;
    for (let i = from; i < this.entries.length; i++) cutoffsMoved = this.revocationStep(this.entries[i]!, ctx, touched) || cutoffsMoved;
    // Successions read the final cut-offs: a moved one re-runs their pass from the start.
    const sFrom = from === 0 || cutoffsMoved ? 0 : from;
    if (sFrom === 0) {
      for (const k of this.rotatedAt.keys()) touched.add(k);
      this.rotatedAt.clear();
      this.successor.clear();
      this.predecessor.clear();
      this.roots.clear();
      this.successions = [];
    }
    for (let i = sFrom; i < this.entries.length; i++) this.successionStep(this.entries[i]!, ctx, touched);
    this.folded = this.entries.length;
    this.clean = true;
    return touched;
  }

  /** Rule 1 (PROTOCOL.md 6a) for one entry, after every entry before it; true when it moved a cut-off. */
  private revocationStep(e: IdentityEntry, ctx: IdentityContext, touched: Set<string>): boolean {
    if (e.op.type !== IdentityType.Revoke) return false;
    const op = e.op;
    let cutoffSeq = 0;
    let why: string | null = null;
    const self = op.key === e.author;
    if (!self && !ctx.authorities.has(e.author)) why = 'not-authorized: only the key itself or a registry authority revokes';
    else if (op.cutoff !== NO_CUTOFF) {
      const c = ctx.find(op.cutoff);
      if (c === undefined || c.author !== op.key) why = 'cutoff is not an update of the revoked key';
      else if (!e.deps.includes(op.cutoff)) why = 'cutoff is not among the revocation\'s deps';
      else cutoffSeq = c.seq;
    }
    if (why === null && self && cutoffSeq !== e.seq - 1) why = 'a key revokes itself from its own next update on (cutoff = its previous update)';
    // Strong remove: a revocation signed by a key that it knew to be revoked before it does not count.
    if (why === null && (this.counted.get(e.author) ?? []).some((q) => e.seq > q.cutoffSeq && ctx.isAncestor(q.updateId, e.id))) why = 'its author was revoked in its causal past';
    const view: RevocationView = { updateId: e.id, by: e.author, key: op.key, cutoff: op.cutoff, cutoffSeq, reason: op.reason, void: why };
    this.revocations.push(view);
    if (why !== null) return false;
    const list = this.counted.get(op.key);
    if (list === undefined) this.counted.set(op.key, [view]);
    else list.push(view);
    const was = this.revokedAfter.get(op.key) ?? Infinity;
    if (cutoffSeq >= was) return false;
    this.revokedAfter.set(op.key, cutoffSeq);
    touched.add(op.key);
    return true;
  }

  /** Rules 2 and 3 for one entry, after every entry before it and every revocation. */
  private successionStep(e: IdentityEntry, ctx: IdentityContext, touched: Set<string>): void {
    if (e.op.type === IdentityType.Revoke) return;
    const rotate = e.op.type === IdentityType.Rotate;
    const oldKey = e.op.type === IdentityType.Rotate ? e.author : e.op.oldKey;
    const newKey = e.op.newKey;
    let why: string | null = null;
    if (rotate && this.proofOk.get(e) !== true) why = 'proof is not the new key\'s signature of its succession';
    else if (!rotate && !ctx.authorities.has(e.author)) why = 'not-authorized: only a registry authority re-admits';
    else if (e.seq > (this.revokedAfter.get(e.author) ?? Infinity)) why = 'signed after its author\'s revocation cut-off';
    else if (e.seq >= ctx.equivocatedFrom(e.author)) why = 'signed at or after its author\'s equivocation';
    if (why === null && rotate && e.seq < (this.rotatedAt.get(oldKey) ?? Infinity)) {
      this.rotatedAt.set(oldKey, e.seq);
      touched.add(oldKey);
    }
    if (why === null && this.successor.has(oldKey)) why = 'the old key already has a successor';
    if (why === null && (this.predecessor.has(newKey) || this.successor.has(newKey))) why = 'the new key already belongs to an identity chain';
    if (why === null && this.rootOf(oldKey) === newKey) why = 'the new key is the old key\'s own root (a cycle)';
    this.successions.push({ updateId: e.id, by: e.author, type: rotate ? 'rotate' : 'readmit', oldKey, newKey, void: why });
    if (why !== null) return;
    this.successor.set(oldKey, newKey);
    this.predecessor.set(newKey, oldKey);
    this.roots.set(newKey, this.rootOf(oldKey));
  }

  /** The first key of `key`'s identity chain (the identity's name). */
  rootOf(key: string): string {
    return this.roots.get(key) ?? key;
  }

  /** Every key of the identity, root first. */
  chainOf(key: string): string[] {
    const out = [this.rootOf(key)];
    for (let next = this.successor.get(out[0]!); next !== undefined && !out.includes(next); next = this.successor.get(next)) out.push(next);
    return out;
  }
}

import { toHex, toHexEach } from './bytes.js';
import { verifyStrict } from './ed25519.js';
import { DecodeError, RejectCode } from './errors.js';
import { SetHash } from './set-hash.js';
import { KIND_DOC, KIND_IDENTITY, defaultKinds, type DecodedOp, type IdentityOp, type KindRegistry } from './kinds/index.js';
import { IdentityBook } from './identity-book.js';
import { MAX_DEPS, REJECTED_CACHE_MAX_ENTRIES } from './limits.js';
import type { Outcome } from './outcome.js';
import { DEFAULT_PENDING_LIMITS, PendingBuffer, type PendingLimits } from './pending-buffer.js';
import { AuthorState, type RowReader, type UpdateBytesSource, type UpdateRecord, type VerifiedUpdate } from './records.js';
import { UpdateTable } from './update-table.js';
import { DerivedState } from './state.js';
import { decodeUpdate, decodeWithKnownId, depsOf, type KnownIdUpdate } from './update.js';
import { signedHeaderOf, type EquivocationEvidence } from './evidence.js';
import { DocLedger } from './docs/doc-ledger.js';

export interface LogOptions {
  kinds?: KindRegistry;
  pendingLimits?: PendingLimits;
  /** Bits of the bound Yjs client id (the protocol's 52; fewer only to force collisions in tests). */
  yjsClientIdBits?: number;
  /**
   * Where the accepted updates' bytes are kept (a node's store): the log then keeps none of them.
   * Without it the log keeps a copy of each in memory.
   */
  bytes?: UpdateBytesSource;
  /** Key of the id index's slot function (4 words; a node passes random ones). Never changes an answer. */
  indexKey?: readonly number[];
  /**
   * Registry authorities (hex keys): they may revoke any key and re-admit an excluded one
   * (PROTOCOL.md §6a). Part of a network's definition, like the registry's: every node of a
   * network must be given the same set.
   */
  authorities?: readonly string[];
}

/** Two or more keys whose doc ops share one Yjs client id: all their doc ops are excluded (PROTOCOL.md §5a). */
export interface ClientIdCollision {
  readonly clientId: number;
  /** The keys, ascending. */
  readonly authors: readonly string[];
}

export interface OfferOptions {
  /** For callers that fetched the bytes by id (sync): a different id is rejected as bad-id. */
  expectedId?: string;
  /**
   * The caller has already run verifyStrict on exactly these bytes (for example in a verifier
   * worker pool). Skips the signature check; never set it for bytes checked by anyone else.
   */
  signatureVerified?: boolean;
  /**
   * With `signatureVerified`: the id that same trusted check computed from exactly these bytes
   * (a verifier worker hands it back), so the log need not hash them again.
   */
  knownId?: string;
  /** With `knownId`: setHashElement(knownId), computed by the same trusted check (saves the main thread the expansion). */
  knownElement?: Uint8Array;
}

/**
 * A trusted signature check's answer for exactly one byte string (a verifier pool's): `false`,
 * not verified there (the log checks it itself); `true`, verified; a string, verified, and that
 * is the update id the check computed from the same bytes.
 */
export type SignatureCheck = boolean | string | VerifiedCheck;

/** A trusted check's answer with the update id and its state-digest element, both computed from the same bytes. */
export interface VerifiedCheck {
  readonly id: string;
  readonly element: Uint8Array;
}

/** The offer options a SignatureCheck stands for (none when there is no answer). */
export function checkedOffer(check: SignatureCheck | undefined): OfferOptions {
  if (typeof check === 'string') return { signatureVerified: true, knownId: check };
  if (typeof check === 'object') return { signatureVerified: true, knownId: check.id, knownElement: check.element };
  return { signatureVerified: check === true };
}

export interface LogStats {
  accepted: number;
  duplicate: number;
  pendingHeld: number;
  pendingRefused: number;
  pendingEvicted: number;
  rejected: Partial<Record<RejectCode, number>>;
}

type Rejection = Extract<Outcome, { status: 'rejected' }>;

/**
 * The signed operation log: validates offered updates, keeps the causal DAG, holds updates whose
 * deps are missing, records equivocation, and maintains the derived state. Pure: no clock, no
 * randomness, no I/O. Validity rules: docs/PROTOCOL.md, "Validation".
 */
export class Log {
  readonly state: DerivedState;
  readonly stats: LogStats = { accepted: 0, duplicate: 0, pendingHeld: 0, pendingRefused: 0, pendingEvicted: 0, rejected: {} };
  private readonly kinds: KindRegistry;
  private readonly table: UpdateTable;
  private readonly authors = new Map<string, AuthorState>();
  private readonly authorList: AuthorState[] = [];
  /** Rows with no accepted dependent. */
  private readonly heads = new Set<number>();
  /** The accepted updates' bytes by row, unless a source keeps them (LogOptions.bytes). */
  private readonly kept: Uint8Array[] | null;
  private readonly source: UpdateBytesSource | undefined;
  private readonly pending: PendingBuffer<VerifiedUpdate>;
  private readonly rejected = new Map<string, RejectCode>();
  private readonly acceptListeners: ((rec: UpdateRecord, bytes: Uint8Array) => void)[] = [];
  /** evidence() and frontier() answers, rebuilt only after the log changed (reads such as /metrics and /v1/status repeat them). */
  private evidenceCache: EquivocationEvidence[] | null = null;
  private frontierCache: string[] | null = null;
  /** The state digest, kept incrementally (one expansion per accept, never a sort). */
  private readonly setHash = new SetHash();
  private readonly docs: DocLedger;
  /** Yjs client id -> the keys that wrote doc ops under it (more than one: a collision). */
  private readonly docClients = new Map<number, string[]>();
  /** Rotations, revocations, re-admissions (PROTOCOL.md §6a). */
  readonly identities = new IdentityBook();
  private readonly authoritySet: ReadonlySet<string>;

  constructor(opts: LogOptions = {}) {
    this.kinds = opts.kinds ?? defaultKinds();
    this.pending = new PendingBuffer(opts.pendingLimits ?? DEFAULT_PENDING_LIMITS);
    this.docs = new DocLedger(opts.yjsClientIdBits);
    this.table = new UpdateTable(opts.indexKey);
    this.source = opts.bytes;
    this.kept = opts.bytes === undefined ? [] : null;
    this.authoritySet = new Set(opts.authorities ?? []);
    const table = this.table;
    const rows: RowReader = {
      idHex: (r) => table.idHex(r),
      compareIds: (a, b) => table.compareIds(a, b),
      height: (r) => table.height(r),
      seq: (r) => table.seq(r),
      timestampMs: (r) => table.timestampMs(r),
      authorOf: (r) => this.authorList[table.author(r)]!,
    };
    this.state = new DerivedState(rows);
  }

  /**
   * Called once per accepted update, in apply order (deps always before dependents), with its wire
   * bytes (the log's own copy: do not modify them).
   */
  onAccept(fn: (rec: UpdateRecord, bytes: Uint8Array) => void): void {
    this.acceptListeners.push(fn);
  }

  get size(): number {
    return this.table.size;
  }

  get pendingCount(): number {
    return this.pending.count;
  }

  get pendingBytes(): number {
    return this.pending.bytes;
  }

  get pendingPeak(): { count: number; bytes: number } {
    return { count: this.pending.peakCount, bytes: this.pending.peakBytes };
  }

  has(id: string): boolean {
    return this.table.findHex(id) >= 0;
  }

  get(id: string): UpdateRecord | undefined {
    const r = this.table.findHex(id);
    return r < 0 ? undefined : this.recordAt(r);
  }

  private recordAt(r: number): UpdateRecord {
    const t = this.table;
    return { id: t.idHex(r), row: r, author: this.authorList[t.author(r)]!, seq: t.seq(r), height: t.height(r), timestampMs: t.timestampMs(r) };
  }

  /**
   * The wire bytes of an accepted update: the log's copy, or its source's (a store read; undefined
   * if the store cannot answer).
   */
  bytesOf(id: string): Uint8Array | undefined {
    const r = this.table.findHex(id);
    return r < 0 ? undefined : this.bytesAt(r, id);
  }

  /** bytesOf for a row already found (`id`: its hex, when the caller has it). */
  private bytesAt(r: number, id = this.table.idHex(r)): Uint8Array | undefined {
    return this.kept !== null ? this.kept[r] : this.source!.bytesOf(id, this.table.height(r));
  }

  /** Accepted ids in no particular order. */
  *ids(): IterableIterator<string> {
    for (let r = 0; r < this.table.size; r++) yield this.table.idHex(r);
  }

  /** Gives back the columns' growth slack: for after a replay, which grew them without knowing the final size. */
  trimToSize(): void {
    this.table.trimToSize();
    this.state.trimToSize();
  }

  /** Dep ids that pending updates wait for and this log lacks (for sync to fetch). */
  wanted(max = 1024): string[] {
    return this.pending.wanted(max);
  }

  /** Wire bytes of the updates held pending. */
  pendingUpdates(): Uint8Array[] {
    return this.pending.values().map((u) => u.bytes);
  }

  /** Verdict of a previously rejected id, if still remembered (bounded cache). */
  rejectedCode(id: string): RejectCode | undefined {
    return this.rejected.get(id);
  }

  /** Validates and, when it can, applies one update (docs/PROTOCOL.md §5). */
  offer(bytes: Uint8Array, opts: OfferOptions = {}): Outcome {
    const { expectedId, signatureVerified = false, knownId, knownElement } = opts;
    let decoded: KnownIdUpdate;
    let signed: Uint8Array | undefined;
    try {
      if (signatureVerified && knownId !== undefined) decoded = decodeWithKnownId(bytes, knownId);
      else {
        const full = decodeUpdate(bytes);
        decoded = full;
        signed = full.signed;
      }
    } catch (err) {
      if (err instanceof DecodeError) return this.count({ status: 'rejected', id: null, code: err.code, reason: err.message });
      throw err;
    }
    const id = decoded.id;
    if (expectedId !== undefined && expectedId !== id) {
      return this.count({ status: 'rejected', id, code: RejectCode.BadId, reason: `bytes hash to ${id}, not the requested ${expectedId}` });
    }
    const idBytes = Buffer.from(id, 'hex');
    if (this.table.find(idBytes) >= 0 || this.pending.has(id)) {
      this.stats.duplicate++;
      return { status: 'duplicate', id };
    }
    const known = this.rejected.get(id);
    if (known !== undefined) return this.count({ status: 'rejected', id, code: known, reason: 'previously rejected' });
    const authorKey = toHex(decoded.author);
    if (!signatureVerified && !verifyStrict(decoded.author, signed!, decoded.signature, authorKey)) {
      return this.reject(id, RejectCode.BadSignature, 'signature does not verify under the strict Ed25519 rules');
    }
    const ops: DecodedOp[] = [];
    try {
      for (const op of decoded.ops) ops.push({ kind: op.kind, body: this.kinds.decode(op.kind, op.payload) });
    } catch (err) {
      if (err instanceof DecodeError) return this.reject(id, err.code, err.message);
      throw err;
    }
    const own = new Uint8Array(bytes); // the log's own copy (a Buffer's slice would share the caller's memory)
    // The deps as views of that copy (the decoder's are views of the caller's bytes).
    const depBytes = decoded.deps.map((d) => (d.buffer === bytes.buffer ? own.subarray(d.byteOffset - bytes.byteOffset, d.byteOffset - bytes.byteOffset + d.length) : d.slice()));
    const u: VerifiedUpdate = {
      id,
      idBytes,
      author: decoded.author,
      authorKey,
      seq: decoded.seq,
      timestampMs: decoded.timestampMs,
      deps: toHexEach(decoded.deps),
      depBytes,
      ops,
      bytes: own,
    };
    let missing: Set<string> | null = null;
    for (let k = 0; k < u.deps.length; k++) {
      if (this.table.find(u.depBytes[k]!) >= 0) continue;
      const dep = u.deps[k]!;
      if (this.rejected.has(dep)) return this.reject(id, RejectCode.DepRejected, `dep ${dep} was rejected`);
      (missing ??= new Set()).add(dep);
    }
    if (missing !== null) {
      const r = this.pending.add(id, u.authorKey, u, missing, bytes.length, (a) => this.authors.has(a));
      this.stats.pendingEvicted += r.evicted.length;
      if (r.held) this.stats.pendingHeld++;
      else this.stats.pendingRefused++;
      return { status: 'pending', id, missing: [...missing], held: r.held };
    }
    // The element is used only now (a pending update recomputes its own when released).
    return this.applyCascade(u, knownId === id && signatureVerified ? knownElement : undefined);
  }

  /** Applies `first`, then every pending update it releases; returns `first`'s outcome. */
  private applyCascade(first: VerifiedUpdate, element?: Uint8Array): Outcome {
    const firstRejection = this.apply(first, element);
    if (firstRejection !== null) return firstRejection;
    const released: string[] = [];
    const queue = this.pending.resolve(first.id).map((e) => e.value);
    for (let k = 0; k < queue.length; k++) {
      const u = queue[k]!;
      if (this.apply(u) === null) {
        released.push(u.id);
        for (const e of this.pending.resolve(u.id)) queue.push(e.value);
      }
    }
    return { status: 'accepted', id: first.id, released };
  }

  /** Causal checks and insertion of an update whose deps are all accepted. */
  private apply(u: VerifiedUpdate, element?: Uint8Array): Rejection | null {
    const t = this.table;
    let height = 0;
    let prev = -1;
    const depRows = u.depBytes.map((dep) => t.find(dep));
    const self = this.authors.get(u.authorKey);
    const own: number[] = [];
    let maxOwnSeq = 0;
    for (const d of depRows) {
      height = Math.max(height, t.height(d) + 1);
      if (self !== undefined && t.author(d) === self.number) {
        own.push(d);
        maxOwnSeq = Math.max(maxOwnSeq, t.seq(d));
      }
    }
    if (maxOwnSeq !== u.seq - 1) {
      return this.reject(u.id, RejectCode.BadSeq, `seq ${u.seq} but the highest own dep has seq ${maxOwnSeq} (must be ${u.seq - 1})`);
    }
    for (const d of own) if (t.seq(d) === u.seq - 1 && (prev < 0 || t.compareIds(d, prev) < 0)) prev = d;
    const doc = this.docs.check(u.authorKey, prev < 0 ? undefined : t.idHex(prev), u.ops);
    if ('code' in doc) return this.reject(u.id, doc.code, doc.reason);
    this.docs.record(u.id, doc.clocks);
    const author = self ?? this.authorState(u.authorKey);
    if (u.ops.some((op) => op.kind === KIND_DOC)) this.noteDocClient(author);
    const r = t.add(u.idBytes, height, u.seq, author.number, u.timestampMs);
    this.kept?.push(u.bytes);
    this.indexSeq(author, u.seq, r);
    for (const d of own) author.heads.delete(d);
    author.heads.add(r);
    for (const d of depRows) this.heads.delete(d);
    this.heads.add(r);
    this.state.add(r, u.ops);
    let identityOps = false;
    u.ops.forEach((op, index) => {
      if (op.kind !== KIND_IDENTITY) return;
      this.identities.add({ id: u.id, index, author: u.authorKey, seq: u.seq, height, deps: u.deps, op: op.body as IdentityOp });
      identityOps = true;
    });
    if (identityOps) this.recomputeIdentities();
    this.setHash.add(u.id, element);
    this.frontierCache = null;
    this.stats.accepted++;
    if (this.acceptListeners.length > 0) {
      const rec = this.recordAt(r);
      for (const fn of this.acceptListeners) fn(rec, u.bytes);
    }
    return null;
  }

  /**
   * Records that `author` wrote a doc op under its client id. A second key under the same id (a key
   * ground to collide, or bad luck at 2^-52) excludes the doc ops of every key under it, whichever
   * arrived first: Yjs would keep whichever (client, clock) struct it saw first, so replicas would
   * diverge. A set rule, so every node agrees.
   */
  private noteDocClient(author: AuthorState): void {
    const client = this.docs.clientOf(author.key);
    const keys = this.docClients.get(client);
    if (keys === undefined) this.docClients.set(client, [author.key]);
    else if (!keys.includes(author.key)) {
      keys.push(author.key);
      keys.sort();
      for (const k of keys) this.authors.get(k)!.docsExcluded = true;
    }
  }

  /** Client-id collisions, by client id: checkable by anyone from the keys alone. */
  clientIdCollisions(): ClientIdCollision[] {
    return [...this.docClients]
      .filter(([, keys]) => keys.length > 1)
      .sort((a, b) => a[0] - b[0])
      .map(([clientId, authors]) => ({ clientId, authors: [...authors] }));
  }

  private indexSeq(author: AuthorState, seq: number, r: number): void {
    if (author.addRow(seq, r)) return;
    const rows = author.forks.get(seq) ?? [author.rowAt(seq)];
    rows.push(r);
    rows.sort((a, b) => this.table.compareIds(a, b));
    author.forks.set(seq, rows);
    this.evidenceCache = null;
    author.equivocatedFrom = Math.min(author.equivocatedFrom, seq);
    if (this.identities.size > 0) {
      this.identities.invalidate();
      this.recomputeIdentities();
    }
  }

  /**
   * The identity `key` belongs to (PROTOCOL.md §6a): its chain of keys, root first, each with its
   * state, and the revocations and successions that name any of them (void ones with why).
   */
  identity(key: string) {
    const chain = this.identities.chainOf(key);
    const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
    const keys = new Set(chain);
    return {
      key,
      identity: chain[0]!,
      chain: chain.map((k) => {
        const a = this.authors.get(k);
        const equivocatedFrom = a?.equivocatedFrom ?? Infinity;
        const revokedAfter = this.identities.revokedAfter.get(k) ?? Infinity;
        const rotatedAt = this.identities.rotatedAt.get(k) ?? Infinity;
        const state = equivocatedFrom < Infinity ? 'equivocated' : revokedAfter < Infinity ? 'revoked' : rotatedAt < Infinity ? 'rotated' : 'active';
        return { key: k, state, maxSeq: a?.maxSeq ?? 0, equivocatedFrom: fin(equivocatedFrom), revokedAfter: fin(revokedAfter), rotatedAt: fin(rotatedAt) };
      }),
      revocations: this.identities.revocations.filter((r) => keys.has(r.key) || keys.has(r.by)),
      successions: this.identities.successions.filter((s) => keys.has(s.oldKey) || keys.has(s.newKey)),
    };
  }

  /** Re-derives the identity book and applies its cut-offs to the authors whose cut-offs changed. */
  private recomputeIdentities(): void {
    const t = this.table;
    const touched = this.identities.recompute({
      authorities: this.authoritySet,
      isAncestor: (a, b) => this.isAncestor(a, b),
      find: (id) => {
        const r = t.findHex(id);
        return r < 0 ? undefined : { author: this.authorList[t.author(r)]!.key, seq: t.seq(r) };
      },
      equivocatedFrom: (key) => this.authors.get(key)?.equivocatedFrom ?? Infinity,
    });
    for (const k of touched) {
      const a = this.authors.get(k);
      if (a !== undefined) this.applyIdentity(a);
    }
  }

  private applyIdentity(a: AuthorState): void {
    a.revokedAfter = this.identities.revokedAfter.get(a.key) ?? Infinity;
    a.rotatedAt = this.identities.rotatedAt.get(a.key) ?? Infinity;
  }

  private authorState(key: string): AuthorState {
    let a = this.authors.get(key);
    if (a === undefined) {
      a = new AuthorState(key, this.authorList.length);
      this.authors.set(key, a);
      this.authorList.push(a);
      this.applyIdentity(a);
    }
    return a;
  }

  private reject(id: string, code: RejectCode, reason: string): Rejection {
    const out = this.count({ status: 'rejected', id, code, reason });
    const queue = [id];
    for (let k = 0; k < queue.length; k++) {
      const bad = queue[k]!;
      if (this.rejected.size >= REJECTED_CACHE_MAX_ENTRIES) this.rejected.delete(this.rejected.keys().next().value!);
      this.rejected.set(bad, k === 0 ? code : RejectCode.DepRejected);
      for (const e of this.pending.dropWaiters(bad)) {
        this.count({ status: 'rejected', id: e.id, code: RejectCode.DepRejected, reason: `dep ${bad} was rejected` });
        queue.push(e.id);
      }
    }
    return out;
  }

  private count(r: Rejection): Rejection {
    this.stats.rejected[r.code] = (this.stats.rejected[r.code] ?? 0) + 1;
    return r;
  }

  /** Heads of the whole DAG, best first (highest, then lowest id), at most `max`. */
  frontier(max = MAX_DEPS): string[] {
    const t = this.table;
    this.frontierCache ??= [...this.heads].sort((a, b) => t.height(b) - t.height(a) || t.compareIds(a, b)).map((r) => t.idHex(r));
    return this.frontierCache.slice(0, max);
  }

  /**
   * Whether `ancestor` is in the causal past of `id` (or is `id`). Walks deps back from `id`,
   * never below the ancestor's height, reading each update's deps from its bytes (a store read
   * where the log keeps none): for rare queries (registry ownership), not hot paths.
   */
  isAncestor(ancestor: string, id: string): boolean {
    const t = this.table;
    const target = t.findHex(ancestor);
    const start = t.findHex(id);
    if (target < 0 || start < 0) return false;
    const floor = t.height(target);
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      if (cur === target) return true;
      const bytes = this.bytesAt(cur);
      if (bytes === undefined) continue;
      for (const d of depsOf(bytes)) {
        const dep = t.find(d);
        if (dep >= 0 && t.height(dep) >= floor && !seen.has(dep)) {
          seen.add(dep);
          stack.push(dep);
        }
      }
    }
    return false;
  }

  /** Heads per author: the author's accepted updates with no accepted own successor. */
  authorHeads(author: string): { seq: number; id: string }[] {
    const a = this.authors.get(author);
    if (a === undefined) return [];
    const t = this.table;
    return [...a.heads].sort((x, y) => t.seq(x) - t.seq(y) || t.compareIds(x, y)).map((r) => ({ seq: t.seq(r), id: t.idHex(r) }));
  }

  /** Accepted records in a topological order: (height, id). Deps always come first. */
  inOrder(): UpdateRecord[] {
    const t = this.table;
    const rows = Array.from({ length: t.size }, (_, r) => r).sort((a, b) => t.height(a) - t.height(b) || t.compareIds(a, b));
    return rows.map((r) => this.recordAt(r));
  }

  authorKeys(): string[] {
    return [...this.authors.keys()].sort();
  }

  /**
   * Equivocation evidence: for every (author, seq) with several updates, the two lowest ids. The
   * signed headers are read from the updates' bytes; an answer with a store read that failed is
   * not cached, so the next call tries again.
   */
  evidence(): readonly EquivocationEvidence[] {
    if (this.evidenceCache !== null) return this.evidenceCache;
    const out: EquivocationEvidence[] = [];
    let complete = true;
    for (const author of this.authorKeys()) {
      const a = this.authors.get(author)!;
      if (a.equivocatedFrom === Infinity) continue;
      for (const [seq, rows] of [...a.forks].sort((x, y) => x[0] - y[0])) {
        const [x, y] = rows.slice(0, 2).map((r) => this.bytesAt(r));
        if (x === undefined || y === undefined) complete = false;
        else out.push({ author, seq, a: signedHeaderOf(x), b: signedHeaderOf(y) });
      }
    }
    if (complete) this.evidenceCache = out;
    return out;
  }

  /**
   * State digest of the set of accepted ids (docs/PROTOCOL.md §7): LtHash16 over the ids, kept
   * incrementally. Equal on every node holding the same set of updates, whatever the order they
   * came in; the derived state is a function of that set.
   */
  digest(): string {
    return this.setHash.digest();
  }
}

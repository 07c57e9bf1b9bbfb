import { fromHex, ShareOf, toHex } from '../../crdt/index.js';
import { addRings, applyMasks, pairwiseSeed, seedCommit, shamirCombine, shareCommit, x25519Public, x25519Shared, type Mask, type Share } from '../../kernels/index.js';
import { droppedToRecover, type CloseState, type RosterState, type RoundState } from './round.js';

/** Why a round's secure sum is not available (typed; docs/API.md). */
export enum SecAggFailure {
  /** No roster by the coordinator is valid yet. */
  NoRoster = 'no-roster',
  /** No valid close yet. */
  NoClose = 'no-close',
  /** Fewer than threshold verified shares for a secret the sum needs: past the dropout tolerance (or still waiting). */
  InsufficientShares = 'insufficient-shares',
  /** Threshold verified shares recombine to something other than what the dealer committed to. */
  BadDealing = 'bad-dealing',
}

export interface SecureSum {
  readonly roster: string;
  readonly close: string;
  readonly survivors: readonly number[];
  /** Non-survivors whose mask keys were recovered to cancel their pairwise masks. */
  readonly recovered: readonly number[];
  /** The sum of the survivors' fixed-point inputs (and noise shares), in Z_2^32 read as int32. */
  readonly sum: Int32Array;
}

export interface CloseFailure {
  readonly roster: string;
  readonly close: string;
  readonly reason: SecAggFailure;
  readonly detail: readonly { member: number; of: 'self-mask' | 'mask-key'; have: number; need: number }[];
}

/** The verified shares of `dealer`'s secret `of` that answers to `close` reveal: checked against the dealer's commitments, one per holder. */
function sharesFor(r: RosterState, close: CloseState, dealer: number, of: ShareOf): Share[] {
  const dealt = r.shares.get(dealer)!;
  const roster = fromHex(r.id);
  const byHolder = new Map<number, Share>();
  const memberOf = new Map(r.members.map((m) => [m.author, m.index]));
  for (const rev of close.reveals) {
    const holder = memberOf.get(rev.author)!;
    const slot = r.graph[dealer]!.indexOf(holder);
    if (slot < 0 || byHolder.has(holder)) continue;
    const entry = dealt.entries[slot]!;
    for (const e of rev.entries) {
      if (e.dealer !== dealer || e.of !== of) continue;
      const want = of === ShareOf.SelfMask ? entry.selfMaskCommit : entry.maskKeyCommit;
      if (toHex(shareCommit(roster, dealer, holder, of, e.share)) === toHex(want)) byHolder.set(holder, { x: slot + 1, y: e.share });
    }
  }
  return [...byHolder.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
}

function int32s(data: Uint8Array): Int32Array {
  const aligned = data.byteOffset % 4 === 0 ? data : new Uint8Array(data); // a copy, aligned at 0
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

/** Unmasks one close, or says why it cannot (yet). Pure: a function of the round's ops. */
export function unmaskClose(r: RosterState, close: CloseState): SecureSum | CloseFailure {
  const t = r.config.threshold;
  const roster = fromHex(r.id);
  const recovered = droppedToRecover(r, close.survivors);
  const missing: CloseFailure['detail'][number][] = [];
  const seeds = new Map<number, Uint8Array>();
  const keys = new Map<number, Uint8Array>();
  const fail = (reason: SecAggFailure, detail: CloseFailure['detail']): CloseFailure => ({ roster: r.id, close: close.id, reason, detail });
  for (const [list, of, out] of [[close.survivors, ShareOf.SelfMask, seeds], [recovered, ShareOf.MaskKey, keys]] as const) {
    for (const d of list) {
      const shares = sharesFor(r, close, d, of);
      if (shares.length < t) missing.push({ member: d, of: of === ShareOf.SelfMask ? 'self-mask' : 'mask-key', have: shares.length, need: t });
      else out.set(d, shamirCombine(shares.slice(0, t)));
    }
  }
  if (missing.length > 0) return fail(SecAggFailure.InsufficientShares, missing);
  for (const [d, b] of seeds) {
    if (toHex(seedCommit(roster, d, b)) !== toHex(r.shares.get(d)!.seedCommit)) return fail(SecAggFailure.BadDealing, [{ member: d, of: 'self-mask', have: t, need: t }]);
  }
  for (const [u, sk] of keys) {
    if (toHex(x25519Public(sk)) !== toHex(r.members[u]!.maskPk)) return fail(SecAggFailure.BadDealing, [{ member: u, of: 'mask-key', have: t, need: t }]);
  }
  const sum = new Int32Array(r.config.dimension);
  addRings(sum, close.survivors.flatMap((v) => r.masked.get(v)!.slices.map((s) => ({ words: int32s(s.data), at: s.offset }))));
  const masks: Mask[] = close.survivors.map((v) => ({ seed: seeds.get(v)!, sign: -1 }));
  for (const u of recovered) {
    for (const v of close.survivors) {
      if (!r.masked.get(v)!.included.includes(u)) continue;
      const shared = x25519Shared(keys.get(u)!, r.members[v]!.maskPk)!;
      // v added +mask when v < u, -mask when v > u (participant.ts): take it back out.
      masks.push({ seed: pairwiseSeed(shared, roster, u, v), sign: v < u ? -1 : 1 });
    }
  }
  applyMasks(sum, masks, 0);
  return { roster: r.id, close: close.id, survivors: close.survivors, recovered, sum };
}

/**
 * The round's secure sum: valid closes are tried in a fixed order (most survivors first, then
 * lowest close id) and the first that unmasks is the round's result, so concurrent closes (a
 * partition, a faulty coordinator) still give every node the same answer once they hold the same
 * ops. Returns the result, or every close's failure.
 */
export function secureSum(state: RoundState): { result: SecureSum | null; failures: CloseFailure[]; reason: SecAggFailure | null } {
  if (state.rosters.length === 0) return { result: null, failures: [], reason: SecAggFailure.NoRoster };
  const closes = state.rosters
    .flatMap((r) => r.closes.filter((c) => c.problem === null).map((c) => ({ r, c })))
    .sort((a, b) => b.c.survivors.length - a.c.survivors.length || (a.c.id < b.c.id ? -1 : 1));
  if (closes.length === 0) return { result: null, failures: [], reason: SecAggFailure.NoClose };
  const failures: CloseFailure[] = [];
  for (const { r, c } of closes) {
    const out = unmaskClose(r, c);
    if ('sum' in out) return { result: out, failures, reason: null };
    failures.push(out);
  }
  return { result: null, failures, reason: failures[0]!.reason };
}

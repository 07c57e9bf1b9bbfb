import { randomBytes } from 'node:crypto';
import { fromHex, KIND_SECAGG, SecAggType, ShareOf, MAX_SECAGG_SLICE, noiseBound, noiseShareStd, toHex, type OpInput, type RevealEntry, type SecAggConfig, type SecAggOp, type ShareEntry } from '../../crdt/index.js';
import { applyMasks, discreteGaussianVector, openShares, pairwiseSeed, sealShares, seedCommit, shamirRandomBytes, shamirSplit, shareCommit, shareKey, x25519Public, x25519Shared, type Mask } from '../../kernels/index.js';
import { ConfigError } from '../errors.js';
import { droppedToRecover, type RosterState, type RoundState } from './round.js';
import { loadState, saveState, seededBytes, statePath, type SecretState } from './secret-state.js';
import type { ContributorAccountant } from '../contributor/private-delta.js';

/** Coordinates per masked slice (one update each): 512 KiB, as plain deltas. */
export const SECAGG_SLICE_COORDS = 128 * 1024;

/** Clips `values` to L2 norm clipNorm and quantizes to round(x * 2^scaleBits): a member's plain fixed-point input. */
export function fixedPointInput(values: Float32Array, c: SecAggConfig): Int32Array {
  let sq = 0;
  for (const v of values) sq += v * v;
  const norm = Math.sqrt(sq);
  const factor = norm > c.clipNorm ? c.clipNorm / norm : 1;
  const scale = 2 ** c.scaleBits;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i]! * factor * scale);
  return out;
}

export interface ParticipantOptions {
  keyPath: string;
  author: string;
  stream: string;
  round: number;
  config: SecAggConfig;
  values: Float32Array;
  /** How long to wait for every neighbour's shares before masking without the missing ones. */
  shareWaitMs: number;
  random?: (n: number) => Uint8Array;
  /**
   * The contributor's own accountant: with distributed noise (config.noiseStd > 0), each round is
   * charged to the stream's budget before the masked vector is signed, as the central guarantee
   * the sum carries (std >= noiseStd whenever threshold honest members survive) at sensitivity
   * clipNorm; past the budget nothing more is signed (KernelError budget-exceeded).
   */
  accountant?: ContributorAccountant;
}

const op = (body: SecAggOp): OpInput => ({ kind: KIND_SECAGG, body });

/**
 * One member's side of a SecAgg+ round (docs/PRIVACY.md): `step` looks at the round's public
 * state and returns the updates (op lists) to sign next, having first recorded on disk every
 * secret and decision they depend on. Secrets come from the CSPRNG; no stage is signed twice; and
 * the member answers exactly one close, so it never reveals both the self-mask share and the
 * mask-key share of one neighbour.
 */
export class SecAggParticipant {
  private readonly path: string;
  private s: SecretState;
  private rosterSeenMs: number | null = null;

  constructor(private readonly o: ParticipantOptions) {
    if (o.values.length !== o.config.dimension) throw new ConfigError('values', `${o.config.dimension} coordinates (the round's dimension)`, `${o.values.length}`);
    const random = o.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    this.path = statePath(o.keyPath, o.stream, o.round);
    this.s = loadState(this.path, o.author, o.stream, o.round) ?? {
      version: 1,
      stream: o.stream,
      round: o.round,
      author: o.author,
      encSk: toHex(random(32)),
      maskSk: toHex(random(32)),
      seed: toHex(random(32)),
      noiseSeed: toHex(random(32)),
      sent: { keys: false, shares: false, masked: false, reveal: false },
      roster: null,
      included: null,
      close: null,
    };
    this.random = random;
  }

  private readonly random: (n: number) => Uint8Array;

  get done(): boolean {
    return this.s.sent.reveal;
  }

  get state(): Readonly<SecretState> {
    return this.s;
  }

  private commit(change: Partial<SecretState>): void {
    this.s = { ...this.s, ...change, sent: { ...this.s.sent, ...(change.sent ?? {}) } };
    saveState(this.path, this.s);
  }

  /** The updates to sign now (each an op list), and what the member waits for otherwise. */
  step(state: RoundState, nowMs: number): { updates: OpInput[][]; waiting: string | null } {
    const base = { stream: this.o.stream, round: this.o.round };
    if (!this.s.sent.keys) {
      this.commit({ sent: { ...this.s.sent, keys: true } });
      const keys = { ...base, type: SecAggType.Keys, config: this.o.config, encPk: x25519Public(fromHex(this.s.encSk)), maskPk: x25519Public(fromHex(this.s.maskSk)) } as const;
      return { updates: [[op(keys)]], waiting: null };
    }
    const r = this.roster(state);
    if (r === null) return { updates: [], waiting: 'roster' };
    this.rosterSeenMs ??= nowMs;
    const me = r.members.find((m) => m.author === this.o.author)!.index;
    if (!this.s.sent.shares) {
      this.commit({ sent: { ...this.s.sent, shares: true } });
      return { updates: [[op(this.shares(r, me))]], waiting: null };
    }
    if (!this.s.sent.masked) {
      const held = this.heldShares(r, me);
      const all = r.graph[me]!.every((v) => held.has(v));
      if (!all && nowMs - this.rosterSeenMs < this.o.shareWaitMs) return { updates: [], waiting: 'shares' };
      const included = [...held.keys()].sort((a, b) => a - b);
      const c = this.o.config;
      if (c.noiseStd > 0) this.o.accountant?.charge(`secagg:${this.o.stream}`, { clipNorm: c.clipNorm, noiseMultiplier: c.noiseStd / c.clipNorm });
      this.commit({ included, sent: { ...this.s.sent, masked: true } });
      return { updates: this.masked(r, me, included).map((m) => [op(m)]), waiting: null };
    }
    if (this.s.sent.reveal) return { updates: [], waiting: null };
    const close = this.s.close !== null ? r.closes.find((c) => c.id === this.s.close) : r.closes.find((c) => c.problem === null);
    if (close === undefined || close.problem !== null) return { updates: [], waiting: 'close' };
    this.commit({ close: close.id, sent: { ...this.s.sent, reveal: true } });
    const survivors = new Set(close.survivors);
    const dropped = new Set(droppedToRecover(r, close.survivors));
    const entries: RevealEntry[] = [];
    for (const [dealer, pair] of [...this.heldShares(r, me)].sort((a, b) => a[0] - b[0])) {
      if (survivors.has(dealer)) entries.push({ dealer, of: ShareOf.SelfMask, share: pair.selfMask });
      else if (dropped.has(dealer)) entries.push({ dealer, of: ShareOf.MaskKey, share: pair.maskKey });
    }
    return { updates: [[op({ ...base, type: SecAggType.Reveal, roster: r.id, close: close.id, entries })]], waiting: null };
  }

  /** The roster this member follows: the one recorded, else the first valid one listing its keys op (then recorded). */
  private roster(state: RoundState): RosterState | null {
    if (this.s.roster !== null) return state.rosters.find((r) => r.id === this.s.roster) ?? null;
    const r = state.rosters.find((x) => x.members.some((m) => m.author === this.o.author));
    if (r === undefined) return null;
    this.commit({ roster: r.id });
    return r;
  }

  private shares(r: RosterState, me: number): SecAggOp {
    const t = r.config.threshold;
    const nb = r.graph[me]!;
    const xs = nb.map((_, j) => j + 1);
    const seed = fromHex(this.s.seed);
    const maskSk = fromHex(this.s.maskSk);
    const b = shamirSplit(seed, t, xs, this.random(shamirRandomBytes(32, t)));
    const s = shamirSplit(maskSk, t, xs, this.random(shamirRandomBytes(32, t)));
    const roster = fromHex(r.id);
    const encSk = fromHex(this.s.encSk);
    const entries: ShareEntry[] = nb.map((v, j) => {
      const key = shareKey(x25519Shared(encSk, r.members[v]!.encPk)!, roster, me, v);
      const plain = new Uint8Array(64);
      plain.set(b[j]!.y);
      plain.set(s[j]!.y, 32);
      return { holder: v, ciphertext: sealShares(key, plain), selfMaskCommit: shareCommit(roster, me, v, ShareOf.SelfMask, b[j]!.y), maskKeyCommit: shareCommit(roster, me, v, ShareOf.MaskKey, s[j]!.y) };
    });
    return { stream: this.o.stream, round: this.o.round, type: SecAggType.Shares, roster: r.id, seedCommit: seedCommit(roster, me, seed), entries };
  }

  /** The shares neighbours dealt to this member that decrypt and match their commitments, by dealer. */
  private heldShares(r: RosterState, me: number): Map<number, { selfMask: Uint8Array; maskKey: Uint8Array }> {
    const out = new Map<number, { selfMask: Uint8Array; maskKey: Uint8Array }>();
    const roster = fromHex(r.id);
    const encSk = fromHex(this.s.encSk);
    for (const d of r.graph[me]!) {
      const dealt = r.shares.get(d);
      const entry = dealt?.entries.find((e) => e.holder === me);
      if (entry === undefined) continue;
      const shared = x25519Shared(encSk, r.members[d]!.encPk);
      const plain = shared === null ? null : openShares(shareKey(shared, roster, d, me), entry.ciphertext);
      if (plain === null || plain.length !== 64) continue;
      const selfMask = plain.subarray(0, 32);
      const maskKey = plain.subarray(32);
      if (toHex(shareCommit(roster, d, me, ShareOf.SelfMask, selfMask)) !== toHex(entry.selfMaskCommit)) continue;
      if (toHex(shareCommit(roster, d, me, ShareOf.MaskKey, maskKey)) !== toHex(entry.maskKeyCommit)) continue;
      out.set(d, { selfMask, maskKey });
    }
    return out;
  }

  /** y = q + noise + PRG(b) + sum over included v of (me < v ? +1 : -1) PRG(s_me,v), sliced. */
  private masked(r: RosterState, me: number, included: number[]): SecAggOp[] {
    const c = r.config;
    const y = fixedPointInput(this.o.values, c);
    if (c.noiseStd > 0) {
      const clamp = noiseBound(c);
      const noise = discreteGaussianVector(c.dimension, noiseShareStd(c), seededBytes(fromHex(this.s.noiseSeed)));
      for (let i = 0; i < y.length; i++) y[i] = (y[i]! + Math.max(-clamp, Math.min(clamp, noise[i]!))) | 0;
    }
    const maskSk = fromHex(this.s.maskSk);
    const roster = fromHex(r.id);
    const masks: Mask[] = [{ seed: fromHex(this.s.seed), sign: 1 }];
    for (const v of included) masks.push({ seed: pairwiseSeed(x25519Shared(maskSk, r.members[v]!.maskPk)!, roster, me, v), sign: me < v ? 1 : -1 });
    applyMasks(y, masks, 0);
    const out: SecAggOp[] = [];
    const per = Math.min(SECAGG_SLICE_COORDS, MAX_SECAGG_SLICE);
    for (let offset = 0; offset < c.dimension; offset += per) {
      const part = y.subarray(offset, Math.min(c.dimension, offset + per));
      const data = new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
      out.push({ stream: this.o.stream, round: this.o.round, type: SecAggType.Masked, roster: r.id, included, offset, count: part.length, data });
    }
    return out;
  }
}

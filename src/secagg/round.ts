import { fromHex, SecAggType, sameConfig, type SecAggClose, type SecAggConfig, type SecAggKeys, type SecAggMasked, type SecAggReveal, type SecAggShares, type SecAggView } from '../../crdt/index.js';
import { isUsableX25519, neighbourGraph } from '../../kernels/index.js';

/**
 * The public state of a secure-aggregation round, derived from its signed ops alone (so every
 * honest node holding the same ops derives the same state). The validity rules are those of
 * docs/PROTOCOL.md §4 (kind 5); an op that breaks one is left out with a reason, never thrown.
 */

type Provenance = { updateId: string; author: string };
export type View<T> = T & Provenance;

export interface Member {
  readonly index: number;
  readonly keysId: string;
  readonly author: string;
  readonly encPk: Uint8Array;
  readonly maskPk: Uint8Array;
}

/** A member's masked vector: its slices (by offset) and the neighbours it declares. */
export interface MaskedVector {
  readonly included: readonly number[];
  readonly slices: readonly View<SecAggMasked>[];
  readonly complete: boolean;
}

export interface CloseState {
  readonly id: string;
  readonly survivors: readonly number[];
  /** Null when valid; else why the close cannot be acted on. */
  readonly problem: string | null;
  readonly reveals: readonly View<SecAggReveal>[];
}

export interface RosterState {
  readonly id: string;
  readonly config: SecAggConfig;
  readonly members: readonly Member[];
  /** Neighbours of each member, ascending. */
  readonly graph: readonly (readonly number[])[];
  /** Effective degree: min(k, members - 1). */
  readonly degree: number;
  readonly shares: ReadonlyMap<number, View<SecAggShares>>;
  readonly masked: ReadonlyMap<number, MaskedVector>;
  readonly closes: readonly CloseState[];
}

export interface RoundState {
  readonly stream: string;
  readonly round: number;
  readonly keys: readonly View<SecAggKeys>[];
  readonly rosters: readonly RosterState[];
  /** Rosters that cannot be used (or are waiting for their members' keys ops), with why. */
  readonly rejectedRosters: readonly { id: string; problem: string }[];
  /** Ops left out of the round, with why. */
  readonly ignored: readonly { updateId: string; type: string; problem: string }[];
}

function groupByUpdate<T extends { updateId: string }>(ops: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const o of ops) {
    const l = m.get(o.updateId);
    if (l === undefined) m.set(o.updateId, [o]);
    else l.push(o);
  }
  return m;
}

/** Ops of one type that are the only op of that type and round in their update (so the update id names them). */
function unique<T>(ops: readonly SecAggView[], type: SecAggType, ignored: RoundState['ignored'][number][]): View<T>[] {
  const out: View<T>[] = [];
  for (const [id, list] of groupByUpdate(ops.filter((o) => o.type === type))) {
    if (list.length === 1) out.push(list[0] as unknown as View<T>);
    else ignored.push({ updateId: id, type: SecAggType[type], problem: 'an update carries two ops of this type for one round' });
  }
  return out;
}

function rosterProblem(config: SecAggConfig, members: readonly Member[], author: string): string | null {
  if (author !== config.coordinator) return `signed by ${author}, not the config's coordinator ${config.coordinator}`;
  if (members.length > config.maxMembers) return `${members.length} members exceed maxMembers ${config.maxMembers}`;
  if (new Set(members.map((m) => m.author)).size !== members.length) return 'a member author appears twice';
  const degree = Math.min(config.neighbours, members.length - 1);
  if (config.threshold > degree || 2 * config.threshold <= degree) return `threshold ${config.threshold} must be more than half of, and at most, the degree ${degree}`;
  if (members.some((m) => !isUsableX25519(m.encPk) || !isUsableX25519(m.maskPk))) return 'a member key is a low-order X25519 point';
  return null;
}

function assembleMasked(roster: { config: SecAggConfig; graph: readonly (readonly number[])[] }, slices: View<SecAggMasked>[], shares: ReadonlyMap<number, unknown>, dealer: number): MaskedVector | string {
  const included = slices[0]!.included;
  const key = included.join(',');
  if (slices.some((s) => s.included.join(',') !== key)) return 'slices declare different included sets';
  const nb = new Set(roster.graph[dealer]);
  if (included.some((v) => !nb.has(v) || !shares.has(v))) return 'included names a non-neighbour, or a neighbour without a shares op';
  const sorted = [...slices].sort((a, b) => a.offset - b.offset || (a.updateId < b.updateId ? -1 : 1));
  let next = 0;
  let gap = false;
  for (const s of sorted) {
    if (s.offset < next) return 'slices overlap';
    if (s.offset > next) gap = true;
    next = s.offset + s.count;
  }
  if (next > roster.config.dimension) return `slices end at ${next}, past dimension ${roster.config.dimension}`;
  return { included, slices: sorted, complete: !gap && next === roster.config.dimension };
}

function closeProblem(r: Omit<RosterState, 'closes'>, c: View<SecAggClose>): string | null {
  if (c.author !== r.config.coordinator) return 'not signed by the coordinator';
  if (c.survivors.length < r.config.threshold) return `${c.survivors.length} survivors, fewer than threshold ${r.config.threshold}`;
  const s = new Set(c.survivors);
  for (const v of c.survivors) {
    if (v >= r.members.length) return `survivor ${v} is not a member`;
    const m = r.masked.get(v);
    if (m === undefined || !m.complete) return `survivor ${v} has no complete masked vector`;
    for (const u of r.graph[v]!) {
      if (!s.has(u)) continue;
      if (m.included.includes(u) !== r.masked.get(u)!.included.includes(v)) return `survivors ${v} and ${u} disagree on their pairwise mask`;
    }
  }
  return null;
}

/** Derives the round's state from its ops (any order: everything is sorted by id). */
export function roundState(stream: string, round: number, opsIn: readonly SecAggView[]): RoundState {
  const ignored: RoundState['ignored'][number][] = [];
  const ops = [...opsIn].sort((a, b) => (a.updateId < b.updateId ? -1 : a.updateId > b.updateId ? 1 : 0));
  const keys = unique<SecAggKeys>(ops, SecAggType.Keys, ignored);
  const keysById = new Map(keys.map((k) => [k.updateId, k]));
  const rosters: RosterState[] = [];
  const rejectedRosters: { id: string; problem: string }[] = [];
  for (const ro of unique<{ type: SecAggType.Roster; members: string[] } & SecAggView>(ops, SecAggType.Roster, ignored)) {
    const keyOps = ro.members.map((id) => keysById.get(id));
    if (keyOps.some((k) => k === undefined)) {
      rejectedRosters.push({ id: ro.updateId, problem: 'waiting for a member keys op' });
      continue;
    }
    const config = keyOps[0]!.config;
    if (keyOps.some((k) => !sameConfig(k!.config, config))) {
      rejectedRosters.push({ id: ro.updateId, problem: 'members joined under different configs' });
      continue;
    }
    const members = keyOps.map((k, index) => ({ index, keysId: k!.updateId, author: k!.author, encPk: k!.encPk, maskPk: k!.maskPk }));
    const problem = rosterProblem(config, members, ro.author);
    if (problem !== null) {
      rejectedRosters.push({ id: ro.updateId, problem });
      continue;
    }
    const graph = neighbourGraph(members.length, config.neighbours, fromHex(ro.updateId));
    const memberOf = new Map(members.map((m) => [m.author, m.index]));
    const mine = (t: SecAggType) => ops.filter((o) => o.type === t && (o as { roster?: string }).roster === ro.updateId && memberOf.has(o.author));
    const shares = new Map<number, View<SecAggShares>>();
    const twice = new Set<number>();
    for (const s of unique<SecAggShares>(mine(SecAggType.Shares), SecAggType.Shares, ignored)) {
      const dealer = memberOf.get(s.author)!;
      const want = graph[dealer]!.join(',');
      if (s.entries.map((e) => e.holder).join(',') !== want) ignored.push({ updateId: s.updateId, type: 'Shares', problem: 'entries are not exactly the dealer\'s neighbours' });
      else if (shares.has(dealer)) twice.add(dealer);
      else shares.set(dealer, s);
    }
    for (const d of twice) shares.delete(d); // two share sets from one dealer: neither counts
    const slicesBy = new Map<number, View<SecAggMasked>[]>();
    for (const m of mine(SecAggType.Masked) as View<SecAggMasked>[]) {
      const d = memberOf.get(m.author)!;
      if (!shares.has(d)) continue; // a member without shares cannot be recovered if it drops
      const l = slicesBy.get(d);
      if (l === undefined) slicesBy.set(d, [m]);
      else l.push(m);
    }
    const masked = new Map<number, MaskedVector>();
    for (const [d, slices] of slicesBy) {
      const mv = assembleMasked({ config, graph }, slices, shares, d);
      if (typeof mv === 'string') ignored.push({ updateId: slices[0]!.updateId, type: 'Masked', problem: mv });
      else masked.set(d, mv);
    }
    const base = { id: ro.updateId, config, members, graph, degree: Math.min(config.neighbours, members.length - 1), shares, masked };
    const reveals = mine(SecAggType.Reveal) as View<SecAggReveal>[];
    const closes = unique<SecAggClose>(ops.filter((o) => o.type === SecAggType.Close && (o as SecAggClose).roster === ro.updateId), SecAggType.Close, ignored).map((c) => ({
      id: c.updateId,
      survivors: c.survivors,
      problem: closeProblem(base, c),
      reveals: reveals.filter((r) => r.close === c.updateId),
    }));
    rosters.push({ ...base, closes });
  }
  return { stream, round, keys, rosters, rejectedRosters, ignored };
}

/** Members a survivor set obliges to recover a mask key for: non-survivors some survivor masked against. */
export function droppedToRecover(r: RosterState, survivors: readonly number[]): number[] {
  const s = new Set(survivors);
  const out = new Set<number>();
  for (const v of survivors) for (const u of r.masked.get(v)!.included) if (!s.has(u)) out.add(u);
  return [...out].sort((a, b) => a - b);
}

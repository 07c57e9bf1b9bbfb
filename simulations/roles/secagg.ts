import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecAggType, ShareOf, type OpInput, type SecAggConfig, type SecAggOp, type SecAggReveal } from '../../crdt/index.js';
import { SecAggAggregates } from '../../src/aggregates/secagg-aggregate.js';
import { SecAggCoordinator } from '../../src/secagg/coordinator.js';
import { fixedPointInput, SecAggParticipant } from '../../src/secagg/participant.js';
import { roundState } from '../../src/secagg/round.js';
import type { MurmurNode } from '../../src/node.js';
import type { Prng } from '../rng.js';
import type { SecAggSpec } from '../scenario.js';
import { Contributor } from './contributor.js';

/** How often a member looks at its node's view of the round. */
const SECAGG_TICK_MS = 100;
const PHASES = ['keys', 'shares', 'masked', 'reveal'] as const;

export interface SecAggMember {
  node: number;
  c: Contributor;
  /** null: honest; else how it misbehaves. */
  byzantine: 'bad-share' | 'bad-mask' | null;
}

/** One round as the simulation saw it, and as the nodes judged it. */
export interface SecAggRoundReport {
  round: number;
  members: number;
  dropped: { member: string; phase: string }[];
  status: string;
  reason: string | null;
  survivors: number;
  /** Byzantine members that survived where the protocol must drop them (wrongSurvivors). */
  byzantineSurvivors: number;
  exact: boolean | null;
  digestsAgree: boolean | null;
}

/** Corrupts what a Byzantine member signs: a share its first neighbour cannot decrypt, or a masked slice naming a non-neighbour. */
function corrupt(mode: 'bad-share' | 'bad-mask', updates: OpInput[][]): OpInput[][] {
  return updates.map((ops) =>
    ops.map((o) => {
      const b = o.body as SecAggOp;
      if (mode === 'bad-share' && b.type === SecAggType.Shares) {
        const ct = Uint8Array.from(b.entries[0]!.ciphertext);
        ct[0]! ^= 0xff;
        return { ...o, body: { ...b, entries: [{ ...b.entries[0]!, ciphertext: ct }, ...b.entries.slice(1)] } };
      }
      if (mode === 'bad-mask' && b.type === SecAggType.Masked) return { ...o, body: { ...b, included: [...b.included, 1023].filter((x, i, a) => a.indexOf(x) === i).sort((x, y) => x - y) } };
      return o;
    }),
  );
}

/**
 * Secure-aggregation rounds on real nodes: every `roundMs` a round starts; members (honest, some
 * dropping out at a random phase, and Byzantine ones) run the participant state machine against
 * their own node's view, and a coordinator key on the first member's node fixes roster and close.
 */
export class SecAggRounds {
  readonly reports: SecAggRoundReport[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'murmur-sim-secagg-'));
  private readonly coordinator: Contributor;
  private readonly values = new Map<string, Float32Array>();
  private readonly dropped = new Map<number, { member: string; phase: string }[]>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  private round = 0;
  readonly config: SecAggConfig;

  constructor(
    private readonly spec: SecAggSpec,
    readonly members: SecAggMember[],
    private readonly node: (i: number) => MurmurNode | null,
    private readonly rng: Prng,
  ) {
    this.coordinator = new Contributor('secagg-coordinator', rng);
    this.config = { dimension: spec.dimension, neighbours: spec.neighbours, threshold: spec.threshold, maxMembers: Math.max(members.length, 2), scaleBits: spec.scaleBits, clipNorm: spec.clipNorm, noiseStd: spec.noiseStd, coordinator: this.coordinator.key };
  }

  start(): void {
    const begin = (): void => {
      if (this.stopped || this.round >= this.spec.rounds) return;
      const r = this.round++;
      const p = this.runRound(r).catch(() => undefined);
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
    };
    begin();
    this.timers.push(setInterval(begin, this.spec.roundMs));
  }

  /**
   * Stops starting rounds; rounds under way run on to their end or their deadline (3 x roundMs),
   * so the last round is not cut short by the end of traffic on a slow machine.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async runRound(r: number): Promise<void> {
    const honest = this.members.filter((m) => m.byzantine === null);
    const drops = new Map<SecAggMember, string>();
    for (const m of this.rng.shuffle([...honest]).slice(0, this.spec.dropoutsPerRound)) drops.set(m, PHASES[1 + this.rng.int(3)]!);
    this.dropped.set(r, [...drops].map(([m, phase]) => ({ member: m.c.key, phase })));
    const coordNode = this.members[0]!.node;
    const coord = new SecAggCoordinator({ stream: this.spec.stream, round: r, config: this.config, expectedMembers: this.members.length, keysWaitMs: this.spec.keysWaitMs, maskWaitMs: this.spec.maskWaitMs });
    const deadline = Date.now() + this.spec.roundMs * 3;
    const members = this.members.map((m) => {
      const values = Float32Array.from({ length: this.spec.dimension }, () => (this.rng.next() - 0.5) * (2 * this.spec.clipNorm) / Math.sqrt(this.spec.dimension));
      this.values.set(`${r}:${m.c.key}`, values);
      return { m, p: new SecAggParticipant({ keyPath: join(this.dir, `${m.c.label.replace(/[^a-z0-9]/gi, '_')}`), author: m.c.key, stream: this.spec.stream, round: r, config: this.config, values, shareWaitMs: this.spec.shareWaitMs }) };
    });
    const view = (i: number) => {
      const n = this.node(i);
      return n === null ? null : roundState(this.spec.stream, r, n.log.state.secaggOps(this.spec.stream, r));
    };
    const act = async ({ m, p }: (typeof members)[number]): Promise<void> => {
      while (!p.done && Date.now() < deadline) {
        const phase = !p.state.sent.keys ? 'keys' : !p.state.sent.shares ? 'shares' : !p.state.sent.masked ? 'masked' : 'reveal';
        const drop = drops.get(m);
        if (drop !== undefined && PHASES.indexOf(phase) >= PHASES.indexOf(drop as (typeof PHASES)[number])) return;
        const s = view(m.node);
        if (s !== null) {
          const out = p.step(s, Date.now());
          for (const ops of m.byzantine === null ? out.updates : corrupt(m.byzantine, out.updates)) await this.submit(m.c, m.node, ops);
        }
        await new Promise((res) => setTimeout(res, SECAGG_TICK_MS));
      }
    };
    const coordinate = async (): Promise<void> => {
      while (Date.now() < deadline) {
        const s = view(coordNode);
        if (s !== null) {
          const out = coord.step(s, Date.now());
          for (const ops of out.updates) await this.submit(this.coordinator, coordNode, ops);
          if (out.status === 'closed' || out.status === 'failed') return;
        }
        await new Promise((res) => setTimeout(res, SECAGG_TICK_MS));
      }
    };
    await Promise.all([...members.map(act), coordinate()]);
  }

  private async submit(c: Contributor, node: number, ops: OpInput[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const n = this.node(node);
      if (n === null) return;
      if (!c.busy) {
        await c.submit(n, ops);
        return;
      }
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  /** Judges every round on every honest node (after the run settled). */
  evaluate(honestNodes: MurmurNode[]): SecAggRoundReport[] {
    for (let r = 0; r < this.round; r++) {
      const results = honestNodes.map((n) => {
        const agg = new SecAggAggregates();
        const out = agg.compute(this.spec.stream, r, n.log.state.secaggOps(this.spec.stream, r));
        return { out, digest: out.result === null ? null : agg.body(this.spec.stream, r, 'sum', out.result, out.state).digest };
      });
      const first = results[0]!;
      const res = first.out.result;
      const roster = res === null ? null : first.out.state.rosters.find((x) => x.id === res.roster)!;
      const survivorKeys = res === null ? [] : res.survivors.map((s) => roster!.members[s]!.author);
      let exact: boolean | null = null;
      if (res !== null) {
        const plain = new Int32Array(this.config.dimension);
        for (const k of survivorKeys) {
          const q = fixedPointInput(this.values.get(`${r}:${k}`)!, this.config);
          for (let i = 0; i < plain.length; i++) plain[i] = (plain[i]! + q[i]!) | 0;
        }
        exact = this.config.noiseStd > 0 ? null : Buffer.compare(Buffer.from(plain.buffer), Buffer.from(res.sum.buffer, res.sum.byteOffset, res.sum.byteLength)) === 0;
      }
      this.reports.push({
        round: r,
        members: first.out.state.rosters[0]?.members.length ?? first.out.state.keys.length,
        dropped: this.dropped.get(r) ?? [],
        status: res !== null ? 'complete' : 'failed',
        reason: first.out.reason,
        survivors: survivorKeys.length,
        byzantineSurvivors: res === null ? 0 : this.wrongSurvivors(res.survivors, roster!),
        exact,
        digestsAgree: results.every((x) => x.digest === first.digest && x.out.reason === first.out.reason),
      });
    }
    return this.reports;
  }

  /**
   * Byzantine members that survive where the protocol must drop them: a malformed masked vector
   * never counts; a bad share drops its dealer only when the neighbour it was dealt to masked
   * (a bad share to a member that dropped out harms nobody, and its dealer rightly survives).
   */
  private wrongSurvivors(survivors: readonly number[], roster: { members: readonly { author: string }[]; graph: readonly (readonly number[])[] }): number {
    const s = new Set(survivors);
    let bad = 0;
    for (const v of survivors) {
      const m = this.members.find((x) => x.c.key === roster.members[v]!.author);
      if (m === undefined || m.byzantine === null) continue;
      if (m.byzantine === 'bad-mask' || s.has(roster.graph[v]![0]!)) bad++;
    }
    return bad;
  }

  /** Honest members that revealed both the self-mask share and the mask-key share of one dealer in one round (the safety rule says none). */
  doubleReveals(node: MurmurNode): number {
    const honest = new Set(this.members.filter((m) => m.byzantine === null).map((m) => m.c.key));
    let bad = 0;
    for (let r = 0; r < this.round; r++) {
      const kinds = new Map<string, Set<ShareOf>>();
      for (const o of node.log.state.secaggOps(this.spec.stream, r)) {
        if (o.type !== SecAggType.Reveal || !honest.has(o.author)) continue;
        for (const e of (o as SecAggReveal).entries) {
          const k = `${o.author}:${o.roster}:${e.dealer}`;
          kinds.set(k, (kinds.get(k) ?? new Set()).add(e.of));
        }
      }
      for (const s of kinds.values()) if (s.size > 1) bad++;
    }
    return bad;
  }
}

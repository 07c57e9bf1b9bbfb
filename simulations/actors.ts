import { DocWriter, f32Delta, KIND_ATTESTATION, KIND_DELTA, KIND_DOC, REGISTRY_ARRAY, REGISTRY_DOC, type OpInput } from '../crdt/index.js';
import type { MurmurNode } from '../src/node.js';
import type { Recorder } from './recorder.js';
import type { Prng } from './rng.js';
import type { RoleSpec, Scenario } from './scenario.js';
import { Contributor } from './roles/contributor.js';
import { equivocatorTick, flooderTick, forgerTick, replayerTick, type ByzantineContext } from './roles/byzantine.js';
import { meanOf, norm, PriceWalk, RegressionTask } from './truth.js';
import { SecAggRounds, type SecAggMember } from './roles/secagg.js';
import { KeyRotations } from './roles/rotation.js';
import { ArbSphere } from './roles/arbsphere.js';

/** Prices are sent with 4 decimals. */
const PRICE_EXPONENT = -4;

export interface ActorContext extends ByzantineContext {
  readonly recorder: Recorder;
}

interface Placed {
  node: number;
  c: Contributor;
}

/**
 * The contributors and Byzantine behaviours of a scenario, and the ground truth they act on.
 * `start` arms their timers; `stop` clears them. Market ticks and learning rounds are global
 * clocks, so every honest contributor observes the same true price or model.
 */
export class Actors {
  readonly oracles: (Placed & { bias: number })[] = [];
  readonly sybils: Placed[] = [];
  readonly producers: (Placed & { mode: 'honest' | 'scale' | 'flip' | 'alie'; factor: number })[] = [];
  readonly byzantineKeys = new Map<string, string>();
  readonly walk: PriceWalk | null;
  readonly task: RegressionTask | null;
  /** Market tick k: wall time and true prices per feed. */
  readonly ticks: { wallMs: number; prices: number[] }[] = [];
  /** Learning round r: the honest mean gradient and the mean honest gradient norm. */
  readonly rounds: { mean: Float64Array; scale: number }[] = [];
  readonly authority: Contributor;
  /** Secure-aggregation rounds, when the scenario has secagg roles. */
  readonly secagg: SecAggRounds | null;
  /** Key rotations and a stolen key, when the scenario has rotator roles. */
  readonly rotation: KeyRotations | null;
  /** ArbSphere venues and a Byzantine adapter, when the scenario has venue roles. */
  readonly arbsphere: ArbSphere | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly roleRng: Prng;
  private readonly sybilBias: number;
  private readonly publishers: { node: number; c: Contributor; spec: Extract<RoleSpec, { role: 'publisher' }>; done: number; t0: number; inFlight: number }[] = [];

  constructor(
    private readonly s: Scenario,
    private readonly ctx: ActorContext,
  ) {
    const rng = ctx.rng;
    this.roleRng = rng.fork('roles');
    this.sybilBias = s.roles.find((r): r is Extract<RoleSpec, { role: 'sybil' }> => r.role === 'sybil')?.bias ?? 0;
    this.authority = new Contributor('authority', rng);
    let k = 0;
    const make = (role: string, node: number): Contributor => new Contributor(`${role}:${node}:${k++}`, rng);
    for (const r of s.roles) {
      for (const node of r.nodes) {
        if (r.role === 'oracle' || r.role === 'liar') this.oracles.push({ node, c: make(r.role, node), bias: r.role === 'liar' ? r.bias : 0 });
        if (r.role === 'sybil') for (let j = 0; j < r.keys; j++) this.sybils.push({ node, c: make('sybil', node) });
        if (r.role === 'delta') this.producers.push({ node, c: make('delta', node), mode: 'honest', factor: 0 });
        if (r.role === 'poisoner') this.producers.push({ node, c: make('poisoner', node), mode: r.mode, factor: r.factor });
        if (r.role === 'publisher') this.publishers.push({ node, c: make('publisher', node), spec: r, done: 0, t0: 0, inFlight: 0 });
      }
    }
    const secaggMembers: SecAggMember[] = [];
    for (const r of s.roles) {
      if (r.role === 'secagg') for (const node of r.nodes) secaggMembers.push({ node, c: make('secagg', node), byzantine: null });
      if (r.role === 'secagg-byzantine') for (const node of r.nodes) secaggMembers.push({ node, c: make('secagg-byz', node), byzantine: r.mode });
    }
    for (const m of secaggMembers) if (m.byzantine !== null) this.byzantineKeys.set(m.c.key, 'secagg-byzantine');
    this.secagg = s.secagg !== undefined && secaggMembers.length > 0 ? new SecAggRounds(s.secagg, secaggMembers, (i) => ctx.node(i), rng.fork('secagg')) : null;
    const rotators = s.roles.filter((r) => r.role === 'rotator').flatMap((r) => r.nodes);
    const thieves = s.roles.filter((r) => r.role === 'thief').flatMap((r) => r.nodes);
    this.rotation = s.rotation !== undefined && rotators.length > 0 ? new KeyRotations(s.rotation, rotators, thieves, this.authority, (i) => ctx.node(i), () => ctx.honestOnline(), rng.fork('rotation')) : null;
    const venueNodes = s.roles.filter((r) => r.role === 'venue').flatMap((r) => r.nodes);
    const arbByz = s.roles.find((r) => r.role === 'arb-byzantine')?.nodes[0];
    this.arbsphere = s.arbsphere !== undefined && venueNodes.length === 2 ? new ArbSphere(s.arbsphere, venueNodes as [number, number], arbByz, (i) => ctx.node(i), rng.fork('arbsphere')) : null;
    if (this.arbsphere?.byzantineKey) this.byzantineKeys.set(this.arbsphere.byzantineKey, 'arb-byzantine');
    for (const o of this.oracles) if (o.bias !== 0) this.byzantineKeys.set(o.c.key, 'liar');
    for (const x of this.sybils) this.byzantineKeys.set(x.c.key, 'sybil');
    for (const p of this.producers) if (p.mode !== 'honest') this.byzantineKeys.set(p.c.key, 'poisoner');
    this.walk = s.market !== undefined ? new PriceWalk(s.market, rng) : null;
    const honestProducers = this.producers.filter((p) => p.mode === 'honest').length;
    this.task = s.learning !== undefined && honestProducers > 0 ? new RegressionTask(s.learning, honestProducers, rng) : null;
  }

  /** The registry entry of each feed (oracle keys weigh `honestWeight`, Sybil keys 1), when Sybils take part. */
  /** The registry entries the run needs (feed weights when Sybils take part; ArbSphere's Graph of Contracts), written by the authority in one doc op. */
  async register(node: MurmurNode): Promise<void> {
    const records: Record<string, unknown>[] = this.arbsphere?.registryRecords() ?? [];
    if (this.sybils.length > 0 && this.s.market !== undefined) {
      const contributors: Record<string, number> = {};
      for (const o of this.oracles) contributors[o.c.key] = this.s.honestWeight;
      for (const x of this.sybils) contributors[x.c.key] = 1;
      records.push(
        ...this.s.market.feeds.map((feed, i) => ({
          kind: 'feed',
          id: feed,
          version: 1,
          timestampMs: Date.now(),
          nonce: `sim-${i}`,
          owner: this.authority.key,
          body: { decimals: -PRICE_EXPONENT, description: `simulated ${feed}`, contributors },
        })),
      );
    }
    if (records.length === 0) return;
    const update = new DocWriter(this.authority.key, null).write((d) => d.getArray(REGISTRY_ARRAY).push(records));
    await this.authority.submit(node, [{ kind: KIND_DOC, body: { doc: REGISTRY_DOC, update } }]);
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  start(): void {
    const s = this.s;
    if (s.market !== undefined && this.oracles.length + this.sybils.length > 0) this.every(s.market.intervalMs, () => this.marketTick());
    if (s.learning !== undefined && this.task !== null) this.every(s.learning.roundMs, () => this.round());
    this.secagg?.start();
    this.rotation?.start();
    this.arbsphere?.start();
    for (const p of this.publishers) {
      p.t0 = performance.now();
      this.every(10, () => this.publish(p));
    }
    let n = 0;
    for (const r of s.roles) {
      for (const i of r.nodes) {
        if (r.role === 'equivocator') {
          const c = new Contributor(`equivocator:${i}`, this.ctx.rng);
          this.byzantineKeys.set(c.key, 'equivocator');
          this.every(r.intervalMs, () => equivocatorTick(this.ctx, i, c, n++));
        } else if (r.role === 'forger') {
          const c = new Contributor(`forger:${i}`, this.ctx.rng);
          this.byzantineKeys.set(c.key, 'forger');
          this.every(r.intervalMs, () => forgerTick(this.ctx, i, c, n++));
        } else if (r.role === 'replayer') this.every(r.intervalMs, () => replayerTick(this.ctx, i, r.batch));
        else if (r.role === 'flooder') {
          const valid = new Contributor(`flooder:${i}`, this.ctx.rng);
          const orphan = new Contributor(`orphans:${i}`, this.ctx.rng);
          this.byzantineKeys.set(valid.key, 'flooder');
          this.byzantineKeys.set(orphan.key, 'flooder');
          // Ten ticks a second; fractional rates carry over.
          let owed = { valid: 0, orphans: 0 };
          let busy = false;
          this.every(100, () => {
            owed = { valid: owed.valid + r.ratePerS / 10, orphans: owed.orphans + r.orphansPerS / 10 };
            if (busy) return;
            const now = { valid: Math.floor(owed.valid), orphans: Math.floor(owed.orphans) };
            owed = { valid: owed.valid - now.valid, orphans: owed.orphans - now.orphans };
            busy = true;
            void flooderTick(this.ctx, i, valid, orphan, now).finally(() => (busy = false));
          });
        }
      }
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.rotation?.stop();
    this.arbsphere?.stop();
  }

  /** Stops, and waits for work under way (secure-aggregation rounds finish their stages). */
  async drain(): Promise<void> {
    this.stop();
    await this.secagg?.stop();
  }

  /** True prices at the latest tick at or before `wallMs` (null before the first tick). */
  truthAt(wallMs: number): { wallMs: number; prices: number[] } | null {
    for (let k = this.ticks.length - 1; k >= 0; k--) if (this.ticks[k]!.wallMs <= wallMs) return this.ticks[k]!;
    return null;
  }

  private marketTick(): void {
    const m = this.s.market!;
    const k = this.ticks.length;
    const wallMs = Date.now();
    const prices = m.feeds.map((_, f) => this.walk!.price(f, k));
    this.ticks.push({ wallMs, prices });
    const scale = 10 ** -PRICE_EXPONENT;
    const attest = (bias: number, rng: Prng): OpInput[] =>
      m.feeds.map((feed, f) => {
        const value = prices[f]! * (1 + bias) * (1 + m.noise * rng.gaussian());
        return { kind: KIND_ATTESTATION, body: { feed, exponent: PRICE_EXPONENT, mantissa: Math.round(value * scale), confidence: Math.round(prices[f]! * m.noise * scale), observedAtMs: wallMs, sources: [] } };
      });
    for (const o of this.oracles) this.send(o, attest(o.bias, this.roleRng), o.bias === 0);
    for (const x of this.sybils) this.send(x, attest(this.sybilBias, this.roleRng), false);
  }

  private round(): void {
    const l = this.s.learning!;
    const r = this.rounds.length;
    const grads = this.task!.gradients();
    const mean = meanOf(grads);
    const std = mean.map((mu, j) => Math.sqrt(grads.reduce((s, g) => s + (g[j]! - mu) ** 2, 0) / grads.length));
    this.rounds.push({ mean, scale: grads.reduce((s, g) => s + norm(g), 0) / grads.length });
    let h = 0;
    for (const p of this.producers) {
      let v: Float64Array;
      if (p.mode === 'honest') v = grads[h++]!;
      else if (p.mode === 'scale') v = mean.map((x) => x * p.factor);
      else if (p.mode === 'flip') v = mean.map((x) => -x * Math.abs(p.factor));
      else v = mean.map((x, j) => x - p.factor * std[j]!); // "a little is enough": inside the honest spread
      const op: OpInput = { kind: KIND_DELTA, body: f32Delta({ stream: l.stream, round: r, dimension: l.dimension, offset: 0, sampleWeight: l.samples }, Float32Array.from(v)) };
      this.send(p, [op], p.mode === 'honest');
    }
    this.task!.step(mean);
  }

  private send(p: Placed, ops: OpInput[], honest: boolean): void {
    const node = this.ctx.node(p.node);
    if (node === null) return;
    void p.c.submit(node, ops, honest ? (id) => this.ctx.recorder.publishing(id, p.node) : undefined);
  }

  /** Bulk honest traffic at `ratePerS`, up to 64 submissions in flight (the chain order is fixed at signing). */
  private publish(p: Actors['publishers'][number]): void {
    const node = this.ctx.node(p.node);
    if (node === null) return;
    const due = Math.min(p.spec.updates ?? Infinity, Math.floor(((performance.now() - p.t0) / 1000) * p.spec.ratePerS));
    while (p.done < due && p.inFlight < 64) {
      const ops: OpInput[] = Array.from({ length: p.spec.opsPerUpdate }, (_, j) => ({
        kind: KIND_ATTESTATION,
        body: { feed: `BULK-${j}/USD`, exponent: -2, mantissa: 100_000 + p.done, confidence: 10, observedAtMs: Date.now(), sources: [] },
      }));
      // Kept before it is accepted: 64 submissions are in flight. Publishers are not churned, so
      // their node refuses none of them (a refusal would leave a gap that holds the rest pending).
      const u = p.c.next(node, ops);
      p.c.keep(u);
      this.ctx.recorder.publishing(u.id, p.node);
      p.done++;
      p.inFlight++;
      void node
        .submit(u.bytes)
        .catch(() => null)
        .finally(() => p.inFlight--);
    }
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARB_SCALE, ArbType, arbKind, encodeUpdate, KIND_ARB, KIND_AUDIT, type OpInput } from '../../crdt/index.js';
import { ARB_SCHEMA_ID, centralizedOptimum, deriveSession, pairAdapters, type SessionState } from '../../src/arbsphere/session.js';
import { Venue, type ArbContract, type VenueBook } from '../../src/arbsphere/venue.js';
import { ContributorAccountant } from '../../src/contributor/private-delta.js';
import type { MurmurNode } from '../../src/node.js';
import type { Prng } from '../rng.js';
import type { ArbSphereSpec } from '../scenario.js';
import { Contributor } from './contributor.js';

const TICK_MS = 50;
export const ARB_PAIR = 'toyPair:ETH-USD';
const BOOKS: [VenueBook, VenueBook] = [
  { curvature: 2, price: 100.5 },
  { curvature: 3, price: 101.25 },
];
/** The local DP each SharedSignals op carries (the venue's own budget pays for it). */
const SIGNAL_PRIVACY = { clipNorm: 1, noiseMultiplier: 1 };

/**
 * ArbSphere on real nodes: venue A and venue B (each on its own node) run their ADMM solves
 * against their node's view, with clocks that drift by up to +-500 ms; they publish noised
 * SharedSignals charged to their own budget; a Byzantine adapter sends out-of-contract messages
 * (another schema version), plans for a venue it is not, and reused nonces. Venue A logs every
 * ignored op as an audit event.
 */
export class ArbSphere {
  private readonly dir = mkdtempSync(join(tmpdir(), 'murmur-sim-arb-'));
  private readonly venues: { venue: Venue; c: Contributor; node: number; driftMs: number; accountant: ContributorAccountant }[];
  private readonly byz: { c: Contributor; node: number } | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly audited = new Set<string>();
  private byzNonce = 0;
  /** The Byzantine adapter's messages the nodes refused at submission, by code. */
  readonly refused: Record<string, number> = {};
  byzSent = 0;
  readonly optimum = centralizedOptimum(BOOKS[0], BOOKS[1]);
  /** Delta-merge latency: from a venue signing a PlanDelta to the other venue's node holding it (ms). */
  readonly mergeLatencies: number[] = [];
  private readonly inFlight = new Map<string, { at: number; to: number }>();
  /** Venue A's position and the dual per iteration, as the first venue's node derived them (for the report). */
  trajectory: { iteration: number; size: number; u: number }[] = [];

  constructor(
    private readonly spec: ArbSphereSpec,
    venueNodes: [number, number],
    byzNode: number | undefined,
    private readonly node: (i: number) => MurmurNode | null,
    rng: Prng,
  ) {
    const contract: ArbContract = { rhoMilli: spec.rhoMilli, maxIterations: spec.maxIterations, epsilon: spec.epsilon };
    this.venues = (['A', 'B'] as const).map((name, k) => ({
      venue: new Venue(name, BOOKS[k]!, ARB_PAIR, 1, contract),
      c: new Contributor(`venue:${name}`, rng),
      node: venueNodes[k]!,
      driftMs: Math.round((rng.next() * 2 - 1) * 500),
      accountant: new ContributorAccountant(join(this.dir, `venue-${name}.privacy.json`), { epsilon: 1e6, delta: 1e-6 }),
    }));
    this.byz = byzNode === undefined ? null : { c: new Contributor('arb-byzantine', rng), node: byzNode };
  }

  get byzantineKey(): string | null {
    return this.byz?.c.key ?? null;
  }

  start(): void {
    for (const v of this.venues) {
      const n = this.node(v.node);
      if (n !== null) void v.c.submit(n, [{ kind: KIND_ARB, body: v.venue.problem() }]);
    }
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    if (this.byz !== null) this.timers.push(setInterval(() => void this.byzantine(), 300));
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  state(n: MurmurNode): SessionState {
    return deriveSession(ARB_PAIR, 1, n.log.state.arbOps(ARB_PAIR, 1), pairAdapters(n.registryView(), ARB_PAIR));
  }

  /** The pair's Graph of Contracts, written by the registry authority: the schema and the two venues' adapter entries. */
  registryRecords(): Record<string, unknown>[] {
    const common = { version: 1, timestampMs: Date.now() };
    return [
      { ...common, kind: 'schema', id: ARB_SCHEMA_ID, nonce: 'arb-schema-1', owner: this.venues[0]!.c.key, body: { version: 1, jsonSchema: { description: 'murmur op kind 7 (docs/PROTOCOL.md), schema version 1' } } },
      ...this.venues.map((v) => ({ ...common, kind: 'adapter', id: `${ARB_PAIR}/${v.venue.name}`, nonce: `arb-adapter-${v.venue.name}`, owner: v.c.key, body: { name: `venue ${v.venue.name}`, version: '1', schema: ARB_SCHEMA_ID } })),
    ];
  }

  private tick(): void {
    for (const [id, f] of this.inFlight) {
      if (this.node(f.to)?.log.has(id) === true) {
        this.mergeLatencies.push(Date.now() - f.at);
        this.inFlight.delete(id);
      }
    }
    for (const [k, v] of this.venues.entries()) {
      const n = this.node(v.node);
      if (n === null || v.c.busy) continue;
      const s = this.state(n);
      if (k === 0) this.trajectory = s.trajectory.map((t) => ({ iteration: t.iteration, size: Number(t.sizes[0]) / ARB_SCALE, u: Number(t.u) / ARB_SCALE }));
      const plan = v.venue.next(s);
      const ops: OpInput[] = [];
      if (plan !== null) {
        ops.push({ kind: KIND_ARB, body: plan });
        // SharedSignals: the venue's price delta to the mid, noised at the venue, charged to its own budget.
        if (plan.iteration % 10 === 1) ops.push({ kind: KIND_ARB, body: v.venue.signals(plan.iteration, [BOOKS[k]!.price - 100.875], SIGNAL_PRIVACY, v.accountant) });
      }
      if (k === 0) {
        for (const ig of s.ignored) {
          if (this.audited.has(ig.updateId) || ops.length > 8) continue;
          this.audited.add(ig.updateId);
          ops.push({ kind: KIND_AUDIT, body: { eventType: 'arb-ignored', subject: ig.reason, details: `author ${ig.author}`, refs: [ig.updateId] } });
        }
      }
      const other = this.venues[1 - k]!.node;
      if (ops.length > 0) void v.c.submit(n, ops, plan === null ? undefined : (id) => void this.inFlight.set(id, { at: Date.now(), to: other }));
    }
  }

  /** Out-of-contract, impersonating and replayed messages; each is refused or ignored with a typed code. */
  private async byzantine(): Promise<void> {
    const b = this.byz;
    const n = b === null ? null : this.node(b.node);
    if (b === null || n === null || b.c.busy) return;
    const k = this.byzSent++ % 3;
    const plan = { type: ArbType.Plan, pair: ARB_PAIR, session: 1, nonce: k === 2 ? this.byzNonce : ++this.byzNonce, venue: 'A', iteration: 1 + (this.byzSent % 5), size: 5 * ARB_SCALE, deltaId: 'forged' } as const;
    if (k === 0) {
      // A schema version this network does not speak: the payload's first byte says 2.
      const payload = arbKind.encode(plan);
      payload[0] = 2;
      const head = b.c.head;
      const bytes = encodeUpdate({ seq: (head?.seq ?? 0) + 1, timestampMs: Date.now(), deps: head === null ? [] : [Buffer.from(head.id, 'hex')], ops: [{ kind: KIND_ARB, payload }] }, b.c.signer);
      const r = await n.submit(bytes).catch((e: { code?: string }) => ({ outcome: { status: 'rejected', code: e.code ?? 'error' } }));
      const code = (r.outcome as { code?: string }).code ?? r.outcome.status;
      this.refused[code] = (this.refused[code] ?? 0) + 1;
    } else {
      await b.c.submit(n, [{ kind: KIND_ARB, body: plan }]);
    }
  }
}

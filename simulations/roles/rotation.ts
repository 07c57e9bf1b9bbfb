import { Author, IdentityType, KIND_ATTESTATION, KIND_IDENTITY, successorProof, type OpInput } from '../../crdt/index.js';
import type { MurmurNode } from '../../src/node.js';
import type { Prng } from '../rng.js';
import type { RotationSpec } from '../scenario.js';
import { Contributor } from './contributor.js';

/** One honest contributor whose identity moves from key to key. */
interface Rotator {
  node: number;
  label: string;
  c: Contributor;
  generation: number;
  /** Every key the identity used, in order. */
  keys: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Key rotation under partitions, and a stolen key: rotators attest every `intervalMs` and rotate
 * every `rotateEveryMs`; at `stealAtMs` a thief on a Byzantine node copies the first rotator's
 * current key and chain and attests with it (its owner, unaware, goes on too); at `revokeAtMs`
 * the registry authority revokes that key with its cut-off at the owner's last update before the
 * theft, and re-admits the identity under a fresh key.
 */
export class KeyRotations {
  readonly rotators: Rotator[];
  private readonly timers: NodeJS.Timeout[] = [];
  private thief: { author: Author; node: number } | null = null;
  /** The stolen key, its cut-off (update id and seq), and the revocation's id once signed. */
  stolen: { key: string; cutoff: string; cutoffSeq: number; revocation: string | null } | null = null;
  rotations = 0;
  /** Samples at nodes holding the revocation whose aggregate counted a stolen update past the cut-off. */
  countedAfterRevocation = 0;
  samples = 0;
  /** Updates the thief got accepted (each past the cut-off): the revocation has something to exclude. */
  thiefAccepted = 0;

  constructor(
    private readonly spec: RotationSpec,
    nodes: number[],
    private readonly thiefNodes: number[],
    private readonly authority: Contributor,
    private readonly node: (i: number) => MurmurNode | null,
    private readonly honestOnline: () => number[],
    private readonly rng: Prng,
  ) {
    this.rotators = nodes.map((n, k) => {
      const label = `rotator:${n}:${k}`;
      const c = new Contributor(`${label}:0`, rng);
      return { node: n, label, c, generation: 0, keys: [c.key] };
    });
  }

  start(): void {
    const at = (ms: number, fn: () => Promise<void>): void => void this.timers.push(setTimeout(() => void fn().catch(() => undefined), ms));
    this.timers.push(setInterval(() => this.tick(), this.spec.intervalMs));
    this.timers.push(setInterval(() => void this.rotateAll(), this.spec.rotateEveryMs));
    this.timers.push(setInterval(() => this.check(), this.spec.intervalMs));
    if (this.thiefNodes.length > 0) {
      at(this.spec.stealAtMs, async () => this.steal());
      at(this.spec.revokeAtMs, async () => this.revokeAndReadmit());
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }

  private attestation(value: number): OpInput {
    return { kind: KIND_ATTESTATION, body: { feed: this.spec.feed, exponent: -2, mantissa: Math.round(value * 100), confidence: 10, observedAtMs: Date.now(), sources: [] } };
  }

  private tick(): void {
    for (const r of this.rotators) {
      const n = this.node(r.node);
      if (n !== null) void r.c.submit(n, [this.attestation(100 + this.rng.gaussian())]);
    }
    const th = this.thief;
    const tn = th === null ? null : this.node(th.node);
    if (th !== null && tn !== null) {
      // Backdated, on old deps: whatever it claims, it is past the cut-off.
      const u = th.author.next([this.attestation(500)], Date.now() - 3_600_000, []);
      void tn.submit(u.bytes).then(
        (r) => void (r.outcome.status === 'accepted' && this.thiefAccepted++),
        () => undefined,
      );
    }
  }

  private async rotateAll(): Promise<void> {
    for (const r of this.rotators) {
      const n = this.node(r.node);
      if (n === null) continue;
      const next = new Contributor(`${r.label}:${r.generation + 1}`, this.rng);
      while (r.c.busy) await sleep(5);
      const ok = await r.c.submit(n, [{ kind: KIND_IDENTITY, body: { type: IdentityType.Rotate, newKey: next.key, proof: successorProof(r.c.key, next.signer) } }]);
      if (!ok) continue;
      r.c = next;
      r.generation++;
      r.keys.push(next.key);
      this.rotations++;
    }
  }

  private steal(): void {
    const victim = this.rotators[0]!;
    const head = victim.c.head;
    if (head === null) return;
    const author = new Author(victim.c.signer);
    author.resume(head.seq, head.id);
    this.thief = { author, node: this.thiefNodes[0]! };
    this.stolen = { key: victim.c.key, cutoff: head.id, cutoffSeq: head.seq, revocation: null };
  }

  private async revokeAndReadmit(): Promise<void> {
    const s = this.stolen;
    const honest = this.honestOnline();
    const n = honest.length === 0 ? null : this.node(honest[0]!);
    if (s === null || n === null) return;
    // The authority's node must hold the cut-off (a dep); the owner's own node has it.
    while (!n.log.has(s.cutoff)) await sleep(50);
    const revoke: OpInput = { kind: KIND_IDENTITY, body: { type: IdentityType.Revoke, key: s.key, cutoff: s.cutoff, reason: 'stolen' } };
    while (this.authority.busy) await sleep(5);
    await this.authority.submit(n, [revoke], (id) => (s.revocation = id), [s.cutoff]);
    const victim = this.rotators[0]!;
    const next = new Contributor(`${victim.label}:readmitted`, this.rng);
    while (this.authority.busy) await sleep(5);
    await this.authority.submit(n, [{ kind: KIND_IDENTITY, body: { type: IdentityType.Readmit, oldKey: s.key, newKey: next.key, proof: successorProof(s.key, next.signer) } }]);
    victim.c = next;
    victim.keys.push(next.key);
  }

  /** On every honest node that holds the revocation: does any counted attestation of the stolen key lie past the cut-off? */
  private check(): void {
    const s = this.stolen;
    if (s === null || s.revocation === null) return;
    for (const i of this.honestOnline()) {
      const n = this.node(i);
      if (n === null || !n.log.has(s.revocation)) continue;
      this.samples++;
      if (this.countedPastCutoff(n) > 0) this.countedAfterRevocation++;
    }
  }

  /** Attestations of the stolen key past its cut-off that `n` counts. */
  countedPastCutoff(n: MurmurNode): number {
    const s = this.stolen;
    if (s === null) return 0;
    return n.log.state.attestations(this.spec.feed).filter((a) => a.author === s.key && a.seq > s.cutoffSeq).length;
  }

  /** Every identity's view, as one comparable string (for agreement across nodes). */
  identities(n: MurmurNode): string {
    return JSON.stringify(this.rotators.map((r) => n.log.identity(r.keys[0]!)));
  }
}

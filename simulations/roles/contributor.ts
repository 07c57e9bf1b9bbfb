import { Author, Signer, type OpInput } from '../../crdt/index.js';
import type { MurmurNode } from '../../src/node.js';
import type { Prng } from '../rng.js';

/** Extra causal deps a contributor names: the node's newest heads (what `murmur attest` does). */
export const CONTRIBUTOR_DEPS = 8;

/**
 * A contributor key and its chain of updates. An update its node did not accept is forgotten
 * (the chain resumes after the last accepted one), so a contributor never leaves a gap that
 * would hold its later updates pending everywhere.
 */
export class Contributor {
  readonly signer: Signer;
  private author: Author;
  private last: { seq: number; id: string } | null = null;
  busy = false;
  /** Updates its node accepted. */
  submitted = 0;

  constructor(
    readonly label: string,
    rng: Prng,
  ) {
    this.signer = new Signer(rng.fork(`key:${label}`).bytes(32));
    this.author = new Author(this.signer);
  }

  get key(): string {
    return this.author.key;
  }

  /** Signs the next update on top of `node`'s frontier (and `deps`, first). */
  next(node: MurmurNode, ops: readonly OpInput[], deps: readonly string[] = []): { id: string; bytes: Uint8Array } {
    return this.author.next(ops, Date.now(), [...deps, ...node.log.frontier(CONTRIBUTOR_DEPS)].slice(0, CONTRIBUTOR_DEPS + deps.length));
  }

  /** The last update kept (the chain's head), or null. */
  get head(): { seq: number; id: string } | null {
    return this.last;
  }

  /** Two different updates with the same seq and the same predecessor: an equivocation. */
  fork(node: MurmurNode, a: readonly OpInput[], b: readonly OpInput[]): [{ id: string; bytes: Uint8Array }, { id: string; bytes: Uint8Array }] {
    const deps = node.log.frontier(CONTRIBUTOR_DEPS);
    const first = this.author.next(a, Date.now(), deps);
    this.discard();
    const second = this.author.next(b, Date.now(), deps);
    return [first, second];
  }

  /** The update just made is the chain's head from now on (whether or not anyone receives it). */
  keep(update: { id: string }): void {
    this.last = { seq: this.author.lastSeq, id: update.id };
  }

  /** Forgets the update just made: the next one reuses its seq, after the last kept one. */
  discard(): void {
    this.author = new Author(this.signer);
    if (this.last !== null) this.author.resume(this.last.seq, this.last.id);
  }

  /** Records the node's verdict on the update just made. */
  settle(accepted: boolean, update: { id: string }): void {
    if (!accepted) return this.discard();
    this.submitted++;
    this.keep(update);
  }

  /** Submits `ops` through `node` (skipped while a previous submission is running). */
  async submit(node: MurmurNode, ops: readonly OpInput[], onSigned?: (id: string) => void, deps: readonly string[] = []): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      const u = this.next(node, ops, deps);
      onSigned?.(u.id);
      const ok = await node.submit(u.bytes).then(
        (r) => r.outcome.status === 'accepted',
        () => false,
      );
      this.settle(ok, u);
      return ok;
    } finally {
      this.busy = false;
    }
  }
}

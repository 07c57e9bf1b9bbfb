import { fromHex } from './bytes.js';
import { MurmurArgumentError } from './errors.js';
import type { Signer } from './ed25519.js';
import { defaultKinds, type KindRegistry } from './kinds/index.js';
import { MAX_DEPS } from './limits.js';
import { decodeUpdate, encodeUpdate } from './update.js';

export interface OpInput {
  readonly kind: number;
  readonly body: unknown;
}

/**
 * Builds an author's chain of updates: seq counts up from 1 and each update depends on the
 * author's previous one plus any other ids the caller names (usually Log.frontier()).
 */
export class Author {
  private seq = 0;
  private prev: string | null = null;

  constructor(
    readonly signer: Signer,
    private readonly kinds: KindRegistry = defaultKinds(),
  ) {}

  get key(): string {
    return Buffer.from(this.signer.publicKey).toString('hex');
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The id of the author's last update (what the next one continues), or null before the first. */
  get previous(): string | null {
    return this.prev;
  }

  /** Continue after an existing update of this author (for example after a restart). */
  resume(seq: number, id: string): void {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new MurmurArgumentError('seq', 'an integer >= 1');
    fromHex(id, 'id', 32);
    this.seq = seq;
    this.prev = id;
  }

  /** Encodes, signs and returns the next update; `deps` are extra causal predecessors (hex ids). */
  next(ops: readonly OpInput[], timestampMs: number, deps: readonly string[] = []): { id: string; bytes: Uint8Array } {
    const all = new Set(deps);
    if (this.prev !== null) all.add(this.prev);
    if (all.size > MAX_DEPS) {
      // Keep the own-previous dep, then the first of the caller's ids.
      const rest = [...deps].filter((d) => d !== this.prev).slice(0, MAX_DEPS - (this.prev === null ? 0 : 1));
      all.clear();
      if (this.prev !== null) all.add(this.prev);
      rest.forEach((d) => all.add(d));
    }
    const raw = ops.map((op) => {
      const k = this.kinds.get(op.kind);
      if (k === undefined) throw new MurmurArgumentError('op.kind', 'a registered kind');
      return { kind: op.kind, payload: k.encode(op.body) };
    });
    const bytes = encodeUpdate({ seq: this.seq + 1, timestampMs, deps: [...all].map((d) => fromHex(d, 'dep', 32)), ops: raw }, this.signer);
    const id = decodeUpdate(bytes).id;
    this.seq++;
    this.prev = id;
    return { id, bytes };
  }
}

import { createHash } from 'node:crypto';
import { check, KernelErrorCode } from '../errors.js';

/**
 * The neighbour graph of a SecAgg+ round (Bell et al. 2020): a Harary graph H(k, n) on a
 * pseudorandom permutation of the members. Members are the roster's indices 0..n-1; the
 * permutation is a Fisher-Yates shuffle driven by SHA-256(seed || counter), so every node derives
 * the same graph from the roster. Each member is joined to the k/2 members on either side of it
 * on the permuted ring: a k-regular graph, or the complete graph when k >= n - 1.
 */

/** A deterministic stream of uniform integers from SHA-256 in counter mode. */
class HashStream {
  private block = new Uint8Array(0);
  private pos = 0;
  private counter = 0;
  constructor(private readonly seed: Uint8Array) {}

  private u32(): number {
    if (this.pos + 4 > this.block.length) {
      const c = Buffer.alloc(8);
      c.writeUInt32BE(this.counter++, 4);
      this.block = createHash('sha256').update(this.seed).update(c).digest();
      this.pos = 0;
    }
    const v = ((this.block[this.pos]! << 24) | (this.block[this.pos + 1]! << 16) | (this.block[this.pos + 2]! << 8) | this.block[this.pos + 3]!) >>> 0;
    this.pos += 4;
    return v;
  }

  /** Uniform in [0, n), by rejection (no modulo bias). */
  below(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const v = this.u32();
      if (v < limit) return v % n;
    }
  }
}

/** The permuted ring order: position -> member. */
export function graphOrder(n: number, seed: Uint8Array): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const s = new HashStream(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = s.below(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Neighbours of every member, each list sorted ascending. `k` must be even (or >= n - 1, the
 * complete graph).
 */
export function neighbourGraph(n: number, k: number, seed: Uint8Array): number[][] {
  check(Number.isInteger(n) && n >= 2, KernelErrorCode.BadShape, 'n', 'at least 2 members');
  check(Number.isInteger(k) && k >= 2 && (k % 2 === 0 || k >= n - 1), KernelErrorCode.BadParameter, 'k', 'an even degree >= 2, or >= n - 1 for the complete graph');
  if (k >= n - 1) return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => j).filter((j) => j !== i));
  const order = graphOrder(n, seed);
  const out: number[][] = Array.from({ length: n }, () => []);
  for (let p = 0; p < n; p++) {
    for (let d = 1; d <= k / 2; d++) {
      out[order[p]!]!.push(order[(p + d) % n]!, order[(p - d + n) % n]!);
    }
  }
  return out.map((l) => l.sort((a, b) => a - b));
}

import {
  PENDING_ENTRY_OVERHEAD_BYTES,
  PENDING_EVICT_TO_FRACTION,
  PENDING_MAX_BYTES,
  PENDING_MAX_BYTES_PER_AUTHOR,
  PENDING_MAX_COUNT,
  PENDING_MAX_COUNT_PER_AUTHOR,
} from './limits.js';

export interface PendingLimits {
  maxCount: number;
  maxBytes: number;
  maxCountPerAuthor: number;
  maxBytesPerAuthor: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = {
  maxCount: PENDING_MAX_COUNT,
  maxBytes: PENDING_MAX_BYTES,
  maxCountPerAuthor: PENDING_MAX_COUNT_PER_AUTHOR,
  maxBytesPerAuthor: PENDING_MAX_BYTES_PER_AUTHOR,
};

export interface PendingEntry<T> {
  readonly id: string;
  readonly author: string;
  readonly value: T;
  /** Dep ids not yet accepted. */
  readonly missing: Set<string>;
  readonly size: number;
}

interface AuthorShare {
  count: number;
  bytes: number;
  /** Insertion-ordered: the last is the newest. */
  readonly ids: Set<string>;
}

export interface AddResult {
  held: boolean;
  evicted: string[];
}

/**
 * Updates that are signed and well-formed but wait for deps. Bounded in count and bytes, in total
 * and per author. Policy (docs/PROTOCOL.md, "Pending buffer"):
 *  - over an author's own bound, that author's new update is not held (its older work stays);
 *  - over the total bound, evict until the buffer is at PENDING_EVICT_TO_FRACTION of its bounds:
 *    first from authors with no accepted update, then from the others; within each group the author
 *    holding the most bytes loses its newest updates first.
 * Evicted and refused updates are not invalid; sync fetches them again once their deps are known.
 */
export class PendingBuffer<T> {
  private readonly entries = new Map<string, PendingEntry<T>>();
  private readonly waiters = new Map<string, Set<string>>();
  private readonly authors = new Map<string, AuthorShare>();
  private totalBytes = 0;
  peakCount = 0;
  peakBytes = 0;

  constructor(private readonly limits: PendingLimits = DEFAULT_PENDING_LIMITS) {}

  get count(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Adds an entry; `isKnownAuthor` says whether an author has any accepted update. */
  add(id: string, author: string, value: T, missing: Set<string>, wireBytes: number, isKnownAuthor: (author: string) => boolean): AddResult {
    const size = wireBytes + PENDING_ENTRY_OVERHEAD_BYTES;
    const share = this.authors.get(author) ?? { count: 0, bytes: 0, ids: new Set<string>() };
    if (share.count + 1 > this.limits.maxCountPerAuthor || share.bytes + size > this.limits.maxBytesPerAuthor) {
      return { held: false, evicted: [] };
    }
    this.authors.set(author, share);
    this.entries.set(id, { id, author, value, missing, size });
    share.count++;
    share.bytes += size;
    share.ids.add(id);
    this.totalBytes += size;
    for (const dep of missing) {
      let set = this.waiters.get(dep);
      if (set === undefined) this.waiters.set(dep, (set = new Set()));
      set.add(id);
    }
    const evicted =
      this.entries.size > this.limits.maxCount || this.totalBytes > this.limits.maxBytes ? this.evict(isKnownAuthor) : [];
    this.peakCount = Math.max(this.peakCount, this.entries.size);
    this.peakBytes = Math.max(this.peakBytes, this.totalBytes);
    return { held: this.entries.has(id), evicted };
  }

  /** `depId` was accepted: returns (and removes) the entries it was the last missing dep of. */
  resolve(depId: string): PendingEntry<T>[] {
    const ready: PendingEntry<T>[] = [];
    for (const id of this.takeWaiterIds(depId)) {
      const e = this.entries.get(id);
      if (e === undefined) continue;
      e.missing.delete(depId);
      if (e.missing.size === 0) {
        this.remove(id);
        ready.push(e);
      }
    }
    return ready;
  }

  /** `depId` was rejected: returns (and removes) every entry that waited on it. */
  dropWaiters(depId: string): PendingEntry<T>[] {
    const out: PendingEntry<T>[] = [];
    for (const id of this.takeWaiterIds(depId)) {
      const e = this.entries.get(id);
      if (e === undefined) continue;
      this.remove(id);
      out.push(e);
    }
    return out;
  }

  values(): T[] {
    return [...this.entries.values()].map((e) => e.value);
  }

  /** Dep ids that some entry waits for and that are not themselves pending (what sync should fetch). */
  wanted(max: number): string[] {
    const out: string[] = [];
    for (const dep of this.waiters.keys()) {
      if (out.length >= max) break;
      if (!this.entries.has(dep)) out.push(dep);
    }
    return out;
  }

  private takeWaiterIds(depId: string): Set<string> {
    const set = this.waiters.get(depId);
    this.waiters.delete(depId);
    return set ?? new Set();
  }

  private remove(id: string): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    this.entries.delete(id);
    this.totalBytes -= e.size;
    const share = this.authors.get(e.author)!;
    share.count--;
    share.bytes -= e.size;
    share.ids.delete(id);
    if (share.count === 0) this.authors.delete(e.author);
    for (const dep of e.missing) {
      const set = this.waiters.get(dep);
      if (set === undefined) continue;
      set.delete(id);
      if (set.size === 0) this.waiters.delete(dep);
    }
  }

  private evict(isKnownAuthor: (author: string) => boolean): string[] {
    const targetCount = Math.floor(this.limits.maxCount * PENDING_EVICT_TO_FRACTION);
    const targetBytes = Math.floor(this.limits.maxBytes * PENDING_EVICT_TO_FRACTION);
    const order = [...this.authors.entries()]
      .map(([author, share]) => ({ author, share, known: isKnownAuthor(author) }))
      .sort((a, b) => Number(a.known) - Number(b.known) || b.share.bytes - a.share.bytes || (a.author < b.author ? -1 : 1));
    const evicted: string[] = [];
    for (const { share } of order) {
      const newestFirst = [...share.ids].reverse();
      for (const id of newestFirst) {
        if (this.entries.size <= targetCount && this.totalBytes <= targetBytes) return evicted;
        this.remove(id);
        evicted.push(id);
      }
    }
    return evicted;
  }
}

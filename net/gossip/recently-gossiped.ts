/**
 * How long an update this node put on gossip (published, or accepted from gossip, which gossipsub
 * then forwards) is left to gossip: sync sessions do not send it to a peer during this time. Under
 * load a periodic session always finds updates still in flight on gossip; sending them by sync as
 * well doubles the work exactly when the node has least to spare, and the copies make more
 * sessions fan out. A peer that really lacks one gets it from the first session after the grace.
 */
export const SYNC_GOSSIP_GRACE_MS = 1_000;
/** Ids remembered at most; past this the oldest are forgotten early (they are then sent by sync). */
export const RECENTLY_GOSSIPED_MAX_IDS = 65_536;

/** The ids this node put on gossip in the last SYNC_GOSSIP_GRACE_MS, oldest first. */
export class RecentlyGossiped {
  private readonly at = new Map<string, number>();

  constructor(
    private readonly graceMs = SYNC_GOSSIP_GRACE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  mark(id: string): void {
    this.expire();
    if (this.at.size >= RECENTLY_GOSSIPED_MAX_IDS) this.at.delete(this.at.keys().next().value!);
    this.at.delete(id);
    this.at.set(id, this.now());
  }

  /**
   * Whether `id` was put on gossip within the grace, and not before `since` (the time, on this
   * clock, a peer's connection opened: gossip sent before that never reached the peer).
   */
  has(id: string, since = -Infinity): boolean {
    this.expire();
    const t = this.at.get(id);
    return t !== undefined && t >= since;
  }

  get size(): number {
    return this.at.size;
  }

  private expire(): void {
    const cutoff = this.now() - this.graceMs;
    for (const [id, t] of this.at) {
      if (t > cutoff) break;
      this.at.delete(id);
    }
  }
}

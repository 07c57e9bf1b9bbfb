/** How long a peer that broke the sync protocol is refused (connections in and out). */
export const PENALTY_BLOCK_MS = 60_000;
/** Peers remembered as blocked at once (oldest forgotten first). */
export const PENALTY_MAX_ENTRIES = 4_096;

/** Time-limited block list consulted by the connection gater. Clock injected for tests. */
export class Penalties {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  block(peer: string, ms = PENALTY_BLOCK_MS): void {
    if (this.until.size >= PENALTY_MAX_ENTRIES) this.until.delete(this.until.keys().next().value!);
    this.until.delete(peer);
    this.until.set(peer, this.now() + ms);
  }

  blocked(peer: string): boolean {
    const t = this.until.get(peer);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(peer);
    return false;
  }

  get size(): number {
    return this.until.size;
  }
}

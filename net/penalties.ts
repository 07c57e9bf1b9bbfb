/** How long a peer that broke the sync protocol is refused (connections in and out). */
export const PENALTY_BLOCK_MS = 60_000;
/** Stalls (timeouts) within PENALTY_STRIKE_WINDOW_MS before a peer is blocked. */
export const PENALTY_STALL_STRIKES = 3;
export const PENALTY_STRIKE_WINDOW_MS = 600_000;
/** Peers remembered at once (oldest forgotten first). */
export const PENALTY_MAX_ENTRIES = 4_096;

export enum Offence {
  /** Junk frames, invalid updates, limits exceeded: blocked at once. */
  Violation = 'violation',
  /** Timed out: could be a dead link, so only repeated stalls block. */
  Stall = 'stall',
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= PENALTY_MAX_ENTRIES) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Time-limited block list consulted by the connection gater. Clock injected for tests. */
export class Penalties {
  private readonly until = new Map<string, number>();
  private readonly stalls = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records an offence; returns true when the peer is now blocked. */
  offend(peer: string, offence: Offence): boolean {
    const t = this.now();
    if (offence === Offence.Stall) {
      const recent = (this.stalls.get(peer) ?? []).filter((at) => at > t - PENALTY_STRIKE_WINDOW_MS);
      recent.push(t);
      remember(this.stalls, peer, recent);
      if (recent.length < PENALTY_STALL_STRIKES) return false;
      this.stalls.delete(peer);
    }
    remember(this.until, peer, t + PENALTY_BLOCK_MS);
    return true;
  }

  blocked(peer: string): boolean {
    const t = this.until.get(peer);
    if (t === undefined) return false;
    if (t > this.now()) return true;
    this.until.delete(peer);
    return false;
  }
}

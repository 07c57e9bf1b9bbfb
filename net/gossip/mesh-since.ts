/**
 * When each peer joined this node's gossip mesh for the updates topic (performance.now() time), as
 * seen at gossipsub's heartbeats. gossipsub forwards a message only to mesh peers, so gossip
 * carries an update to a peer only if this node put it on gossip after the peer joined the mesh;
 * sync's hold-back (RecentlyGossiped) asks this. The time recorded is that of the first heartbeat
 * that saw the peer in the mesh, never earlier than the real join, so an error sends an update by
 * sync as well, and never leaves a peer waiting for a copy gossip will not bring. A peer pruned and
 * grafted again between two heartbeats is missed; the next periodic session covers it.
 * Bounded by the mesh (gossipsub's Dhi): peers that left it are dropped at each refresh.
 */
export class MeshSince {
  private readonly since = new Map<string, number>();

  constructor(
    private readonly meshPeers: () => readonly string[],
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Called at each gossipsub heartbeat. */
  refresh(): void {
    const t = this.now();
    const mesh = new Set(this.meshPeers());
    for (const p of this.since.keys()) if (!mesh.has(p)) this.since.delete(p);
    for (const p of mesh) if (!this.since.has(p)) this.since.set(p, t);
  }

  /** When `peer` joined the mesh, or Infinity while it is not in it. */
  of(peer: string): number {
    return this.since.get(peer) ?? Infinity;
  }
}

/**
 * As many nodes as this machine holds (100 by default), sparse random graph, oracles on one node
 * in ten, split into halves twice. Reports nodes, the p99 convergence time after heal and the
 * memory per node. Targets: at least 100 nodes, p99 under 2000 ms.
 */
export function scale(short: boolean, nodes = short ? 12 : 100): Record<string, unknown> {
  return {
    name: 'scale',
    description: `${nodes} nodes, random graph of mean degree 4, oracles on every tenth node, split into halves twice`,
    nodes,
    durationMs: short ? 8_000 : 45_000,
    settleMs: 30_000,
    topology: { kind: 'random', degree: 4 },
    link: { latencyMs: 5, jitterMs: 5, loss: 0 },
    sampleMs: 500,
    // Gossip carries the traffic and sync-on-connect the heals; a 1 s re-sync of 400 links would be most of the CPU.
    syncIntervalMs: 5_000,
    errorNodes: 2,
    partitions: [{ atMs: short ? 2_000 : 10_000, healMs: short ? 4_000 : 18_000, groups: 'halves', everyMs: short ? 4_000 : 16_000, repeat: 2 }],
    market: { feeds: ['ETH/USD'], intervalMs: 1_000, noise: 0.002, volatility: 0.001, startPrice: 2500, windowMs: 3_000 },
    roles: [{ role: 'oracle', nodes: Array.from({ length: Math.ceil(nodes / 10) }, (_, i) => i * 10).filter((i) => i < nodes) }],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'nodes', min: short ? 12 : 100 },
      { metric: 'converge_ms_p99', max: 2_000 },
    ],
  };
}

/**
 * 50 nodes on a sparse random graph (mean degree 4) with 20 ms links and 1% gossip loss,
 * split into halves three times. Ten nodes carry oracles. Every heal must converge within 15 s
 * (3 s for the 10-node short version): all 50 nodes share one JS thread here, and a heal
 * re-handshakes ~50 links at once (see docs/PERFORMANCE.md).
 */
export function partitionHeal50(short: boolean, n?: number): Record<string, unknown> {
  const nodes = n ?? (short ? 10 : 50);
  return {
    name: 'partition-heal-50',
    description: `${nodes} nodes, random graph of mean degree 4, 20±10 ms links, 1% loss, split into halves for 8 s three times`,
    nodes,
    durationMs: short ? 9_000 : 60_000,
    settleMs: 20_000,
    topology: { kind: 'random', degree: 4 },
    link: { latencyMs: 20, jitterMs: 10, loss: 0.01 },
    sampleMs: 250,
    errorNodes: 4,
    partitions: [{ atMs: short ? 2_000 : 10_000, healMs: short ? 5_000 : 18_000, groups: 'halves', everyMs: 18_000, repeat: 3 }],
    market: { feeds: ['ETH/USD', 'BTC/USD'], intervalMs: 1_000, noise: 0.002, volatility: 0.001, startPrice: 2500, windowMs: 3_000 },
    roles: [{ role: 'oracle', nodes: Array.from({ length: 10 }, (_, i) => Math.floor((i * nodes) / 10)) }],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'converge_ms_p99', max: short ? 3_000 : 15_000 },
      { metric: 'feed_error_pyth_max', max: 0.02 },
    ],
  };
}

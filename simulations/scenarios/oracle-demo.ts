/**
 * The original demo, on real nodes: 7 oracles, 2 of them Byzantine liars pushing prices 20%
 * high, the network split in two every 10 s (for 5 s). Honest aggregates must stay near the true
 * price on every node, the liars must be flagged, and every heal must converge quickly.
 */
export function oracleDemo(short: boolean): Record<string, unknown> {
  return {
    name: 'oracle-demo',
    description: '7 oracle nodes, 2 of them liars (+20%), partitioned into 4 | 3 for 5 s every 10 s',
    nodes: 7,
    durationMs: short ? 8_000 : 60_000,
    settleMs: 15_000,
    topology: { kind: 'full' },
    link: { latencyMs: 10, jitterMs: 10, loss: 0.01 },
    partitions: [{ atMs: short ? 2_000 : 10_000, healMs: short ? 4_000 : 15_000, groups: [[0, 1, 2, 5], [3, 4, 6]], everyMs: 10_000, repeat: 5 }],
    market: { feeds: ['ETH/USD', 'BTC/USD', 'SOL/USD'], intervalMs: 500, noise: 0.002, volatility: 0.001, startPrice: 2500, windowMs: 2_000 },
    roles: [
      { role: 'oracle', nodes: [0, 1, 2, 3, 4] },
      { role: 'liar', nodes: [5, 6], bias: 0.2 },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'converge_ms_p99', max: 3_000 },
      { metric: 'feed_error_pyth_max', max: 0.02 },
      { metric: 'feed_error_median_max', max: 0.02 },
      { metric: 'byzantine_inputs_flagged', min: 0.9 },
    ],
  };
}

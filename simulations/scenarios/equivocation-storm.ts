/**
 * Three equivocators fork their chains every 200 ms, sending each branch to a different honest
 * node, while a forger gossips broken signatures and a replayer resends old updates. Every honest
 * node must hold evidence against every equivocator, accept no forgery, and still converge.
 */
export function equivocationStorm(short: boolean): Record<string, unknown> {
  return {
    name: 'equivocation-storm',
    description: '10 nodes: 3 equivocators (a fork every 200 ms), a forger and a replayer beside 5 honest oracles',
    nodes: 10,
    durationMs: short ? 5_000 : 30_000,
    settleMs: 15_000,
    topology: { kind: 'random', degree: 4 },
    link: { latencyMs: 5, jitterMs: 5, loss: 0 },
    market: { feeds: ['ETH/USD'], intervalMs: 500, noise: 0.002, volatility: 0.001, startPrice: 2500, windowMs: 2_000 },
    roles: [
      { role: 'oracle', nodes: [0, 1, 2, 3, 4] },
      { role: 'equivocator', nodes: [5, 6, 7], intervalMs: 200 },
      { role: 'forger', nodes: [8], intervalMs: 100 },
      { role: 'replayer', nodes: [9], intervalMs: 200, batch: 20 },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'equivocators_found_by_all', min: 3 },
      { metric: 'forged_accepted', max: 0 },
      { metric: 'rejected_updates', min: 1 },
      { metric: 'feed_error_pyth_max', max: 0.02 },
    ],
  };
}

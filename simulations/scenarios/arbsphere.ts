/**
 * ArbSphere: two venues (nodes 0 and 1) hedge one pair by exchange ADMM with no coordinator, on a
 * 6-node network partitioned twice, with drifting clocks and a Byzantine adapter (node 5) sending
 * out-of-contract, impersonating and replayed messages. Passes when the hedge reaches the
 * centralized optimum within 1e-6, every honest node derives the same DualVariables, a replay of
 * one node's store gives the same decisions, and every Byzantine message is refused or ignored
 * with a typed code.
 */
export function arbsphere(short: boolean): Record<string, unknown> {
  return {
    name: 'arbsphere',
    description: '6 nodes: venues A and B hedging by exchange ADMM, partitions, clock drift, a Byzantine adapter',
    nodes: 6,
    durationMs: short ? 14_000 : 30_000,
    settleMs: 15_000,
    topology: { kind: 'random', degree: 3 },
    link: { latencyMs: 5, jitterMs: 5, loss: 0 },
    partitions: [{ atMs: short ? 2_000 : 4_000, healMs: short ? 3_500 : 7_000, groups: [[0, 2, 4], [1, 3, 5]], everyMs: short ? 3_000 : 8_000, repeat: 2 }],
    arbsphere: { rhoMilli: 2_500, maxIterations: 200, epsilon: 1 },
    roles: [
      { role: 'venue', nodes: [0, 1] },
      { role: 'arb-byzantine', nodes: [5] },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'hedge_gap_to_optimum', max: 1e-6 },
      { metric: 'iterations', min: 1 },
      { metric: 'nodes_agree', min: 1 },
      { metric: 'replay_identical', min: 1 },
      { metric: 'rejected_byzantine', min: 1 },
      { metric: 'rejected_untyped', max: 0 },
      { metric: 'decisions_traced', min: 1 },
      { metric: 'adapters_conformant', min: 1 },
    ],
  };
}

/**
 * Secure aggregation on real nodes: 8 honest members (one drops out of each round at a random
 * phase), one Byzantine member that deals a share its neighbour cannot decrypt and one that signs
 * a malformed masked vector. Every complete round must equal the plain fixed-point sum of its
 * survivors byte for byte, on every honest node; no Byzantine member survives; no honest member
 * reveals both shares of anyone.
 */
export function secagg(short: boolean): Record<string, unknown> {
  return {
    name: 'secagg',
    description: '10 nodes: 8 honest secure-aggregation members (1 dropout per round), 1 dealing a bad share, 1 sending a malformed masked vector',
    nodes: 10,
    durationMs: short ? 9_000 : 40_000,
    settleMs: 15_000,
    topology: { kind: 'random', degree: 4 },
    link: { latencyMs: 5, jitterMs: 5, loss: 0 },
    secagg: { stream: 'secure', dimension: short ? 4_096 : 65_536, roundMs: short ? 3_000 : 5_000, rounds: short ? 3 : 8, neighbours: 6, threshold: 4, scaleBits: 16, clipNorm: 1, noiseStd: 0, dropoutsPerRound: 1, keysWaitMs: 2_500, shareWaitMs: 1_200, maskWaitMs: 1_800 },
    roles: [
      { role: 'secagg', nodes: [0, 1, 2, 3, 4, 5, 6, 7] },
      { role: 'secagg-byzantine', nodes: [8], mode: 'bad-share' },
      { role: 'secagg-byzantine', nodes: [9], mode: 'bad-mask' },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'secagg_rounds_complete', min: short ? 3 : 8 },
      { metric: 'secagg_exact_fraction', min: 1 },
      { metric: 'secagg_digests_agree', min: 1 },
      { metric: 'secagg_byzantine_survivors', max: 0 },
      { metric: 'secagg_failed_untyped', max: 0 },
      { metric: 'secagg_double_reveals', max: 0 },
    ],
  };
}

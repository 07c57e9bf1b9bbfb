/**
 * Federated learning under poisoning: 7 honest delta producers, 3 poisoners (scaled, sign-flipped
 * and "a little is enough"). The mean is pulled far off; the robust rules must stay close to the
 * honest mean gradient, and Multi-Krum must reject the scaled and flipped deltas.
 */
export function flPoisoning(short: boolean): Record<string, unknown> {
  return {
    name: 'fl-poisoning',
    description: '10 nodes: 7 honest delta producers, 3 poisoners (x30 scale, x-3 sign flip, ALIE z=1); aggregators compared',
    nodes: 10,
    durationMs: short ? 6_000 : 30_000,
    settleMs: 15_000,
    topology: { kind: 'random', degree: 4 },
    link: { latencyMs: 5, jitterMs: 5, loss: 0 },
    learning: { stream: 'model', dimension: 64, roundMs: 1_000, samples: 64, learningRate: 0.02 },
    roles: [
      { role: 'delta', nodes: [0, 1, 2, 3, 4, 5, 6] },
      { role: 'poisoner', nodes: [7], mode: 'scale', factor: 30 },
      { role: 'poisoner', nodes: [8], mode: 'flip', factor: 3 },
      { role: 'poisoner', nodes: [9], mode: 'alie', factor: 1 },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'delta_error_mean_mean', min: 1 },
      { metric: 'delta_error_multi_krum_max', max: 0.6 },
      { metric: 'delta_error_median_max', max: 0.8 },
      { metric: 'poisoners_rejected_by_krum', min: 0.6 },
    ],
  };
}

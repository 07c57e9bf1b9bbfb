/**
 * A node goes offline while the others publish 50k updates, then restarts from its store and
 * catches up by sync. A flooder adds valid spam and orphans (updates whose parent it withholds)
 * that must stay within the pending-buffer bound.
 */
export function catchUp(short: boolean): Record<string, unknown> {
  const missed = short ? 2_000 : 50_000;
  return {
    name: 'catch-up',
    description: `5 nodes; node 4 is offline for ${missed} updates, then restarts from its store; a flooder sends spam and orphans`,
    nodes: 5,
    durationMs: short ? 8_000 : 60_000,
    settleMs: 60_000,
    topology: { kind: 'full' },
    syncIntervalMs: 1_000,
    churn: [{ node: 4, offAtMs: 500, onAfterUpdates: missed }],
    roles: [
      { role: 'publisher', nodes: [0, 1], ratePerS: short ? 300 : 1_000, opsPerUpdate: 1, updates: Math.ceil(missed / 2) + 500 },
      { role: 'flooder', nodes: [3], ratePerS: 20, orphansPerS: 20 },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'updates', min: missed },
      { metric: 'rejoin_catchup_ms_max', max: short ? 5_000 : 15_000 },
      { metric: 'pending_peak_count', max: 10_000 },
    ],
  };
}

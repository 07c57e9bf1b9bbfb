/**
 * Key rotation and a stolen key: 8 honest nodes with one rotating contributor each (a rotation
 * every 1.5 s), partitions into halves every 4 s, and a Byzantine node that steals the first
 * contributor's current key and attests with it, backdated; the registry authority revokes the
 * key at its last update before the theft and re-admits the identity under a new key. Fails when
 * an honest node diverges, or when any honest node holding the revocation counts an update the
 * stolen key signed after its cut-off.
 */
export function keyRotation(short: boolean): Record<string, unknown> {
  const duration = short ? 8_000 : 30_000;
  return {
    name: 'key-rotation',
    description: '9 nodes: 8 rotating contributors under repeated partitions; a thief steals one key; the authority revokes it and re-admits its owner',
    nodes: 9,
    durationMs: duration,
    settleMs: 15_000,
    topology: { kind: 'random', degree: 4 },
    link: { latencyMs: 5, jitterMs: 5, loss: 0 },
    partitions: [{ atMs: 1_000, healMs: 2_500, groups: [[0, 1, 2, 3], [4, 5, 6, 7, 8]], everyMs: 4_000, repeat: short ? 2 : 7 }],
    rotation: { feed: 'ROT/USD', intervalMs: 400, rotateEveryMs: 1_500, stealAtMs: Math.floor(duration / 4), revokeAtMs: Math.floor(duration / 2) },
    roles: [
      { role: 'rotator', nodes: [0, 1, 2, 3, 4, 5, 6, 7] },
      { role: 'thief', nodes: [8] },
    ],
    criteria: [
      { metric: 'converged', min: 1 },
      { metric: 'identities_agree', min: 1 },
      { metric: 'stolen_key_revoked', min: 1 },
      { metric: 'stolen_updates_signed', min: 1 },
      { metric: 'stolen_checks', min: 1 },
      { metric: 'stolen_counted_after_revocation', max: 0 },
      { metric: 'stolen_counted_at_end', max: 0 },
      { metric: 'key_rotations', min: short ? 16 : 100 },
    ],
  };
}

import type { ApiHost } from './http/api-host.js';

/** Why a node is not ready (GET /ready answers 503 with one of these). */
export enum NotReadyCode {
  /** Writes are refused (the store is failing, or the node is stopping): /health says which. */
  Unavailable = 'unavailable',
  NoPeers = 'no-peers',
  /** No sync session of this node's own has completed yet. */
  NotSynced = 'not-synced',
  /** The last session of this node's own brought updates it lacked: it may be behind still. */
  CatchingUp = 'catching-up',
  /** Updates wait in the pending buffer for deps this node lacks. */
  MissingDeps = 'missing-deps',
}

export type Readiness = { ready: true; lastSyncAgoMs: number } | { ready: false; code: NotReadyCode; reason: string };

/**
 * Readiness (for load balancers and orchestration; /health is liveness): ready when the node takes
 * writes, has a peer, its last own sync session found nothing it lacked, and nothing waits for a
 * missing dep. A catch-up is therefore "catching-up" until a session brings nothing new.
 */
export function readiness(node: ApiHost): Readiness {
  const down = node.unavailable;
  if (down !== null) return { ready: false, code: NotReadyCode.Unavailable, reason: `${down.code}: ${down.reason}` };
  if (node.network.peers().length === 0) return { ready: false, code: NotReadyCode.NoPeers, reason: 'no connected peers' };
  const last = node.network.sync.lastOutbound;
  if (last === null) return { ready: false, code: NotReadyCode.NotSynced, reason: 'no sync session of its own has completed yet' };
  if (last.accepted > 0) return { ready: false, code: NotReadyCode.CatchingUp, reason: `the last sync session brought ${last.accepted} updates this node lacked` };
  const pending = node.log.pendingCount;
  if (pending > 0) return { ready: false, code: NotReadyCode.MissingDeps, reason: `${pending} updates wait for deps this node lacks` };
  return { ready: true, lastSyncAgoMs: Math.round(performance.now() - last.atMs) };
}

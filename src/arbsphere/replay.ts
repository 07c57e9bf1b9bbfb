import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DocViews, Log, RegistryReader, type RegistryView } from '../../crdt/index.js';
import { UpdateStore } from '../store/update-store.js';
import { deriveSession, pairAdapters, type SessionState } from './session.js';

/** Every ArbSphere session's decisions, and the audit log, derived from a log: what replay compares. */
export function decisionsOf(log: Log, registry: RegistryView): { sessions: SessionState[]; auditEvents: number; digest: string } {
  const sessions = log.state.arbSessionKeys().map(({ pair, session }) => deriveSession(pair, session, log.state.arbOps(pair, session), pairAdapters(registry, pair)));
  const audit = log.state.auditLog();
  const h = createHash('sha256').update('murmur/arbsphere/replay/v1\0');
  for (const s of sessions) h.update(s.digest);
  for (const e of audit) h.update(e.updateId).update(String(e.index));
  return { sessions, auditEvents: audit.length, digest: h.digest('hex') };
}

/**
 * `murmur replay`: re-derives every plan, dual and audit event from a node's data dir (the node
 * must not be running on it), verifying every signature. The digest is identical across nodes and runs that
 * hold the same updates.
 */
export async function replayStore(dataDir: string, authorities: readonly string[]): Promise<ReturnType<typeof decisionsOf> & { updates: number; corrupt: number }> {
  const store = new UpdateStore(join(dataDir, 'store'));
  await store.open();
  try {
    // The network's authorities, as the node had them: identity rules (revocations) depend on them.
    const log = new Log({ authorities });
    const report = await store.replay(log, { verify: 'inline' });
    const registry = new RegistryReader(log, new DocViews(log.state)).view(new Set(authorities));
    return { ...decisionsOf(log, registry), updates: log.size, corrupt: report.corrupt.length };
  } finally {
    await store.close();
  }
}

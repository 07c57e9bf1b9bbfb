import { RejectCode } from '../crdt/index.js';
import { GossipErrorCode } from '../net/index.js';
import { BackendFailure } from '../kernels/index.js';
import type { ApiHost } from './http/api-host.js';

type Sample = [labels: Record<string, string>, value: number];

function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
    lines.push(`${name}${l.length > 0 ? `{${l.join(',')}}` : ''} ${value}`);
  }
  return lines.join('\n');
}

/** Prometheus text exposition (format 0.0.4) of the node's counters and gauges. */
export function renderMetrics(node: ApiHost): string {
  const s = node.log.stats;
  const sync = node.network.sync.metrics;
  const g = node.network.gossip;
  return (
    [
      family('murmur_peers', 'gauge', 'Connected peers.', [[{}, node.network.peers().length]]),
      family('murmur_updates', 'gauge', 'Accepted updates held.', [[{}, node.log.size]]),
      family('murmur_updates_accepted_total', 'counter', 'Updates accepted.', [[{}, s.accepted]]),
      family('murmur_updates_duplicate_total', 'counter', 'Updates offered again.', [[{}, s.duplicate]]),
      family(
        'murmur_updates_rejected_total',
        'counter',
        'Updates rejected, by code.',
        Object.values(RejectCode).map((code) => [{ code }, s.rejected[code] ?? 0]),
      ),
      family('murmur_pending_updates', 'gauge', 'Updates waiting for deps.', [[{}, node.log.pendingCount]]),
      family('murmur_pending_bytes', 'gauge', 'Bytes held by the pending buffer.', [[{}, node.log.pendingBytes]]),
      family('murmur_pending_evicted_total', 'counter', 'Pending updates evicted or refused by the bounds.', [[{}, s.pendingEvicted + s.pendingRefused]]),
      family('murmur_sync_sessions_total', 'counter', 'Completed sync sessions.', [[{}, sync.sessions]]),
      family('murmur_sync_rounds_total', 'counter', 'Sync turns read from peers (round trips; both directions).', [[{}, sync.rounds]]),
      family('murmur_sync_bytes_total', 'counter', 'Sync bytes by direction.', [
        [{ direction: 'in' }, sync.bytesIn],
        [{ direction: 'out' }, sync.bytesOut],
      ]),
      family('murmur_sync_forced_closes_total', 'counter', 'Sync streams aborted after a close timed out.', [[{}, sync.forcedCloses]]),
      family(
        'murmur_sync_failures_total',
        'counter',
        'Failed sync sessions by code.',
        Object.entries(sync.failures).map(([code, n]) => [{ code }, n ?? 0]),
      ),
      family(
        'murmur_gossip_messages_total',
        'counter',
        'Gossip messages validated, by action.',
        Object.entries(g.messages).map(([action, n]) => [{ action }, n]),
      ),
      family(
        'murmur_gossip_verdicts_total',
        'counter',
        'Gossip messages ignored or rejected, by code (mapped to the action in one place: net/gossip/gossip-validator.ts).',
        Object.values(GossipErrorCode).map((code) => [{ code }, g.byCode[code] ?? 0]),
      ),
      family('murmur_gossip_publish_queue', 'gauge', 'Updates waiting to be published.', [[{}, node.network.publishQueue]]),
      family('murmur_verifier_workers', 'gauge', 'Signature-verifier worker threads running.', [[{}, node.verifier.size]]),
      family('murmur_verifier_worker_crashes_total', 'counter', 'Verifier workers lost to a crash (replaced, or dropped past the respawn limit).', [[{}, node.verifier.crashes]]),
      family('murmur_store_errors_total', 'counter', 'Failed store writes.', [[{}, node.storeErrors]]),
      family('murmur_store_corrupt_records', 'gauge', 'Records skipped at start-up as corrupt.', [[{}, node.replay.corrupt.length]]),
      family('murmur_retention_compacted_total', 'counter', 'Ops compacted out of the derived state by retention, by kind.', [
        [{ kind: 'attestation' }, node.retention.stats.attestations],
        [{ kind: 'audit' }, node.retention.stats.audit],
      ]),
      family(
        'murmur_kernel_runs_total',
        'counter',
        'Aggregations run, by the backend that produced them.',
        ['webgpu', 'cpu'].map((backend) => [{ backend }, node.aggregates.metrics.runs[backend] ?? 0]),
      ),
      family(
        'murmur_kernel_fallbacks_total',
        'counter',
        'Kernel runs that fell back from WebGPU to the CPU, by reason.',
        Object.values(BackendFailure).map((reason) => [{ reason }, node.aggregates.metrics.fallbacks[reason] ?? 0]),
      ),
      family('murmur_kernel_device_lost_total', 'counter', 'WebGPU devices lost.', [[{}, node.aggregates.metrics.deviceLost]]),
      family('murmur_equivocations', 'gauge', 'Equivocations recorded.', [[{}, node.log.evidence().length]]),
    ].join('\n') + '\n'
  );
}

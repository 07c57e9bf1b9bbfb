import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RejectCode } from '../crdt/index.js';
import { GossipErrorCode } from '../net/index.js';
import { BackendFailure } from '../kernels/index.js';
import type { ApiHost, MetricsView } from './http/api-host.js';

type Sample = [labels: Record<string, string>, value: number];

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labelNames: string[];
  readonly samples: Sample[];
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[], labelNames = Object.keys(samples[0]?.[0] ?? {})): Family {
  return { name, type, help, labelNames, samples };
}

/** Buckets of the latency histograms, seconds. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The node's metrics on prom-client: the default process metrics (CPU, memory, event-loop lag,
 * GC), three histograms the node feeds, and every murmur_* family read from the node's own
 * counters at scrape time (names unchanged). Label values are escaped by prom-client.
 */
export class NodeMetrics implements MetricsView {
  readonly registry = new Registry();
  /** From an update's own timestamp (its author's clock) to its apply here; live updates only, not replay. */
  readonly publishToApply = new Histogram({ name: 'murmur_publish_to_apply_seconds', help: "Seconds from an update's timestamp (its author's clock) to its apply on this node.", buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly syncSession = new Histogram({ name: 'murmur_sync_session_seconds', help: 'Duration of completed sync sessions, by direction.', labelNames: ['direction'], buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly aggregation = new Histogram({ name: 'murmur_aggregation_seconds', help: 'Duration of aggregations served by the API, by kind.', labelNames: ['kind'], buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  private current = new Map<string, Family>();
  private registered = false;

  constructor(private readonly node: ApiHost) {
    collectDefaultMetrics({ register: this.registry });
    // prom-client's three gauges named *_total (totals of the per-type gauges it also exports)
    // fail `promtool check metrics`: a gauge must not end in _total. The per-type ones stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** Starts timing one aggregation; call the result when it is done. */
  timeAggregation(kind: 'feed' | 'delta' | 'secagg'): () => void {
    const end = this.aggregation.startTimer({ kind });
    return () => void end();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text; the murmur_* families are read from the node now. */
  async render(): Promise<string> {
    const families = metricFamilies(this.node);
    this.current = new Map(families.map((f) => [f.name, f]));
    if (!this.registered) {
      for (const f of families) this.register(f);
      this.registered = true;
    }
    return this.registry.metrics();
  }

  private register(f: Family): void {
    const read = (): Sample[] => this.current.get(f.name)?.samples ?? [];
    const opts = { name: f.name, help: f.help, labelNames: f.labelNames, registers: [this.registry] };
    if (f.type === 'gauge') {
      new Gauge({
        ...opts,
        collect() {
          this.reset();
          for (const [labels, v] of read()) this.set(labels, v);
        },
      });
    } else {
      new Counter({
        ...opts,
        collect() {
          this.reset();
          for (const [labels, v] of read()) if (v >= 0) this.inc(labels, v);
        },
      });
    }
  }
}

/** The node's own counters and gauges, read now. */
function metricFamilies(node: ApiHost): Family[] {
  const s = node.log.stats;
  const sync = node.network.sync.metrics;
  const g = node.network.gossip;
  return [
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
      family('murmur_sync_quiet_skips_total', 'counter', 'Periodic sync sessions skipped: nothing changed here since the peer was last known to hold everything (quiet sync).', [[{}, sync.quietSkips]]),
      family(
        'murmur_sync_failures_total',
        'counter',
        'Failed sync sessions by code.',
        Object.entries(sync.failures).map(([code, n]) => [{ code }, n ?? 0]),
        ['code'],
      ),
      family(
        'murmur_gossip_messages_total',
        'counter',
        'Gossip messages validated, by action.',
        Object.entries(g.messages).map(([action, n]) => [{ action }, n]),
        ['action'],
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
  ];
}

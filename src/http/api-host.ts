import type { DocViews, Log, RegistryView } from '../../crdt/index.js';
import type { MurmurNetwork } from '../../net/index.js';
import type { AggregationService } from '../aggregates/aggregation-service.js';
import type { NodeConfig } from '../config.js';
import type { UnavailableCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ReplayReport, UpdateStore } from '../store/update-store.js';
import type { VerifierPool } from '../verify/verifier-pool.js';
import type { RetentionStats } from '../retention.js';
import type { SubmitResult } from '../submit-result.js';

/** The node's metrics as the API serves and feeds them (src/metrics.ts NodeMetrics). */
export interface MetricsView {
  readonly contentType: string;
  render(): Promise<string>;
  timeAggregation(kind: 'feed' | 'delta' | 'secagg'): () => void;
}

/**
 * What the HTTP API and /metrics need from a node: a narrow view, so the HTTP layer depends on
 * this interface and not on MurmurNode (which creates the API server), and the import graph has
 * no cycle. MurmurNode implements it.
 */
export interface ApiHost {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly log: Log;
  readonly docs: DocViews;
  readonly network: MurmurNetwork;
  readonly aggregates: AggregationService;
  readonly verifier: VerifierPool;
  readonly replay: ReplayReport;
  readonly store: UpdateStore;
  readonly startedAt: number;
  readonly peerId: string;
  readonly storeErrors: number;
  readonly metrics: MetricsView;
  readonly retention: { readonly stats: RetentionStats };
  /** Why writes are refused now, or null. */
  readonly unavailable: { code: UnavailableCode; reason: string } | null;
  registryView(): RegistryView;
  feedWeights(feed: string): (feed: string, author: string) => number;
  identityOf(key: string): string;
  submit(bytes: Uint8Array): Promise<SubmitResult>;
}

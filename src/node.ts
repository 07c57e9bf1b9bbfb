import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DocViews, EQUATION, feedWeights, Log, RegistryReader, type RegistryView } from '../crdt/index.js';
import { KeyIndex, MurmurNetwork, type NetworkHooks } from '../net/index.js';
import { Ingest } from './ingest/ingest.js';
import type { NodeConfig } from './config.js';
import type { UnavailableCode } from './errors.js';
import type { SubmitResult } from './submit-result.js';
import type { ApiHost } from './http/api-host.js';
import { loadOrCreateKeyFile, loadTokenFile, secureDataDir } from './keys.js';
import { createLogger, type Logger } from './logger.js';
import { UpdateStore, type ReplayReport } from './store/update-store.js';
import { ApiServer } from './http/api-server.js';
import { AggregationService } from './aggregates/aggregation-service.js';
import { VerifierPool } from './verify/verifier-pool.js';
import { RetentionSweeper } from './retention.js';
import { NodeMetrics } from './metrics.js';

export { OFFER_YIELD_EVERY, SUBMIT_DURABLE_WAIT_MS } from './ingest/ingest.js';

export interface NodeOptions {
  config: NodeConfig;
  logger?: Logger;
  /** Identity seed to use instead of `<dataDir>/node.key` (simulations). */
  identitySeed?: Uint8Array;
  /** Serve the HTTP API (default true). */
  api?: boolean;
  /** Overrides the API's request time limit (tests of the limit). */
  apiRequestTimeoutMs?: number;
  /** Simulation hooks for the network (transports, partitions). */
  networkHooks?: NetworkHooks;
  /** A signature-verifier pool shared by many in-process nodes (the node then does not close it). */
  verifier?: VerifierPool;
}

export type { SubmitResult } from './submit-result.js';

/**
 * A murmur peer: the log, its store, the sync key index and the network, wired together.
 * Lifecycle: `MurmurNode.start()` opens the store, replays it, starts libp2p; `stop()` stops
 * accepting, flushes the store and closes connections.
 */
export class MurmurNode implements ApiHost {
  readonly log: Log;
  readonly index = new KeyIndex();
  readonly startedAt = Date.now();
  private stopping = false;
  /** The path of every update into this node: verify, offer, store, publish. */
  readonly ingest: Ingest;
  network!: MurmurNetwork;
  replay!: ReplayReport;
  api: ApiServer | null = null;
  /** Y.Docs of the documents carried by doc ops, and the registry over them. */
  readonly docs: DocViews;
  readonly registry: RegistryReader;
  private readonly authorities: ReadonlySet<string>;
  /** Aggregation kernels (WebGPU or CPU) and the privacy accountant. */
  readonly aggregates: AggregationService;
  /** Verifies large sync batches on all cores. */
  readonly verifier: VerifierPool;
  private readonly ownsVerifier: boolean;
  apiUrl: string | null = null;
  /** Compacts old attestations and audit events out of the derived state (config `retention`). */
  readonly retention: RetentionSweeper;
  /** prom-client registry behind /metrics, with the histograms the node feeds. */
  readonly metrics: NodeMetrics;

  private constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
    readonly store: UpdateStore,
    verifier: VerifierPool | undefined,
  ) {
    // The log keeps no update bytes: the store holds them (and answers for unwritten ones too).
    this.log = new Log({ bytes: store, indexKey: [...new Uint32Array(randomBytes(16).buffer)], authorities: config.registryAuthorities });
    // First: it reads the privacy ledger, and may refuse it before anything else is started.
    this.aggregates = new AggregationService(config, logger);
    this.verifier = verifier ?? new VerifierPool(undefined, config.verifierNice);
    this.ownsVerifier = verifier === undefined;
    this.ingest = new Ingest(this.log, this.index, store, this.verifier, logger);
    this.docs = new DocViews(this.log.state);
    this.registry = new RegistryReader(this.log, this.docs);
    this.authorities = new Set(config.registryAuthorities);
    this.retention = new RetentionSweeper(this.log, config.retention, logger);
    this.metrics = new NodeMetrics(this);
  }

  registryView(): RegistryView {
    return this.registry.view(this.authorities);
  }

  /**
   * Contributor weights of a feed: the registry's when the feed is registered (absent = 0, not
   * admitted), else 1 for all. Weights follow the identity, not the key (PROTOCOL.md §6a): a key
   * weighs what the registry gives the first key of its identity chain that it lists.
   */
  feedWeights(feed: string): (feed: string, author: string) => number {
    const weights = feedWeights(this.registryView(), feed);
    if (weights === null) return () => 1;
    // Asked several times per input (filter, sort): the chain walk is done once per author.
    const memo = new Map<string, number>();
    return (_feed, author) => {
      let w = memo.get(author);
      if (w === undefined) {
        w = this.log.identities.chainOf(author).map((k) => weights.get(k)).find((x) => x !== undefined) ?? 0;
        memo.set(author, w);
      }
      return w;
    };
  }

  /** The identity a key belongs to: the first key of its chain (itself when it never rotated). */
  identityOf(key: string): string {
    return this.log.identities.rootOf(key);
  }

  static async start(opts: NodeOptions): Promise<MurmurNode> {
    const { config } = opts;
    const logger = opts.logger ?? createLogger(config.logLevel);
    // Secrets first: a bad token or key file is refused before the store exists.
    const apiToken = opts.api !== false && config.apiTokenFile !== null ? loadTokenFile(config.apiTokenFile) : null;
    secureDataDir(config.dataDir);
    const identitySeed = opts.identitySeed ?? loadOrCreateKeyFile(join(config.dataDir, 'node.key')).seed;
    const store = new UpdateStore(join(config.dataDir, 'store'), { sync: config.storeSync });
    await store.open();
    let node: MurmurNode;
    try {
      node = new MurmurNode(config, logger, store, opts.verifier);
    } catch (err) {
      await store.close(); // an unreadable privacy ledger: nothing half-started
      throw err;
    }
    store.onHealth((err) => {
      if (err !== null) node.logger.error({ err }, 'store writes failing: refusing writes until they work again');
      else node.logger.warn('store writes work again: accepting writes');
    });
    try {
      // Signatures are checked on replay (the pool), unless the operator trusts the store. The
      // state-digest elements are computed here (VerifierPool.verify: replay is bound by the workers).
      node.replay = await store.replay(node.log, { verify: config.trustStoreOnStart ? 'trust' : { verifier: (u) => node.ingest.preverify(u, { elements: false }) } });
      for (const c of node.replay.corrupt) logger.error({ key: c.key, reason: c.reason }, 'corrupt store record skipped');
      if (node.replay.engineError !== null) logger.error({ err: node.replay.engineError }, 'store scan stopped early');
      node.log.trimToSize();
      if (opts.verifier === undefined) await node.verifier.recycle(); // replay's peak, given back
      node.retention.start(); // before anything is served: the replayed state is compacted first
      node.network = await MurmurNetwork.create(
        {
          networkId: config.networkId,
          identitySeed,
          listen: config.listen,
          bootstrap: config.bootstrap,
          mdns: config.mdns,
          maxConnections: config.maxConnections,
          syncIntervalMs: config.syncIntervalMs,
          reconnectMaxBackoffMs: config.reconnectMaxBackoffMs,
          ...(opts.networkHooks !== undefined ? { hooks: opts.networkHooks } : {}),
        },
        node.ingest,
      );
      node.ingest.attach(node.network);
      // Replayed updates are old: only live ones go into the latency histogram.
      node.log.onAccept((rec) => node.metrics.publishToApply.observe(Math.max(0, Date.now() - rec.timestampMs) / 1000));
      node.network.sync.onSessionEnd((seconds, initiator) => node.metrics.syncSession.observe({ direction: initiator ? 'outbound' : 'inbound' }, seconds));
      node.network.start();
      if (opts.api !== false) {
        node.api = new ApiServer(node, { token: apiToken, ...(opts.apiRequestTimeoutMs !== undefined ? { requestTimeoutMs: opts.apiRequestTimeoutMs } : {}) });
        node.apiUrl = await node.api.listen();
      }
    } catch (err) {
      await node.network?.stop().catch(() => undefined);
      await node.closeVerifier();
      node.aggregates.close();
      await store.close();
      throw err;
    }
    logger.info({ updates: node.log.size, digest: node.log.digest(), peerId: node.peerId, ed25519: EQUATION.backend }, 'node started');
    return node;
  }

  get peerId(): string {
    return this.network.libp2p.peerId.toString();
  }

  /** Whether the node takes writes now (Ingest.writable). */
  get writable(): boolean {
    return this.ingest.writable;
  }

  /** Why writes are refused, or null. */
  get unavailable(): { code: UnavailableCode; reason: string } | null {
    return this.ingest.unavailable;
  }

  /** Writes the store abandoned. */
  get storeErrors(): number {
    return this.ingest.storeErrors;
  }

  /** A contributor's update (Ingest.submit). */
  submit(bytes: Uint8Array): Promise<SubmitResult> {
    return this.ingest.submit(bytes);
  }

  private async closeVerifier(): Promise<void> {
    if (this.ownsVerifier) await this.verifier.close();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.ingest.stop();
    this.retention.stop();
    await this.api?.close();
    await this.network.stop();
    await this.closeVerifier();
    this.aggregates.close();
    await this.store.close();
    this.logger.info({ updates: this.log.size, digest: this.log.digest() }, 'node stopped');
    this.logger.flush();
  }
}

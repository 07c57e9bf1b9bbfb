import { join } from 'node:path';
import { DocViews, EQUATION, checkedOffer, feedWeights, Log, type SignatureCheck, RegistryReader, type Outcome, type RegistryView, type UpdateRecord } from '../crdt/index.js';
import { KeyIndex, type SyncKey } from '../net/sync/key-index.js';
import { MurmurNetwork, type NetworkHooks, type NetworkHost } from '../net/network.js';
import type { NodeConfig } from './config.js';
import { NodeUnavailableError, UnavailableCode } from './errors.js';
import { loadOrCreateKeyFile, loadTokenFile, secureDataDir } from './keys.js';
import { createLogger, type Logger } from './logger.js';
import { UpdateStore, type ReplayReport } from './store/update-store.js';
import { ApiServer } from './http/api-server.js';
import { AggregationService } from './aggregates/aggregation-service.js';
import { VerifierPool } from './verify/verifier-pool.js';
import { RecentlyGossiped } from '../net/gossip/recently-gossiped.js';
import { ArrivalOrder } from '../net/arrival-order.js';

/** Updates offered between two yields to the event loop during a sync batch. */
export const OFFER_YIELD_EVERY = 64;
/**
 * How long a submission's answer waits for its update (or the original of a duplicate) to be on
 * disk. Past it the answer is 503 `not-durable`: the update is accepted and its write is retried
 * until it succeeds, and the client's retry of the same bytes is answered once it is durable.
 */
export const SUBMIT_DURABLE_WAIT_MS = 5_000;

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

export interface SubmitResult {
  /** The log's outcome; a duplicate of an update still held pending is reported as pending. */
  outcome: Outcome;
  /** false when the update was accepted but the gossip queue was full (sync still spreads it). */
  published: boolean;
}

/**
 * A murmur peer: the log, its store, the sync key index and the network, wired together.
 * Lifecycle: `MurmurNode.start()` opens the store, replays it, starts libp2p; `stop()` stops
 * accepting, flushes the store and closes connections.
 */
export class MurmurNode implements NetworkHost {
  readonly log = new Log();
  readonly index = new KeyIndex();
  readonly startedAt = Date.now();
  private readonly writes = new Map<string, Promise<void>>();
  private replaying = true;
  private stopping = false;
  /** Updates gossip is carrying now: sync leaves them out for SYNC_GOSSIP_GRACE_MS. */
  private readonly gossiped = new RecentlyGossiped();
  /** Submissions are applied in the order they came (their checks run on the pool meanwhile). */
  private readonly submissions = new ArrivalOrder();
  storeErrors = 0;
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

  private constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
    readonly store: UpdateStore,
    verifier: VerifierPool | undefined,
  ) {
    // First: it reads the privacy ledger, and may refuse it before anything else is started.
    this.aggregates = new AggregationService(config, logger);
    this.verifier = verifier ?? new VerifierPool(undefined, config.verifierNice);
    this.ownsVerifier = verifier === undefined;
    this.log.onAccept((rec) => this.onAccepted(rec));
    this.docs = new DocViews(this.log.state);
    this.registry = new RegistryReader(this.log, this.docs);
    this.authorities = new Set(config.registryAuthorities);
  }

  registryView(): RegistryView {
    return this.registry.view(this.authorities);
  }

  /** Contributor weights of a feed: the registry's when the feed is registered (absent = 0, not admitted), else 1 for all. */
  feedWeights(feed: string): (feed: string, author: string) => number {
    const weights = feedWeights(this.registryView(), feed);
    return (_feed, author) => (weights === null ? 1 : (weights.get(author) ?? 0));
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
      // Signatures are checked on replay (the pool), unless the operator trusts the store.
      node.replay = await store.replay(node.log, { verify: config.trustStoreOnStart ? 'trust' : { verifier: (u) => node.preverify(u) } });
      for (const c of node.replay.corrupt) logger.error({ key: c.key, reason: c.reason }, 'corrupt store record skipped');
      if (node.replay.engineError !== null) logger.error({ err: node.replay.engineError }, 'store scan stopped early');
      node.replaying = false;
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
        node,
      );
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

  private onAccepted(rec: UpdateRecord): void {
    this.index.add({ height: rec.height, id: rec.id });
    if (this.replaying) return;
    // The store retries a failed batch until it succeeds (store.error meanwhile); this rejects
    // only when the store closes first.
    const w = this.store
      .append(rec)
      .catch((err: unknown) => {
        this.storeErrors++;
        this.logger.error({ err, id: rec.id }, 'store write abandoned');
        throw err;
      })
      .finally(() => this.writes.delete(rec.id));
    w.catch(() => undefined);
    this.writes.set(rec.id, w);
  }

  // --- NetworkHost (used by gossip and sync) ---

  /**
   * Updates released from the pending buffer were IGNOREd when they arrived by gossip, so gossipsub
   * never forwarded them: publish them now that they are valid. (A directly accepted gossip message
   * is forwarded by gossipsub itself; the first updates a sync session brings are relayed by `relay`.)
   */
  private publishReleased(o: Outcome): Outcome {
    if (o.status === 'accepted') this.relay(o.released);
    return o;
  }

  /**
   * Gossip messages and API submissions: signatures are checked on the worker pool, so the main
   * thread (which runs libp2p) only applies. While the pool is saturated the flags are `[]` and
   * Log.offer checks inline. Sync uses `preverify`, which waits for the pool instead: its batches
   * are bounded by its sessions.
   */
  checkSignatures(updates: Uint8Array[]): Promise<SignatureCheck[]> {
    return this.verifier.size > 0 && !this.verifier.saturated ? this.verifier.verify(updates) : Promise.resolve([]);
  }

  preverify(updates: Uint8Array[]): Promise<SignatureCheck[]> {
    return this.verifier.size > 0 ? this.verifier.verify(updates) : Promise.resolve([]);
  }

  /** Gossip's updates: as offerBatch, and the accepted ones are left to gossip for a while (RecentlyGossiped). */
  async offerGossip(updates: Uint8Array[], peer: string, verified: SignatureCheck[]): Promise<Outcome[]> {
    const out = await this.offerBatch(updates, peer, verified);
    const accepted = out.flatMap((o) => (o.status === 'accepted' ? [o.id] : []));
    // A message with an invalid update is REJECTed, so gossipsub never forwards it: its valid
    // updates are not on gossip, and are relayed by this node instead (relay marks them).
    if (out.some((o) => o.status === 'rejected')) this.relay(accepted);
    else for (const id of accepted) this.gossiped.mark(id);
    return out;
  }

  /** Queues an accepted update for gossip and, if queued, leaves it to gossip for the grace; false when the queue is full. */
  private gossip(id: string, bytes: Uint8Array): boolean {
    const queued = this.network.publish(bytes);
    if (queued) this.gossiped.mark(id);
    return queued;
  }

  /** Puts accepted updates on gossip (sync's fresh ones, SyncHost.relay; released ones), unless gossip already carries them. */
  relay(ids: readonly string[]): void {
    for (const id of ids) {
      const bytes = this.log.get(id)?.bytes;
      if (bytes !== undefined && !this.gossiped.has(id)) this.gossip(id, bytes);
    }
  }

  onGossip(id: string, since: number): boolean {
    return this.gossiped.has(id, since);
  }

  /**
   * An update whose flag is false is offered unflagged, so the log re-checks it and rejects it with
   * its exact code. Once the node is stopping nothing more is offered (the outcomes end early): an
   * update accepted after the store closed would be held but never stored. Sync brings the rest
   * after the restart.
   */
  async offerBatch(updates: Uint8Array[], _peer: string, verified: SignatureCheck[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    // While the store fails nothing more is accepted from peers either (their updates would only
    // queue in memory); sync brings them once it works again.
    for (let i = 0; i < updates.length && this.writable; i++) {
      out.push(this.publishReleased(this.log.offer(updates[i]!, checkedOffer(verified[i]))));
      if (i % OFFER_YIELD_EVERY === OFFER_YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
  }

  has(id: string): boolean {
    return this.log.has(id);
  }

  keyOf(id: string): SyncKey | undefined {
    const r = this.log.get(id);
    return r === undefined ? undefined : { height: r.height, id };
  }

  bytesOf(id: string): Uint8Array | undefined {
    return this.log.get(id)?.bytes;
  }

  wanted(max: number): string[] {
    return this.log.wanted(max);
  }

  // --- contributor submissions ---

  /**
   * Validates a contributor's update; if accepted, queues it for gossip at once and answers once
   * it (and anything it released) is stored. Gossip does not wait for the disk: the update is valid
   * and signed by its author whatever happens to this node's copy, and a failed write still fails
   * the answer, so the contributor retries (a duplicate is harmless). Rejected updates are never
   * stored or gossiped.
   */
  /** Whether the node takes writes now: not stopping, and the store's writes work. */
  get writable(): boolean {
    return !this.stopping && this.store.error === null;
  }

  /** Why writes are refused, or null. */
  get unavailable(): { code: UnavailableCode; reason: string } | null {
    if (this.stopping) return { code: UnavailableCode.Stopping, reason: 'node is stopping' };
    const err = this.store.error;
    return err === null ? null : { code: UnavailableCode.StoreUnavailable, reason: `store writes are failing: ${err.message}` };
  }

  /** Resolves once every listed update is on disk; throws NodeUnavailableError(not-durable) past SUBMIT_DURABLE_WAIT_MS. */
  private async durable(ids: readonly string[]): Promise<void> {
    const waits = ids.map((id) => this.writes.get(id)).filter((w) => w !== undefined);
    if (waits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NodeUnavailableError(UnavailableCode.NotDurable, 'accepted, but not yet on disk; retry the same update to learn when it is')), SUBMIT_DURABLE_WAIT_MS);
    });
    try {
      await Promise.race([Promise.all(waits), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async submit(bytes: Uint8Array): Promise<SubmitResult> {
    const down = this.unavailable;
    if (down !== null) throw new NodeUnavailableError(down.code, down.reason);
    // The signature is checked on the pool; submissions are applied in the order they came, so a
    // contributor's chain of updates never waits in the pending buffer for its own earlier link.
    const verified = this.checkSignatures([bytes]).catch((): SignatureCheck[] => []);
    const outcome = await this.submissions.run(verified, (flags) => this.publishReleased(this.log.offer(bytes, checkedOffer(flags[0]))));
    if (outcome.status === 'duplicate') {
      // Acknowledged means on disk: a duplicate is answered once the original is durable.
      if (!this.log.has(outcome.id)) return { outcome: { status: 'pending', id: outcome.id, missing: [], held: true }, published: false };
      await this.durable([outcome.id]);
      return { outcome, published: false };
    }
    if (outcome.status !== 'accepted') return { outcome, published: false };
    const published = this.gossip(outcome.id, bytes);
    await this.durable([outcome.id, ...outcome.released]);
    return { outcome, published };
  }

  private async closeVerifier(): Promise<void> {
    if (this.ownsVerifier) await this.verifier.close();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.api?.close();
    await this.network.stop();
    await this.closeVerifier();
    this.aggregates.close();
    await this.store.close();
    this.logger.info({ updates: this.log.size, digest: this.log.digest() }, 'node stopped');
    this.logger.flush();
  }
}

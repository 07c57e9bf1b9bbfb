import { checkedOffer, type Log, type Outcome, type SignatureCheck, type UpdateRecord } from '../../crdt/index.js';
import { ArrivalOrder, RecentlyGossiped, type KeyIndex, type MurmurNetwork, type NetworkHost, type SyncKey } from '../../net/index.js';
import { NodeUnavailableError, UnavailableCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UpdateStore } from '../store/update-store.js';
import type { SubmitResult } from '../submit-result.js';
import type { VerifierPool } from '../verify/verifier-pool.js';

/** Updates offered between two yields to the event loop during a sync batch. */
export const OFFER_YIELD_EVERY = 64;
/**
 * How long a submission's answer waits for its update (or the original of a duplicate) to be on
 * disk. Past it the answer is 503 `not-durable`: the update is accepted and its write is retried
 * until it succeeds, and the client's retry of the same bytes is answered once it is durable.
 */
export const SUBMIT_DURABLE_WAIT_MS = 5_000;

/**
 * The one path every update takes into a node, whichever way it came (HTTP submission, gossip,
 * sync): verify (on the worker pool) -> offer (the log) -> store (acknowledged once durable) ->
 * publish (gossip, or relay for what gossipsub will not forward). It is the network's host
 * (gossip validation and sync sessions call it); MurmurNode only wires it.
 */
export class Ingest implements NetworkHost {
  /** Updates being written: the answer to a submission (and to its duplicates) waits for them. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Updates gossip is carrying now: sync leaves them out for SYNC_GOSSIP_GRACE_MS. */
  private readonly gossiped = new RecentlyGossiped();
  /** Submissions are applied in the order they came (their checks run on the pool meanwhile). */
  private readonly submissions = new ArrivalOrder();
  private network: MurmurNetwork | null = null;
  /** While true (start-up replay), accepted updates are already on disk. */
  private replaying = true;
  private stopping = false;
  /** Writes the store abandoned (it only gives up when it closes while failing). */
  storeErrors = 0;

  constructor(
    readonly log: Log,
    readonly index: KeyIndex,
    private readonly store: UpdateStore,
    private readonly verifier: VerifierPool,
    private readonly logger: Logger,
  ) {
    log.onAccept((rec, bytes) => this.onAccepted(rec, bytes));
  }

  /** The network to publish on, once it exists; replay has ended then. */
  attach(network: MurmurNetwork): void {
    this.network = network;
    this.replaying = false;
  }

  /** Nothing more is taken (the node is stopping). */
  stop(): void {
    this.stopping = true;
  }

  private onAccepted(rec: UpdateRecord, bytes: Uint8Array): void {
    this.index.add({ height: rec.height, id: rec.id });
    if (this.replaying) return;
    // The store retries a failed batch until it succeeds (store.error meanwhile); this rejects
    // only when the store closes first.
    const w = this.store
      .append(rec, bytes)
      .catch((err: unknown) => {
        this.storeErrors++;
        this.logger.error({ err, id: rec.id }, 'store write abandoned');
        throw err;
      })
      .finally(() => this.writes.delete(rec.id));
    w.catch(() => undefined);
    this.writes.set(rec.id, w);
  }

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

  // --- verify ---

  /**
   * Gossip messages and API submissions: signatures are checked on the worker pool, so the main
   * thread (which runs libp2p) only applies. While the pool is saturated the flags are `[]` and
   * Log.offer checks inline. Sync uses `preverify`, which waits for the pool instead: its batches
   * are bounded by its sessions.
   */
  checkSignatures(updates: Uint8Array[]): Promise<SignatureCheck[]> {
    return this.verifier.size > 0 && !this.verifier.saturated ? this.verifier.verify(updates) : Promise.resolve([]);
  }

  preverify(updates: Uint8Array[], opts: { elements?: boolean } = {}): Promise<SignatureCheck[]> {
    return this.verifier.size > 0 ? this.verifier.verify(updates, opts) : Promise.resolve([]);
  }

  // --- offer (gossip and sync) ---

  /**
   * An update whose flag is false is offered unflagged, so the log re-checks it and rejects it with
   * its exact code. While the node is stopping or its store failing, nothing more is offered (the
   * outcomes end early): those updates would only queue in memory, or be held but never stored.
   * Sync brings them later.
   */
  async offerBatch(updates: Uint8Array[], _peer: string, verified: SignatureCheck[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (let i = 0; i < updates.length && this.writable; i++) {
      out.push(this.publishReleased(this.log.offer(updates[i]!, checkedOffer(verified[i]))));
      if (i % OFFER_YIELD_EVERY === OFFER_YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
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

  // --- publish ---

  /**
   * Updates released from the pending buffer were IGNOREd when they arrived by gossip, so gossipsub
   * never forwarded them: publish them now that they are valid. (A directly accepted gossip message
   * is forwarded by gossipsub itself; the first updates a sync session brings are relayed by `relay`.)
   */
  private publishReleased(o: Outcome): Outcome {
    if (o.status === 'accepted') this.relay(o.released);
    return o;
  }

  /** Queues an accepted update for gossip and, if queued, leaves it to gossip for the grace; false when the queue is full. */
  private gossip(id: string, bytes: Uint8Array): boolean {
    const queued = this.network?.publish(bytes) ?? false;
    if (queued) this.gossiped.mark(id);
    return queued;
  }

  /** Puts accepted updates on gossip (sync's fresh ones, SyncHost.relay; released ones), unless gossip already carries them. */
  relay(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.gossiped.has(id)) continue;
      const bytes = this.log.bytesOf(id);
      if (bytes !== undefined) this.gossip(id, bytes);
    }
  }

  // --- what sync reads ---

  onGossip(id: string, since: number): boolean {
    return this.gossiped.has(id, since);
  }

  has(id: string): boolean {
    return this.log.has(id);
  }

  keyOf(id: string): SyncKey | undefined {
    const r = this.log.get(id);
    return r === undefined ? undefined : { height: r.height, id };
  }

  bytesOf(id: string): Uint8Array | undefined {
    return this.log.bytesOf(id);
  }

  wanted(max: number): string[] {
    return this.log.wanted(max);
  }

  // --- contributor submissions ---

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

  /**
   * Validates a contributor's update; if accepted, queues it for gossip at once and answers once
   * it (and anything it released) is stored. Gossip does not wait for the disk: the update is valid
   * and signed by its author whatever happens to this node's copy. Rejected updates are never
   * stored or gossiped. Throws NodeUnavailableError while writes are refused, and `not-durable`
   * when the write takes longer than SUBMIT_DURABLE_WAIT_MS.
   */
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
}

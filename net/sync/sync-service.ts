import type { PeerId, Startable, Stream, Connection } from '@libp2p/interface';
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal';
import { FrameChannel, SyncError, SyncErrorCode } from './frame-channel.js';
import { DEFAULT_SYNC_LIMITS, SyncSession, type SessionResult, type SyncHost, type SyncLimits } from './sync-session.js';

/** Idle time allowed between two frames of a session. */
export const SYNC_READ_TIMEOUT_MS = 10_000;
/** Wall time allowed for one whole session (a 100k-update catch-up fits well inside). */
export const SYNC_SESSION_TIMEOUT_MS = 120_000;
/** Time allowed to open a sync stream. */
export const SYNC_OPEN_TIMEOUT_MS = 5_000;
/** Periodic re-sync with every connected peer. */
export const SYNC_INTERVAL_MS = 5_000;
/**
 * A periodic session with a peer is skipped when a session with it (either direction) ended
 * within this fraction of the interval: both ends run the same timer, and one reconciliation per
 * pair and interval is all the periodic safety net needs.
 */
export const SYNC_PERIODIC_SKIP_FRACTION = 0.8;
/** Delay before a sync requested by gossip (missing deps) runs; requests within it coalesce. */
export const SYNC_SOON_DELAY_MS = 50;
/** Concurrent inbound and outbound sync streams per connection. */
export const SYNC_MAX_STREAMS = 2;
/**
 * Sessions (either direction, with different peers) run at once per node. More than one keeps a
 * node that is syncing over a slow link from refusing everyone else; two sessions may then fetch
 * the same update twice (the log drops the copy), which costs bytes, never correctness.
 */
export const SYNC_MAX_SESSIONS = 4;
/**
 * Of those, inbound sessions (peers fetching from us) at once. The rest are kept for our own
 * outbound sessions (peers serving us): peers that only ask, a Sybil among them, can never take
 * every slot and starve this node's own catch-up.
 */
export const SYNC_MAX_INBOUND_SESSIONS = 2;
/** Inbound sessions one peer may hold at once (its connection may open SYNC_MAX_STREAMS streams, but gets one session). */
export const SYNC_MAX_INBOUND_PER_PEER = 1;
/** A session that could not run (the peer was busy with another) is retried this many times... */
export const SYNC_RETRIES = 3;
/** ...after about this delay, doubled each time (with jitter). */
export const SYNC_RETRY_BASE_MS = 100;
/** After a session brought new updates, the other peers are synced within this spread. */
export const SYNC_FANOUT_SPREAD_MS = 100;
/**
 * Least time between two fan-outs of one node; a fan-out asked for sooner is deferred to then
 * (coalesced). Under steady load a periodic session always finds a few updates still in flight on
 * gossip; without this bound each such session would fan out, and each fan-out session would find
 * more in flight, so sessions would multiply until the session cap. A heal or a catch-up still
 * spreads at once: the first fan-out runs immediately, later ones at most once per interval.
 */
export const SYNC_FANOUT_MIN_INTERVAL_MS = 1_000;

export interface SyncMetrics {
  sessions: number;
  rounds: number;
  bytesIn: number;
  bytesOut: number;
  updatesReceived: number;
  updatesSent: number;
  /** Sessions whose stream had to be aborted because a graceful close did not finish in time. */
  forcedCloses: number;
  /** Periodic sessions skipped because nothing changed here since the sets were last equal (quiet sync). */
  quietSkips: number;
  failures: Partial<Record<SyncErrorCode, number>>;
}

export interface SyncServiceInit {
  protocol: string;
  host: SyncHost;
  intervalMs?: number;
  readTimeoutMs?: number;
  sessionTimeoutMs?: number;
  limits?: SyncLimits;
  /** Called when a peer broke the protocol (junk, lies that exceed limits, stalls). */
  onMisbehaviour?: (peer: PeerId, err: SyncError) => void;
  /**
   * From when (performance.now() time) this node's gossip reaches `peer` (MeshSince): a session
   * holds back only updates put on gossip since then, and since the connection opened. Without
   * it, since the connection opened.
   */
  gossipSince?: (peer: PeerId) => number;
}

export interface SyncComponents {
  peerId: PeerId;
  registrar: Registrar;
  connectionManager: ConnectionManager;
}

/**
 * The catch-up sync protocol as a libp2p service: reconciles with each peer on connect, when gossip
 * reports missing deps, and every `intervalMs` (so a peer reached only through others still gets
 * everything, hop by hop). At most one outbound session per peer at a time.
 */
export class SyncService implements Startable {
  private readonly sessionEndListeners: ((seconds: number, initiator: boolean) => void)[] = [];

  /** Called after each completed session with its duration and whether this node started it. */
  onSessionEnd(fn: (seconds: number, initiator: boolean) => void): void {
    this.sessionEndListeners.push(fn);
  }

  /** The last outbound session that completed (performance.now() time): what readiness reads. */
  lastOutbound: { atMs: number; accepted: number; received: number } | null = null;
  readonly metrics: SyncMetrics = { sessions: 0, rounds: 0, bytesIn: 0, bytesOut: 0, updatesReceived: 0, updatesSent: 0, forcedCloses: 0, quietSkips: 0, failures: {} };
  private readonly running = new Map<string, Promise<SessionResult | null>>();
  /** Inbound sessions in progress (stop waits for them as for `running`). */
  private readonly inbound = new Set<Promise<void>>();
  /** Sessions (either direction) in progress, at most SYNC_MAX_SESSIONS. */
  private active = 0;
  /** Inbound sessions in progress per peer (at most SYNC_MAX_INBOUND_SESSIONS in all). */
  private readonly inboundByPeer = new Map<string, number>();
  private inboundActive = 0;
  private readonly queue: (() => void)[] = [];
  private readonly channels = new Set<FrameChannel>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private interval: NodeJS.Timeout | undefined;
  private lastFanOutAt = -Infinity;
  /** When the last session with each connected peer ended (pruned to connected peers by syncAll). */
  private readonly lastSessionAt = new Map<string, number>();
  /**
   * Quiet sync: for each connected peer, this node's key count when a session with it last showed
   * that the peer holds everything this node holds (nothing to send, nothing held back for
   * gossip). While the count is unchanged that stays true (sets only grow), so this node's
   * periodic session to that peer is skipped; if the peer gained something, the peer's own
   * periodic session (its count changed) brings it here. Any accept, a pending dep, or a new
   * connection ends the quiet.
   */
  private readonly quietAt = new Map<string, number>();
  private deferredFanOut: NodeJS.Timeout | undefined;
  private topologyId: string | undefined;
  private started = false;

  constructor(
    private readonly components: SyncComponents,
    private readonly init: SyncServiceInit,
  ) {}

  readonly [Symbol.toStringTag] = '@murmur/sync';

  async start(): Promise<void> {
    await this.components.registrar.handle(this.init.protocol, ({ stream, connection }) => {
      const p = this.respond(stream, connection);
      this.inbound.add(p);
      void p.finally(() => this.inbound.delete(p));
    }, {
      maxInboundStreams: SYNC_MAX_STREAMS,
      maxOutboundStreams: SYNC_MAX_STREAMS,
    });
    this.topologyId = await this.components.registrar.register(this.init.protocol, {
      // Both ends see the connection; only the lower peer id starts, so the pair runs one session.
      onConnect: (peer) => {
        if (this.components.peerId.toString() < peer.toString()) this.syncSoon(peer, 0);
      },
    });
    this.interval = setInterval(() => this.syncAll(), this.init.intervalMs ?? SYNC_INTERVAL_MS);
    this.interval.unref();
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.interval);
    clearTimeout(this.deferredFanOut);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.topologyId !== undefined) this.components.registrar.unregister(this.topologyId);
    await this.components.registrar.unhandle(this.init.protocol);
    // Do not wait for peers: abort open sessions, and let queued ones see `started` and give up.
    for (const ch of this.channels) ch.abort(new SyncError(SyncErrorCode.Closed, 'stopping'));
    for (const wake of this.queue.splice(0)) wake();
    await Promise.allSettled([...this.running.values(), ...this.inbound]);
  }

  /**
   * Schedules a session with `peer` after `delayMs` (coalescing repeated requests). If it cannot
   * run (the peer refused because it was busy, or the stream failed) while the peer is still
   * connected, it is retried up to SYNC_RETRIES times with backoff.
   */
  syncSoon(peer: PeerId, delayMs = SYNC_SOON_DELAY_MS, attempt = 0): void {
    const key = peer.toString();
    if (!this.started || this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      void this.syncWith(peer).then((r) => {
        if (r !== null || attempt >= SYNC_RETRIES || !this.connected(peer)) return;
        this.syncSoon(peer, SYNC_RETRY_BASE_MS * 2 ** attempt * (0.5 + Math.random()), attempt + 1);
      });
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  private connected(peer: PeerId): boolean {
    return this.components.connectionManager.getConnections(peer).length > 0;
  }

  /**
   * New updates arrived from `from`: sync with every other connected peer soon, so they spread
   * hop by hop at sync speed (beyond the session's relay allowance, or to peers gossip does not
   * reach). It stops by itself:
   * a session that brings nothing new fans out no further. At most one fan-out per
   * SYNC_FANOUT_MIN_INTERVAL_MS; one asked for sooner runs at the end of the interval.
   */
  private fanOut(from: PeerId | undefined): void {
    if (this.deferredFanOut !== undefined) return;
    const waitMs = this.lastFanOutAt + SYNC_FANOUT_MIN_INTERVAL_MS - performance.now();
    if (waitMs > 0) {
      this.deferredFanOut = setTimeout(() => {
        this.deferredFanOut = undefined;
        this.fanOut(undefined);
      }, waitMs);
      this.deferredFanOut.unref();
      return;
    }
    this.lastFanOutAt = performance.now();
    for (const c of this.components.connectionManager.getConnections()) {
      if (from === undefined || !c.remotePeer.equals(from)) this.syncSoon(c.remotePeer, Math.floor(Math.random() * SYNC_FANOUT_SPREAD_MS));
    }
  }

  /**
   * Schedules a session with every connected peer, spread over the next half interval (jitter),
   * except peers a session ended with recently (SYNC_PERIODIC_SKIP_FRACTION).
   */
  syncAll(): void {
    const peers = new Map(this.components.connectionManager.getConnections().map((c) => [c.remotePeer.toString(), c.remotePeer]));
    for (const key of this.lastSessionAt.keys()) if (!peers.has(key)) this.lastSessionAt.delete(key);
    for (const key of this.quietAt.keys()) if (!peers.has(key)) this.quietAt.delete(key);
    const intervalMs = this.init.intervalMs ?? SYNC_INTERVAL_MS;
    const recent = performance.now() - intervalMs * SYNC_PERIODIC_SKIP_FRACTION;
    const size = this.init.host.index.size;
    // Until an own session confirms the catch-up (brought nothing), stay loud: /ready reads it.
    const waiting = this.init.host.wanted(1).length > 0 || this.lastOutbound === null || this.lastOutbound.accepted > 0;
    for (const [key, peer] of peers) {
      if (!waiting && this.quietAt.get(key) === size) {
        this.metrics.quietSkips++;
        continue;
      }
      if ((this.lastSessionAt.get(key) ?? -Infinity) < recent) this.syncSoon(peer, Math.floor(Math.random() * (intervalMs / 2)));
    }
  }

  /** Runs one session with `peer` as initiator (or joins the one already running). */
  syncWith(peer: PeerId): Promise<SessionResult | null> {
    const key = peer.toString();
    const existing = this.running.get(key);
    if (existing !== undefined) return existing;
    const p = this.initiate(peer).finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }

  private async initiate(peer: PeerId): Promise<SessionResult | null> {
    await this.acquire();
    try {
      return await this.initiateLocked(peer);
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < SYNC_MAX_SESSIONS) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.started ? this.queue.shift() : undefined;
    if (next !== undefined) next();
    else this.active--;
  }

  private async initiateLocked(peer: PeerId): Promise<SessionResult | null> {
    if (!this.started) return null;
    let stream: Stream;
    let conn: Connection;
    try {
      conn = await this.components.connectionManager.openConnection(peer, { signal: AbortSignal.timeout(SYNC_OPEN_TIMEOUT_MS) });
      stream = await conn.newStream(this.init.protocol, { signal: AbortSignal.timeout(SYNC_OPEN_TIMEOUT_MS) });
    } catch {
      this.fail(SyncErrorCode.Closed);
      return null;
    }
    return this.session(stream, conn, true);
  }

  /** Inbound sessions running now (at most SYNC_MAX_INBOUND_SESSIONS). */
  get inboundSessions(): number {
    return this.inboundActive;
  }

  private async respond(stream: Stream, connection: Connection): Promise<void> {
    const key = connection.remotePeer.toString();
    const mine = this.inboundByPeer.get(key) ?? 0;
    if (this.active >= SYNC_MAX_SESSIONS || this.inboundActive >= SYNC_MAX_INBOUND_SESSIONS || mine >= SYNC_MAX_INBOUND_PER_PEER) {
      // Busy, or this peer already has its session: refuse; an honest peer retries (syncSoon's
      // backoff, then its next interval).
      stream.abort(new SyncError(SyncErrorCode.Closed, 'busy'));
      return;
    }
    this.active++;
    this.inboundActive++;
    this.inboundByPeer.set(key, mine + 1);
    try {
      await this.session(stream, connection, false);
    } finally {
      this.inboundActive--;
      const left = (this.inboundByPeer.get(key) ?? 1) - 1;
      if (left > 0) this.inboundByPeer.set(key, left);
      else this.inboundByPeer.delete(key);
      this.release();
    }
  }

  private async session(stream: Stream, conn: Connection, initiator: boolean): Promise<SessionResult | null> {
    const peer = conn.remotePeer;
    // timeline.open is wall-clock ms; RecentlyGossiped runs on performance.now().
    const connectedAt = performance.now() - (Date.now() - conn.timeline.open);
    const gossipSince = Math.max(connectedAt, this.init.gossipSince?.(peer) ?? -Infinity);
    const ch = new FrameChannel(stream, this.init.readTimeoutMs ?? SYNC_READ_TIMEOUT_MS);
    this.channels.add(ch);
    const deadline = setTimeout(
      () => ch.abort(new SyncError(SyncErrorCode.Timeout, 'session deadline')),
      this.init.sessionTimeoutMs ?? SYNC_SESSION_TIMEOUT_MS,
    );
    let closing = false;
    const startedAt = performance.now();
    try {
      const result = await new SyncSession(ch, this.init.host, peer.toString(), this.init.limits ?? DEFAULT_SYNC_LIMITS, gossipSince).run(initiator);
      // The close finishes in the background (bounded by SYNC_CLOSE_TIMEOUT_MS): a peer still
      // applying our last turn must not hold this session's slot or delay the fan-out.
      closing = true;
      void ch.close().then((ok) => {
        if (!ok) this.metrics.forcedCloses++;
        this.retire(ch);
      });
      this.metrics.sessions++;
      this.metrics.rounds += result.rounds;
      this.metrics.updatesReceived += result.received;
      this.metrics.updatesSent += result.sent;
      this.lastSessionAt.set(peer.toString(), performance.now());
      // The peer now holds everything this node held (it was sent nothing and nothing was held back).
      // A session that brought updates is followed by one more (it confirms the catch-up, which /ready reads).
      if (result.sent === 0 && result.leftOut === 0 && result.accepted === 0) this.quietAt.set(peer.toString(), this.init.host.index.size);
      else this.quietAt.delete(peer.toString());
      if (initiator) this.lastOutbound = { atMs: performance.now(), accepted: result.accepted, received: result.received };
      for (const fn of this.sessionEndListeners) fn((performance.now() - startedAt) / 1000, initiator);
      if (result.accepted > 0) this.fanOut(peer);
      return result;
    } catch (err) {
      const e = err instanceof SyncError ? err : new SyncError(SyncErrorCode.Closed, err instanceof Error ? err.message : String(err));
      this.fail(e.code);
      ch.abort(e);
      if (e.code !== SyncErrorCode.Closed) this.init.onMisbehaviour?.(peer, e);
      return null;
    } finally {
      clearTimeout(deadline);
      if (!closing) this.retire(ch);
    }
  }

  /** A channel is done (closed or aborted): count its bytes and stop tracking it. */
  private retire(ch: FrameChannel): void {
    this.channels.delete(ch);
    this.metrics.bytesIn += ch.bytesIn;
    this.metrics.bytesOut += ch.bytesOut;
  }

  private fail(code: SyncErrorCode): void {
    this.metrics.failures[code] = (this.metrics.failures[code] ?? 0) + 1;
  }
}

export function syncService(init: SyncServiceInit): (components: SyncComponents) => SyncService {
  return (components) => new SyncService(components, init);
}

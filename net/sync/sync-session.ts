import type { Outcome, SignatureCheck } from '../../crdt/index.js';
import type { KeyIndex, SyncKey } from './key-index.js';
import { FrameType, SYNC_MAX_RANGES, SYNC_MAX_WANT_PER_FRAME, SYNC_UPDATES_FIRST_FRAME_BYTES, SYNC_UPDATES_FRAME_TARGET_BYTES, type Range } from './messages.js';
import { initialRanges, processRanges } from './reconcile.js';
import { SyncError, SyncErrorCode, type FrameChannel } from './frame-channel.js';

/** What a sync session needs from the node. */
export interface SyncHost {
  readonly index: KeyIndex;
  has(id: string): boolean;
  keyOf(id: string): SyncKey | undefined;
  bytesOf(id: string): Uint8Array | undefined;
  /**
   * True while gossip is still carrying `id` to a peer it reaches since `since` (performance.now()
   * time: the later of the connection's opening and the peer's joining the mesh): it was put on
   * gossip within the grace and after `since` (RecentlyGossiped). Sessions leave such updates out.
   */
  onGossip(id: string, since: number): boolean;
  /** Dep ids that pending updates wait for. */
  wanted(max: number): string[];
  /**
   * Starts checking the signatures of a received batch (on worker threads); resolves to one
   * "verified" flag per update. Called as frames arrive, so checks overlap with applying.
   */
  preverify(updates: Uint8Array[]): Promise<SignatureCheck[]>;
  /** Offers updates received from `peer`, in order, with the flags from `preverify`; yields as it goes. */
  offerBatch(updates: Uint8Array[], peer: string, verified: SignatureCheck[]): Promise<Outcome[]>;
  /**
   * Puts updates this session just brought (accepted, so valid and new here) on gossip, so they
   * spread at gossip speed rather than one sync session per hop: after a heal, the peers on this
   * side of the cut lack them too. Called for at most `SyncLimits.maxRelayPerSession` of them.
   */
  relay(ids: readonly string[]): void;
}

export interface SyncLimits {
  /** Round trips one session may take before it is abandoned. */
  maxRounds: number;
  /** Ranges accepted from the peer in one turn. */
  maxRangesPerTurn: number;
  /** Ids the peer may ask for in one session. */
  maxWantPerSession: number;
  /** Invalid updates tolerated from the peer in one session before it is dropped and penalised. */
  maxRejectedPerSession: number;
  /** Updates we already had, tolerated from the peer in one session. */
  maxDuplicatesPerSession: number;
  /**
   * Updates of one session relayed on gossip (the first ones it brings). A heal-sized divergence
   * fits; a catch-up of a node that was offline does not, and relaying all of it would send its
   * peers, who mostly hold it already, every update again.
   */
  maxRelayPerSession: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxRounds: 24,
  maxRangesPerTurn: 8_192,
  maxWantPerSession: 1_000_000,
  maxRejectedPerSession: 8,
  maxDuplicatesPerSession: 50_000,
  maxRelayPerSession: 1_024,
};

/**
 * Extra wait for the first frame of the peer's next turn, per update we just sent: the peer
 * verifies and applies them before it answers (a 100k-update turn takes seconds).
 */
const REPLY_ALLOWANCE_MS_PER_UPDATE = 1;

/** Received UPDATES frames being verified or applied at once (read-ahead bound). */
const APPLY_AHEAD_FRAMES = 4;

/** Sent frames are allowed to queue up to this many bytes before the sender waits for the stream. */
const SEND_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const WANTED_IN_FIRST_TURN = 1_024;

export interface SessionResult {
  /** Turns read from the peer (the initiator's round trips; the responder counts the same way). */
  rounds: number;
  received: number;
  accepted: number;
  sent: number;
  /** Updates this side held back because gossip was still carrying them to the peer. */
  leftOut: number;
}

interface Turn {
  ranges: Range[];
  wants: string[];
  more: boolean;
}

/**
 * One reconciliation session over `ch`, as initiator or responder (the loop is symmetric): each
 * turn carries updates the peer lacks, ids we want, ranges still to settle, and a `more` flag.
 * The session ends when neither side has anything left to ask.
 */
export class SyncSession {
  private readonly result: SessionResult = { rounds: 0, received: 0, accepted: 0, sent: 0, leftOut: 0 };
  private rejected = 0;
  private duplicates = 0;
  private wantsServed = 0;
  private relayed = 0;
  private lastTurnSent = 0;
  private applying: Promise<void> = Promise.resolve();
  /** Apply-chain links of the frames received last, oldest first (at most APPLY_AHEAD_FRAMES). */
  private readonly frames: Promise<void>[] = [];

  constructor(
    private readonly ch: FrameChannel,
    private readonly host: SyncHost,
    private readonly peer: string,
    private readonly limits: SyncLimits = DEFAULT_SYNC_LIMITS,
    /** Since when this node's gossip reaches the peer (performance.now() time; SyncServiceInit.gossipSince). */
    private readonly gossipSince = -Infinity,
  ) {}

  /** Runs the session; even when it fails, the frames already received are applied (or refused) before it returns. */
  async run(initiator: boolean): Promise<SessionResult> {
    try {
      return await this.turns(initiator);
    } finally {
      // A failed read leaves earlier frames applying; they must not outlive the session (the node
      // may be stopping and its store closing).
      await this.applying.catch(() => undefined);
    }
  }

  private async turns(initiator: boolean): Promise<SessionResult> {
    if (initiator) await this.sendTurn(initialRanges(this.host.index), this.host.wanted(WANTED_IN_FIRST_TURN), [], true);
    for (;;) {
      const t = await this.readTurn();
      if (t === null) break;
      // Both sides count: a responder would otherwise answer a peer that never stops asking.
      if (++this.result.rounds > this.limits.maxRounds) {
        throw new SyncError(SyncErrorCode.TooMuch, `more than ${this.limits.maxRounds} round trips`);
      }
      const step = processRanges(this.host.index, t.ranges, this.limits.maxRangesPerTurn);
      this.wantsServed += t.wants.length;
      if (this.wantsServed > this.limits.maxWantPerSession) throw new SyncError(SyncErrorCode.TooMuch, 'peer asked for too many updates');
      const candidates = [...new Set([...step.send, ...t.wants.filter((id) => this.host.has(id))])];
      const send = candidates.filter((id) => !this.host.onGossip(id, this.gossipSince));
      this.result.leftOut += candidates.length - send.length;
      const want = step.want.filter((id) => !this.host.has(id));
      const more = step.ranges.length > 0 || want.length > 0;
      if (!t.more && send.length === 0 && !more) break;
      await this.sendTurn(step.ranges, want, send, more);
      if (!more && !t.more) break;
    }
    return this.result;
  }

  private async readTurn(): Promise<Turn | null> {
    const turn: Turn = { ranges: [], wants: [], more: false };
    let extraMs = this.lastTurnSent * REPLY_ALLOWANCE_MS_PER_UPDATE;
    for (;;) {
      const f = await this.ch.read(extraMs);
      extraMs = 0;
      if (f === null) {
        await this.applying;
        return null;
      }
      switch (f.type) {
        case FrameType.TurnEnd:
          await this.applying; // everything the peer sent this turn is applied before we answer
          turn.more = f.more;
          return turn;
        case FrameType.Reconcile:
          turn.ranges.push(...f.ranges);
          if (turn.ranges.length > this.limits.maxRangesPerTurn) throw new SyncError(SyncErrorCode.TooMuch, 'too many ranges in one turn');
          break;
        case FrameType.Want:
          turn.wants.push(...f.ids);
          if (this.wantsServed + turn.wants.length > this.limits.maxWantPerSession) throw new SyncError(SyncErrorCode.TooMuch, 'peer asked for too many updates');
          break;
        case FrameType.Updates:
          await this.receive(f.updates);
          break;
      }
    }
  }

  /**
   * Starts verifying `updates` at once and queues them to be applied after earlier frames; waits
   * only when APPLY_AHEAD_FRAMES frames are in flight, and then only for the oldest, so the pool
   * verifies the next frames while this one is applied.
   */
  private async receive(updates: Uint8Array[]): Promise<void> {
    const verified = this.host.preverify(updates);
    // Awaited in the apply chain below; if an earlier link fails first, that await never runs,
    // and a later rejection (the pool closing on shutdown) must not go unhandled.
    verified.catch(() => undefined);
    const link = this.applying.then(async () => {
      const outcomes = await this.host.offerBatch(updates, this.peer, await verified);
      this.count(updates.length, outcomes);
      this.relay(outcomes);
    });
    link.catch(() => undefined); // observed by the awaits below and at the turn's end
    this.applying = link;
    this.frames.push(link);
    if (this.frames.length >= APPLY_AHEAD_FRAMES) await this.frames.shift();
  }

  private count(received: number, outcomes: Outcome[]): void {
    this.result.received += received;
    for (const o of outcomes) {
      if (o.status === 'accepted') this.result.accepted += 1 + o.released.length;
      else if (o.status === 'rejected') this.rejected++;
      else if (o.status === 'duplicate') this.duplicates++;
    }
    if (this.rejected > this.limits.maxRejectedPerSession) throw new SyncError(SyncErrorCode.Protocol, `peer sent ${this.rejected} invalid updates`);
    if (this.duplicates > this.limits.maxDuplicatesPerSession) throw new SyncError(SyncErrorCode.TooMuch, `peer sent ${this.duplicates} updates we had`);
  }

  /** Relays the accepted updates of a batch while the session's relay allowance lasts. */
  private relay(outcomes: Outcome[]): void {
    const room = this.limits.maxRelayPerSession - this.relayed;
    if (room <= 0) return;
    const fresh = outcomes.flatMap((o) => (o.status === 'accepted' ? [o.id] : [])).slice(0, room);
    this.relayed += fresh.length;
    if (fresh.length > 0) this.host.relay(fresh);
  }

  private async sendTurn(ranges: Range[], want: string[], send: string[], more: boolean): Promise<void> {
    const keyed = send.map((id) => ({ id, key: this.host.keyOf(id) })).filter((x) => x.key !== undefined);
    keyed.sort((a, b) => a.key!.height - b.key!.height || (a.id < b.id ? -1 : 1)); // deps before dependents
    let batch: Uint8Array[] = [];
    let bytes = 0;
    let queued = 0;
    let target = SYNC_UPDATES_FIRST_FRAME_BYTES; // slow start: small frames first, doubling
    this.lastTurnSent = keyed.length;
    for (const { id } of keyed) {
      const u = this.host.bytesOf(id);
      if (u === undefined) continue;
      batch.push(u);
      bytes += u.length;
      if (bytes >= target) {
        queued += this.flushUpdates(batch);
        batch = [];
        bytes = 0;
        target = Math.min(2 * target, SYNC_UPDATES_FRAME_TARGET_BYTES);
        if (queued >= SEND_HIGH_WATER_BYTES) {
          await this.ch.drained();
          queued = 0;
        }
      }
    }
    if (batch.length > 0) this.flushUpdates(batch);
    for (let i = 0; i < want.length; i += SYNC_MAX_WANT_PER_FRAME) this.ch.send({ type: FrameType.Want, ids: want.slice(i, i + SYNC_MAX_WANT_PER_FRAME) });
    for (let i = 0; i < ranges.length; i += SYNC_MAX_RANGES) this.ch.send({ type: FrameType.Reconcile, ranges: ranges.slice(i, i + SYNC_MAX_RANGES) });
    this.ch.send({ type: FrameType.TurnEnd, more });
  }

  private flushUpdates(batch: Uint8Array[]): number {
    this.result.sent += batch.length;
    const before = this.ch.bytesOut;
    this.ch.send({ type: FrameType.Updates, updates: batch });
    return this.ch.bytesOut - before;
  }
}

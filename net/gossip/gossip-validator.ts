import { DecodeError, RejectCode, type Outcome, type SignatureCheck } from '../../crdt/index.js';
import { decodeGossipFrame } from './gossip-frame.js';
import { GossipAction, GossipErrorCode, GossipValidationError } from './gossip-errors.js';
import { ArrivalOrder } from '../arrival-order.js';

/**
 * Gossip messages in validation at once (verifying or waiting for their turn to be applied). Past
 * this a message is IGNOREd unread: it is in gossipsub's seen-cache by then, so its updates come
 * later through sync, and nothing valid is lost.
 */
export const GOSSIP_MAX_VALIDATING = 1_024;
/**
 * Messages from one peer in validation at once. Past this that peer's next message is IGNOREd
 * (`peer-overloaded`) the same way, so one flooding peer cannot take every validation slot and
 * push honest peers' messages onto the slower sync path.
 */
export const GOSSIP_MAX_VALIDATING_PER_PEER = 256;

export interface GossipVerdict {
  readonly action: GossipAction;
  readonly error: GossipValidationError | null;
  readonly outcomes: readonly Outcome[];
  /** Dep ids still missing after this message (for sync to fetch from the sender). */
  readonly missing: readonly string[];
}

/** What validation needs from the node. */
export interface GossipHost {
  /**
   * Starts checking the signatures of a message's updates (on worker threads); one flag per
   * update, or `[]` to leave the checks to the log (inline).
   */
  checkSignatures(updates: Uint8Array[]): Promise<SignatureCheck[]>;
  /** Offers a message's updates in order with those flags (as SyncHost.offerBatch does for sync). */
  offerGossip(updates: Uint8Array[], peer: string, verified: SignatureCheck[]): Promise<Outcome[]>;
}

/**
 * The topic validator's body. Signatures of several messages are checked at once off the main
 * thread, but messages are applied in arrival order, so an update that came after its dep is never
 * parked in the pending buffer (nor triggers a sync) only because its check finished first.
 * Verdict per message: REJECT if any update is invalid (peer scoring penalises the sender),
 * ACCEPT if any was applied, IGNORE otherwise (duplicates, updates waiting for deps, overload).
 */
export class GossipValidator {
  private readonly order = new ArrivalOrder();
  private validating = 0;
  /** Messages in validation per peer (a peer leaves the map when it has none). */
  private readonly perPeer = new Map<string, number>();

  constructor(private readonly host: GossipHost) {}

  /** Messages in validation now (at most GOSSIP_MAX_VALIDATING). */
  get inFlight(): number {
    return this.validating;
  }

  async validate(data: Uint8Array, peer: string): Promise<GossipVerdict> {
    let updates: Uint8Array[];
    try {
      updates = decodeGossipFrame(data);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return verdict(GossipAction.Reject, GossipErrorCode.BadFrame, [], err.code);
    }
    if (this.validating >= GOSSIP_MAX_VALIDATING) return verdict(GossipAction.Ignore, GossipErrorCode.Overloaded, []);
    const mine = this.perPeer.get(peer) ?? 0;
    if (mine >= GOSSIP_MAX_VALIDATING_PER_PEER) return verdict(GossipAction.Ignore, GossipErrorCode.PeerOverloaded, []);
    this.validating++;
    this.perPeer.set(peer, mine + 1);
    try {
      const verified = this.host.checkSignatures(updates).catch((): SignatureCheck[] => []);
      return judge(await this.order.run(verified, (flags) => this.host.offerGossip(updates, peer, flags)));
    } finally {
      this.validating--;
      const left = this.perPeer.get(peer)! - 1;
      if (left === 0) this.perPeer.delete(peer);
      else this.perPeer.set(peer, left);
    }
  }
}

function verdict(action: GossipAction, code: GossipErrorCode, outcomes: readonly Outcome[], rejectCode?: RejectCode, missing: readonly string[] = []): GossipVerdict {
  return { action, error: new GossipValidationError(action, code, rejectCode), outcomes, missing };
}

/** The message's verdict from its updates' outcomes. */
function judge(outcomes: readonly Outcome[]): GossipVerdict {
  const missing = outcomes.flatMap((o) => (o.status === 'pending' ? o.missing : []));
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected !== undefined) {
    const code = rejected.status === 'rejected' ? rejected.code : RejectCode.BadEncoding;
    return verdict(GossipAction.Reject, GossipErrorCode.InvalidUpdate, outcomes, code, missing);
  }
  if (outcomes.some((o) => o.status === 'accepted')) return { action: GossipAction.Accept, error: null, outcomes, missing };
  return verdict(GossipAction.Ignore, missing.length > 0 ? GossipErrorCode.MissingDeps : GossipErrorCode.AllDuplicate, outcomes, undefined, missing);
}

import { DecodeError, RejectCode, type Outcome } from '../../crdt/index.js';
import { decodeGossipFrame } from './gossip-frame.js';
import { GossipAction, GossipErrorCode, GossipValidationError } from './gossip-errors.js';

export interface GossipVerdict {
  readonly action: GossipAction;
  readonly error: GossipValidationError | null;
  readonly outcomes: readonly Outcome[];
  /** Dep ids still missing after this message (for sync to fetch from the sender). */
  readonly missing: readonly string[];
}

/**
 * Runs every update of a gossip message through `offer` and decides the message's fate:
 * REJECT if any update is invalid (peer scoring penalises the sender), ACCEPT if any was applied,
 * IGNORE otherwise (duplicates, or updates waiting for deps).
 */
export function validateGossip(data: Uint8Array, offer: (bytes: Uint8Array) => Outcome): GossipVerdict {
  let updates: Uint8Array[];
  try {
    updates = decodeGossipFrame(data);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    const error = new GossipValidationError(GossipAction.Reject, GossipErrorCode.BadFrame, err.code);
    return { action: GossipAction.Reject, error, outcomes: [], missing: [] };
  }
  const outcomes = updates.map(offer);
  const missing = outcomes.flatMap((o) => (o.status === 'pending' ? o.missing : []));
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected !== undefined) {
    const code = rejected.status === 'rejected' ? rejected.code : RejectCode.BadEncoding;
    return { action: GossipAction.Reject, error: new GossipValidationError(GossipAction.Reject, GossipErrorCode.InvalidUpdate, code), outcomes, missing };
  }
  if (outcomes.some((o) => o.status === 'accepted')) return { action: GossipAction.Accept, error: null, outcomes, missing };
  const code = missing.length > 0 ? GossipErrorCode.MissingDeps : GossipErrorCode.AllDuplicate;
  return { action: GossipAction.Ignore, error: new GossipValidationError(GossipAction.Ignore, code), outcomes, missing };
}

import { CodedError, type RejectCode } from '../../crdt/index.js';

/** What gossipsub does with a message (mirrors TopicValidatorResult). */
export enum GossipAction {
  Accept = 'accept',
  Ignore = 'ignore',
  Reject = 'reject',
}

export enum GossipErrorCode {
  /** The frame around the updates is malformed. */
  BadFrame = 'bad-frame',
  /** At least one update was rejected by the log (the first rejection's code is kept). */
  InvalidUpdate = 'invalid-update',
  /** Every update was already known. */
  AllDuplicate = 'all-duplicate',
  /** Nothing new could be applied yet: some deps are missing (they are fetched through sync). */
  MissingDeps = 'missing-deps',
  /** GOSSIP_MAX_VALIDATING messages were already in validation; the updates come through sync. */
  Overloaded = 'overloaded',
  /** GOSSIP_MAX_VALIDATING_PER_PEER messages of this peer were already in validation; as `overloaded`. */
  PeerOverloaded = 'peer-overloaded',
}

/** A coded gossip validation error with its action, in the style of lodestar's GossipActionError. */
export class GossipValidationError extends CodedError<GossipErrorCode> {
  constructor(
    readonly action: GossipAction,
    code: GossipErrorCode,
    readonly rejectCode?: RejectCode,
  ) {
    super(code, rejectCode === undefined ? code : `${code}: ${rejectCode}`);
  }
}

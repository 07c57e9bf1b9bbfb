import type { Outcome } from '../crdt/index.js';

/** A submission's answer (MurmurNode.submit). */
export interface SubmitResult {
  /** The log's outcome; a duplicate of an update still held pending is reported as pending. */
  outcome: Outcome;
  /** false when the update was accepted but the gossip queue was full (sync still spreads it). */
  published: boolean;
}

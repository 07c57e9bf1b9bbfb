import { createPeerScoreParams, createTopicScoreParams, type PeerScoreParams, type PeerScoreThresholds } from '@chainsafe/libp2p-gossipsub/score';

/**
 * Gossipsub peer scoring for murmur's one topic. Each number has its reason; only REJECTed
 * messages (invalid updates, which no honest peer relays, because it validates before relaying)
 * cost a peer score. IGNORE (duplicates, missing deps) never does: honest peers send those all the
 * time during partitions and catch-up.
 */
export function murmurPeerScoreParams(topic: string): Partial<PeerScoreParams> {
  return createPeerScoreParams({
    // Scores decay so a peer that stops misbehaving can recover within minutes.
    decayInterval: 1_000,
    decayToZero: 0.01,
    // Application-specific score is unused: penalties for sync misbehaviour close the connection instead.
    appSpecificScore: () => 0,
    // Many honest nodes may share one IP (simulations, NAT); do not punish co-location.
    IPColocationFactorWeight: 0,
    // A peer whose messages we keep rejecting is the only thing we punish, so behaviour penalty is off.
    behaviourPenaltyWeight: 0,
    topics: {
      [topic]: createTopicScoreParams({
        topicWeight: 1,
        // No reward for first deliveries or time in mesh: scores only move down on invalid input,
        // so a peer's score is a clean record of how much junk it sent.
        timeInMeshWeight: 0,
        firstMessageDeliveriesWeight: 0,
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        // Each rejected message costs -10 (squared counter, so a flood falls fast); decays by
        // 10% a second, so a single mistake is forgotten in under a minute.
        invalidMessageDeliveriesWeight: -10,
        invalidMessageDeliveriesDecay: 0.9,
      }),
    },
  });
}

/** Thresholds: one invalid message (-10) already stops gossip to and from the peer for a while. */
export const MURMUR_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5,
};

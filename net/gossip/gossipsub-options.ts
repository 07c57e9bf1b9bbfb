import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub';
import { MURMUR_SCORE_THRESHOLDS, murmurPeerScoreParams } from '../peer-score-params.js';
import { GOSSIP_MAX_MESSAGE_BYTES, gossipMessageId } from './gossip-frame.js';

/** Past any gossip message's size: this node never sends IDONTWANT (see gossipsubOptions). */
export const GOSSIP_NO_IDONTWANT_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * The node's gossipsub settings for its updates topic (one place, so that the delivery bench's
 * bare-gossipsub baseline runs the very same stack).
 */
export function gossipsubOptions(topic: string): Partial<GossipsubOpts> {
  return {
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: (msg) => gossipMessageId(msg.data),
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    maxInboundDataLength: GOSSIP_MAX_MESSAGE_BYTES + 1024,
    // Validation is reported later (MurmurNetwork.wire): a message is forwarded once validated, and
    // not to the peers that sent it a copy meanwhile (gossipsub's "originating peers").
    asyncValidation: true,
    // gossipsub 14 records IDONTWANTs it receives but never consults them when forwarding, so
    // sending them (one control frame per message to each mesh peer) only costs CPU.
    idontwantMinDataSize: GOSSIP_NO_IDONTWANT_BYTES,
    scoreParams: murmurPeerScoreParams(topic),
    scoreThresholds: MURMUR_SCORE_THRESHOLDS,
  };
}

/** net/'s public surface: what src/ wires together (no deep imports into net internals). */
export { MurmurNetwork, type NetworkHooks, type NetworkHost, type PeerInfo } from './network.js';
export { KeyIndex, type SyncKey } from './sync/key-index.js';
export { RecentlyGossiped } from './gossip/recently-gossiped.js';
export { ArrivalOrder } from './arrival-order.js';
export { NETWORK_ID_RE, syncProtocol, updatesTopic } from './protocol-ids.js';
export { GossipAction, GossipErrorCode } from './gossip/gossip-errors.js';
export { gossipsubOptions } from './gossip/gossipsub-options.js';
export { encodeGossipFrame } from './gossip/gossip-frame.js';

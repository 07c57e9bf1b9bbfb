import { gossipsub, type GossipSub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import { TopicValidatorResult, type Libp2p, type PeerId } from '@libp2p/interface';
import { mdns } from '@libp2p/mdns';
import { memory } from '@libp2p/memory';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p, type Libp2pOptions } from 'libp2p';
import { Bootstrapper } from './bootstrapper.js';
import { gossipsubOptions } from './gossip/gossipsub-options.js';
import { MeshSince } from './gossip/mesh-since.js';
import { GossipAction, GossipErrorCode } from './gossip/gossip-errors.js';
import { GossipValidator, type GossipHost } from './gossip/gossip-validator.js';
import { Publisher } from './gossip/publisher.js';
import { Offence, Penalties } from './penalties.js';
import { syncProtocol, updatesTopic } from './protocol-ids.js';
import { syncService, type SyncService } from './sync/sync-service.js';
import { SyncErrorCode, type SyncError } from './sync/frame-channel.js';
import type { SyncHost } from './sync/sync-session.js';

/** What gossipsub is told of a validated message. */
const TOPIC_RESULT: Record<GossipAction, TopicValidatorResult> = {
  [GossipAction.Accept]: TopicValidatorResult.Accept,
  [GossipAction.Reject]: TopicValidatorResult.Reject,
  [GossipAction.Ignore]: TopicValidatorResult.Ignore,
};

export interface NetworkConfig {
  networkId: string;
  /** Ed25519 seed of the node's libp2p identity. */
  identitySeed: Uint8Array;
  /** Multiaddrs to listen on: /ip4/…/tcp/…, or /memory/<name> for in-process networks. */
  listen: readonly string[];
  /** Peers to keep connected to (multiaddrs with /p2p/<peer id>), redialed with backoff. */
  bootstrap: readonly string[];
  mdns: boolean;
  maxConnections: number;
  syncIntervalMs?: number;
  /** Longest wait between redials of a bootstrap peer (default RECONNECT_MAX_BACKOFF_MS). */
  reconnectMaxBackoffMs?: number;
  /** Simulation hooks (simulations/): never set by operators. */
  hooks?: NetworkHooks;
}

/** What a simulator may change: the transports (latency, byte counts) and an extra deny rule (partitions). */
export interface NetworkHooks {
  transports?: Libp2pOptions['transports'];
  /** True to refuse connections to and from this peer id (both directions, before encryption finishes). */
  denyPeer?: (peerId: string) => boolean;
}

/** What the network needs from the node: the log for sync (SyncHost), and checks and offers for gossip (GossipHost). */
export interface NetworkHost extends SyncHost, GossipHost {}

export interface GossipMetrics {
  messages: Record<GossipAction, number>;
  byCode: Partial<Record<GossipErrorCode, number>>;
}

export interface PeerInfo {
  id: string;
  addrs: string[];
  score: number;
}

/** A murmur peer's libp2p side: gossip of updates, catch-up sync, bootstrap and penalties. */
export class MurmurNetwork {
  readonly gossip: GossipMetrics = { messages: { accept: 0, ignore: 0, reject: 0 }, byCode: {} };
  private readonly publisher: Publisher;
  private readonly bootstrapper: Bootstrapper;
  /** When each peer joined the updates mesh (sync holds back only what gossip carries to it). */
  private readonly meshSince: MeshSince;

  private constructor(
    readonly libp2p: Libp2p<{ pubsub: GossipSub; sync: SyncService }>,
    readonly topic: string,
    readonly penalties: Penalties,
    cfg: NetworkConfig,
  ) {
    this.publisher = new Publisher((data) => this.pubsub.publish(topic, data));
    this.meshSince = new MeshSince(() => this.pubsub.getMeshPeers(topic));
    this.bootstrapper = new Bootstrapper(libp2p, cfg.bootstrap, cfg.reconnectMaxBackoffMs);
  }

  static async create(cfg: NetworkConfig, host: NetworkHost): Promise<MurmurNetwork> {
    const topic = updatesTopic(cfg.networkId);
    const ref: { net?: MurmurNetwork } = {};
    const penalties = new Penalties();
    const deny = cfg.hooks?.denyPeer;
    const denied = (peer: string): boolean => penalties.blocked(peer) || (deny !== undefined && deny(peer));
    const libp2p = await createLibp2p({
      privateKey: await generateKeyPairFromSeed('Ed25519', cfg.identitySeed),
      addresses: { listen: [...cfg.listen] },
      transports: cfg.hooks?.transports ?? [tcp(), memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: cfg.maxConnections },
      connectionGater: {
        denyDialPeer: async (peer) => denied(peer.toString()),
        denyInboundEncryptedConnection: async (peer) => denied(peer.toString()),
        denyOutboundEncryptedConnection: async (peer) => denied(peer.toString()),
        // Loopback and in-memory addresses are what tests and simulations use.
        denyDialMultiaddr: async () => false,
      },
      peerDiscovery: cfg.mdns ? [mdns()] : [],
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub(gossipsubOptions(topic)),
        sync: syncService({
          protocol: syncProtocol(cfg.networkId),
          host,
          intervalMs: cfg.syncIntervalMs,
          onMisbehaviour: (peer, err) => ref.net?.penalize(peer, err),
          gossipSince: (peer) => ref.net?.meshSince.of(peer.toString()) ?? Infinity,
        }),
      },
    });
    // gossipsub's factory is typed as the generic PubSub; the instance is the GossipSub class.
    const net = new MurmurNetwork(libp2p as unknown as Libp2p<{ pubsub: GossipSub; sync: SyncService }>, topic, penalties, cfg);
    ref.net = net;
    net.wire(host, cfg);
    return net;
  }

  private get pubsub(): GossipSub {
    return this.libp2p.services.pubsub;
  }

  private wire(host: NetworkHost, cfg: NetworkConfig): void {
    const validator = new GossipValidator(host);
    this.pubsub.addEventListener('gossipsub:message', (e) => {
      const { propagationSource: peer, msgId, msg } = e.detail;
      if (msg.topic !== this.topic) return;
      void validator
        .validate(msg.data, peer.toString())
        .then(
          (verdict) => {
            this.gossip.messages[verdict.action]++;
            if (verdict.error !== null) this.gossip.byCode[verdict.error.code] = (this.gossip.byCode[verdict.error.code] ?? 0) + 1;
            if (verdict.missing.length > 0) this.libp2p.services.sync.syncSoon(peer);
            return TOPIC_RESULT[verdict.action];
          },
          // Only a stopping node gets here (the store closed under an apply): drop the message.
          () => TopicValidatorResult.Ignore,
        )
        .then((result) => this.pubsub.reportMessageValidationResult(msgId, peer.toString(), result))
        // A gossipsub stopped meanwhile has nothing to forward to; never an unhandled rejection.
        .catch(() => undefined);
    });
    this.pubsub.addEventListener('gossipsub:heartbeat', () => this.meshSince.refresh());
    this.pubsub.subscribe(this.topic);
    if (cfg.mdns) {
      this.libp2p.addEventListener('peer:discovery', (e) => {
        void this.libp2p.dial(e.detail.id).catch(() => undefined);
      });
    }
  }

  start(): void {
    this.bootstrapper.start();
  }

  /** Queues a locally submitted, already accepted update for gossip; false when the queue is full. */
  publish(update: Uint8Array): boolean {
    return this.publisher.enqueue(update);
  }

  get publishQueue(): number {
    return this.publisher.queued;
  }

  get sync(): SyncService {
    return this.libp2p.services.sync;
  }

  /** Records a sync offence; a peer that is then blocked is disconnected and refused for a while. */
  penalize(peer: PeerId, err: SyncError): void {
    const offence = err.code === SyncErrorCode.Timeout ? Offence.Stall : Offence.Violation;
    if (this.penalties.offend(peer.toString(), offence)) void this.libp2p.hangUp(peer).catch(() => undefined);
  }

  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  peers(): PeerInfo[] {
    const byPeer = new Map<string, string[]>();
    for (const c of this.libp2p.getConnections()) {
      const id = c.remotePeer.toString();
      byPeer.set(id, [...(byPeer.get(id) ?? []), c.remoteAddr.toString()]);
    }
    return [...byPeer.entries()].map(([id, addrs]) => ({ id, addrs, score: this.pubsub.getScore(id) })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Gossipsub score of a peer (0 when unknown). */
  score(peer: string): number {
    return this.pubsub.getScore(peer);
  }

  async stop(): Promise<void> {
    this.bootstrapper.stop();
    this.publisher.stop();
    await this.libp2p.stop();
  }
}

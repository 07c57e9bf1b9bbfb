import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { memory, type MemoryTransportComponents } from '@libp2p/memory';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import type { Transport } from '@libp2p/interface';

import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { MurmurNode } from '../src/node.js';
import { VerifierPool } from '../src/verify/verifier-pool.js';
import { conditioned, dropGossip, type LinkCounters } from './link.js';
import type { Prng } from './rng.js';
import type { Scenario, Topology } from './scenario.js';

export const SIM_NETWORK_ID = 'murmur-sim';
let runCounter = 0;

/** Undirected edges (i > j: node i dials node j). A random topology is a random spanning tree plus random extra edges up to the mean degree. */
export function topologyEdges(t: Topology, n: number, rng: Prng): [number, number][] {
  const edges = new Set<string>();
  const add = (a: number, b: number): void => void (a !== b && edges.add(`${Math.max(a, b)},${Math.min(a, b)}`));
  if (t.kind === 'full') for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) add(i, j);
  else if (t.kind === 'ring') for (let i = 0; i < n; i++) add(i, (i + 1) % n);
  else {
    for (let i = 1; i < n; i++) add(i, rng.int(i));
    const target = Math.min((n * (n - 1)) / 2, Math.round((n * t.degree) / 2));
    while (edges.size < target) add(rng.int(n), rng.int(n));
  }
  return [...edges].map((e) => e.split(',').map(Number) as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/**
 * The nodes of one run: their data dirs, identities, addresses, bootstrap lists from the
 * topology, the partition gate, and start/stop (a restart reuses the data dir, identity and address).
 */
export class SimNodes {
  readonly nodes: (MurmurNode | null)[];
  readonly counters: LinkCounters[];
  readonly restarts: number[];
  private readonly dirs: string[];
  private readonly seeds: Uint8Array[] = [];
  private readonly peerIds: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly addrs: string[];
  private readonly edges: [number, number][];
  private groupOf: Int32Array | null = null;
  private readonly verifier = new VerifierPool();

  private constructor(
    private readonly s: Scenario,
    private readonly rng: Prng,
    private readonly hooks: { authorities: string[]; onStarted: (i: number, node: MurmurNode) => void; onGossipDrop: () => void },
  ) {
    const n = s.nodes;
    const tag = `${s.name}-${process.pid}-${runCounter++}`;
    this.nodes = Array.from({ length: n }, () => null);
    this.counters = Array.from({ length: n }, () => ({ bytesIn: 0, bytesOut: 0 }));
    this.restarts = Array.from({ length: n }, () => 0);
    this.dirs = Array.from({ length: n }, (_, i) => mkdtempSync(join(tmpdir(), `murmur-sim-${i}-`)));
    this.addrs = Array.from({ length: n }, (_, i) => (s.transport === 'memory' ? `/memory/${tag}-${i}` : '/ip4/127.0.0.1/tcp/0'));
    this.edges = topologyEdges(s.topology, n, rng.fork('topology'));
  }

  static async create(s: Scenario, rng: Prng, hooks: SimNodes['hooks']): Promise<SimNodes> {
    const sim = new SimNodes(s, rng, hooks);
    for (let i = 0; i < s.nodes; i++) {
      const seed = rng.fork(`identity:${i}`).bytes(32);
      const id = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)).toString();
      sim.seeds.push(seed);
      sim.peerIds.push(id);
      sim.indexOf.set(id, i);
    }
    return sim;
  }

  get edgeCount(): number {
    return this.edges.length;
  }

  /** The topology's undirected edges (i > j: node i dials node j). */
  get edgeList(): readonly (readonly [number, number])[] {
    return this.edges;
  }

  peerId(i: number): string {
    return this.peerIds[i]!;
  }

  /** Node i's data dir (its key and store). */
  dataDir(i: number): string {
    return this.dirs[i]!;
  }

  index(peerId: string): number | undefined {
    return this.indexOf.get(peerId);
  }

  /** Splits the network: connections across groups are closed now and refused until `heal`. */
  async partition(groups: number[][]): Promise<void> {
    const g = new Int32Array(this.s.nodes);
    groups.forEach((members, k) => members.forEach((i) => (g[i] = k)));
    this.groupOf = g;
    await Promise.all(
      this.nodes.map(async (node, i) => {
        if (node === null) return;
        for (const conn of node.network.libp2p.getConnections()) {
          const j = this.indexOf.get(conn.remotePeer.toString());
          if (j !== undefined && g[j] !== g[i]) await conn.close().catch(() => conn.abort(new Error('partition')));
        }
      }),
    );
  }

  /** Lifts the partition; bootstrap redials (with their backoff) reconnect the groups. */
  heal(): void {
    this.groupOf = null;
  }

  private bootstrapOf(i: number): string[] {
    return this.edges.filter(([a]) => a === i).map(([, b]) => `${this.listenAddr(b)}/p2p/${this.peerIds[b]}`);
  }

  private listenAddr(i: number): string {
    return this.addrs[i]!;
  }

  /** Starts (or restarts, from its store) node i. */
  async start(i: number): Promise<MurmurNode> {
    const s = this.s;
    const config = resolveConfig({
      dataDir: this.dirs[i]!,
      networkId: SIM_NETWORK_ID,
      listen: [this.listenAddr(i)],
      bootstrap: this.bootstrapOf(i),
      storeSync: false,
      syncIntervalMs: s.syncIntervalMs,
      reconnectMaxBackoffMs: s.reconnectMaxBackoffMs,
      logLevel: 'silent',
      kernelBackend: 'cpu',
      registryAuthorities: this.hooks.authorities,
    });
    // Both factories take the full libp2p components at run time.
    const transport = (s.transport === 'memory' ? memory() : tcp()) as (components: MemoryTransportComponents) => Transport;
    const node = await MurmurNode.start({
      config,
      logger: createLogger('silent'),
      identitySeed: this.seeds[i]!,
      api: false,
      verifier: this.verifier,
      networkHooks: {
        transports: [conditioned(transport, s.link, this.rng.fork(`link:${i}:${this.restarts[i]}`), this.counters[i]!)],
        denyPeer: (peer) => {
          const j = this.indexOf.get(peer);
          return this.groupOf !== null && j !== undefined && this.groupOf[j] !== this.groupOf[i];
        },
      },
    });
    // TCP: keep the port the node got first, so peers' bootstrap addresses stay right after a restart.
    if (s.transport === 'tcp') this.addrs[i] = node.network.multiaddrs()[0]!.replace(/\/p2p\/.*$/, '');
    dropGossip(node.network.libp2p.services.pubsub, s.link.loss, this.rng.fork(`loss:${i}:${this.restarts[i]}`), this.hooks.onGossipDrop);
    this.nodes[i] = node;
    this.hooks.onStarted(i, node);
    return node;
  }

  async stop(i: number): Promise<void> {
    const node = this.nodes[i];
    if (node === null || node === undefined) return;
    this.nodes[i] = null;
    this.restarts[i]!++;
    await node.stop();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.nodes.map((_, i) => this.stop(i)));
    await this.verifier.close();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

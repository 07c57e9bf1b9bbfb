/**
 * One shard of the sharded simulator (labs.ts, `npm run sim -- <scenario> --workers N`): a process
 * that runs its share of the nodes as real MurmurNodes on loopback TCP, each with its API, and
 * takes the runner's commands over the IPC channel (fork). Links carry the in-process
 * simulator's delay line; loss drops received gossip messages; a partition closes this shard's
 * connections that cross groups and refuses new ones until heal. The nodes share one verifier
 * pool, as in-process nodes do.
 */
import { performance } from 'node:perf_hooks';
import { tcp } from '@libp2p/tcp';
import { readConfigFile, resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { MurmurNode } from '../../src/node.js';
import { VerifierPool } from '../../src/verify/verifier-pool.js';
import { conditioned, dropGossip } from '../link.js';
import { Prng } from '../rng.js';

export type ShardCommand =
  | { type: 'init'; peerIds: string[]; link: { latencyMs: number; jitterMs: number; loss: number } }
  | { type: 'start'; node: number; configPath: string; seed: number }
  | { type: 'stop'; node: number }
  | { type: 'partition'; groupOf: number[] }
  | { type: 'heal' }
  | { type: 'stats' }
  | { type: 'exit' };
export type ShardRequest = ShardCommand & { id: number };
export type ShardReply = { id: number; type: 'ok' } | { id: number; type: 'stats'; busyMs: number } | { id: number; type: 'error'; message: string };

const nodes = new Map<number, MurmurNode>();
const indexOf = new Map<string, number>();
let link = { latencyMs: 0, jitterMs: 0, loss: 0 };
let groupOf: number[] | null = null;
let verifier: VerifierPool | null = null;
const started = performance.eventLoopUtilization();

const crossesGroups = (i: number, peer: string): boolean => {
  const j = indexOf.get(peer);
  return groupOf !== null && j !== undefined && groupOf[j] !== groupOf[i];
};

async function handle(m: ShardCommand): Promise<ShardReply | null> {
  switch (m.type) {
    case 'init':
      m.peerIds.forEach((p, i) => indexOf.set(p, i));
      link = m.link;
      verifier = new VerifierPool();
      return null;
    case 'start': {
      if (nodes.has(m.node)) return null;
      const config = resolveConfig(readConfigFile(m.configPath));
      const rng = new Prng(m.seed);
      const node = await MurmurNode.start({
        config,
        logger: createLogger(config.logLevel),
        ...(verifier !== null ? { verifier } : {}),
        networkHooks: {
          transports: [conditioned(tcp(), link, rng.fork('link'), { bytesIn: 0, bytesOut: 0 })],
          denyPeer: (peer) => crossesGroups(m.node, peer),
        },
      });
      dropGossip(node.network.libp2p.services.pubsub, link.loss, rng.fork('loss'), () => undefined);
      nodes.set(m.node, node);
      return null;
    }
    case 'stop': {
      const node = nodes.get(m.node);
      nodes.delete(m.node);
      await node?.stop();
      return null;
    }
    case 'partition':
      groupOf = m.groupOf;
      await Promise.all(
        [...nodes].map(async ([i, node]) => {
          for (const conn of node.network.libp2p.getConnections()) {
            if (crossesGroups(i, conn.remotePeer.toString())) await conn.close().catch(() => conn.abort(new Error('partition')));
          }
        }),
      );
      return null;
    case 'heal':
      groupOf = null;
      return null;
    case 'stats':
      return { id: -1, type: 'stats', busyMs: performance.eventLoopUtilization(started).active };
    case 'exit':
      await Promise.allSettled([...nodes.values()].map((n) => n.stop()));
      nodes.clear();
      await verifier?.close();
      return null;
  }
}

process.on('message', (m: ShardRequest) => {
  handle(m).then(
    (r) => process.send!(r === null ? { id: m.id, type: 'ok' } : { ...r, id: m.id }),
    (err: unknown) => process.send!({ id: m.id, type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
process.once('SIGTERM', () => {
  void Promise.allSettled([...nodes.values()].map((n) => n.stop())).then(() => process.exit(0));
});

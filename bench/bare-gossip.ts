/**
 * The delivery bench's second baseline: the node's libp2p stack with murmur taken out. Bare libp2p
 * nodes (memory transport, Noise, yamux, identify, ping, and gossipsub with the node's own
 * options, except that every message is accepted as it arrives: no validator, no log, no store,
 * no sync) on the delivery bench's graph take the same update bytes, framed as the node frames
 * them, at the same rate from one node after another. Its main-thread µs per delivery is the
 * floor the stack sets on this machine: what murmur's figure would be if murmur's own work cost
 * nothing. Both differences from the murmur run make the floor lower, never higher: messages are
 * accepted synchronously (murmur validates asynchronously and reports back), and the transport is
 * plain memory (murmur's run goes through the simulator's conditioned links, at zero delay).
 */
import { gossipsub, type GossipSub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { memory } from '@libp2p/memory';
import { ping } from '@libp2p/ping';
import { createLibp2p, type Libp2p } from 'libp2p';
import { performance } from 'node:perf_hooks';
import { encodeGossipFrame, gossipsubOptions, updatesTopic } from '../net/index.js';
import { SIM_NETWORK_ID } from '../simulations/sim-nodes.js';
import { until } from './bench-peer.js';
import { sleep } from './common.js';

export interface BareRun {
  usPerDelivery: number;
  /** Messages received plus the ones each node published itself (the delivery bench's count). */
  deliveries: number;
  converged: boolean;
  busyS: number;
}

/** How often the benches' waits poll their condition: every wake-up is main-thread time the figure counts. */
export const DELIVERY_POLL_MS = 20;

type Bare = Libp2p<{ pubsub: GossipSub }>;

/** Runs the baseline once, cold: `edges` as SimNodes dials them (i dials j), `updates` published `rate` per second. */
export async function bareGossipRun(n: number, edges: readonly (readonly [number, number])[], updates: readonly Uint8Array[], rate: number): Promise<BareRun> {
  const topic = updatesTopic(SIM_NETWORK_ID);
  const nodes: Bare[] = [];
  const received = new Array<number>(n).fill(0);
  try {
    for (let i = 0; i < n; i++) {
      const node = (await createLibp2p({
        addresses: { listen: [`/memory/bare-gossip-${i}`] },
        transports: [memory()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), ping: ping(), pubsub: gossipsub({ ...gossipsubOptions(topic), asyncValidation: false }) },
      })) as unknown as Bare;
      node.services.pubsub.subscribe(topic);
      node.services.pubsub.addEventListener('gossipsub:message', () => void received[i]!++);
      nodes.push(node);
    }
    for (const [i, j] of edges) await nodes[i]!.dial(nodes[j]!.getMultiaddrs()[0]!);
    await until(() => nodes.every((x) => x.services.pubsub.getMeshPeers(topic).length > 0), 30_000, DELIVERY_POLL_MS);
    await sleep(2_000); // as the delivery bench: the mesh forms, nothing measured is warmed
    const frames = updates.map((u) => encodeGossipFrame([u]));
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    for (let k = 0; k < frames.length; k++) {
      const wait = t0 + (k * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      void nodes[k % n]!.services.pubsub.publish(topic, frames[k]!).catch(() => undefined);
    }
    const own = (i: number): number => Math.floor(frames.length / n) + (i < frames.length % n ? 1 : 0);
    const converged = await until(() => received.every((r, i) => r + own(i) >= frames.length), 120_000, DELIVERY_POLL_MS);
    const elu = performance.eventLoopUtilization(elu0);
    const deliveries = received.reduce((a, r, i) => a + r + own(i), 0);
    return { usPerDelivery: (elu.active * 1000) / deliveries, deliveries, converged, busyS: elu.active / 1000 };
  } finally {
    await Promise.allSettled(nodes.map((x) => x.stop()));
  }
}

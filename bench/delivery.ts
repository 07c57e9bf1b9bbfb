/**
 * `npm run bench -- delivery [--nodes 50] [--rate 10] [--seconds 20]`: main-thread time per
 * delivered update at a steady state. N in-process nodes (the simulator's: memory transport, a
 * random graph of mean degree 4, no added latency) take a publisher's updates at `rate` per
 * second, one node after another; the figure is the main thread's busy time
 * (performance.eventLoopUtilization, which all nodes share) from the first publish until every
 * node holds every update, divided by the deliveries (updates accepted, summed over nodes).
 * Baselines in the same run, after it: one Log's strict verify + offer of the same updates, per
 * update (the work a delivery cannot avoid); and bare gossipsub (bench/bare-gossip.ts): the same
 * stack, graph, bytes and rate with murmur taken out, one cold run, whose µs per delivery is the
 * floor the libp2p stack sets. Target (issue 19): <= 350 us per delivery.
 */
import { performance } from 'node:perf_hooks';
import { Author, KIND_ATTESTATION, Log, Signer } from '../crdt/index.js';
import { Prng } from '../simulations/rng.js';
import { parseScenario } from '../simulations/scenario.js';
import { SimNodes } from '../simulations/sim-nodes.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { DELIVERY_POLL_MS, bareGossipRun } from './bare-gossip.js';
import { until } from './bench-peer.js';
import { report, sample, seedFor, sleep, spread } from './common.js';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? def : Number(args[i + 1]);
}

interface MurmurRun {
  deliveries: number;
  converged: boolean;
  busyS: number;
  wallS: number;
  utilization: number;
  updates: Uint8Array[];
  edges: readonly (readonly [number, number])[];
}

async function murmurRun(nodes: number, rate: number, seconds: number): Promise<MurmurRun> {
  // The node's default sync interval (the simulator's scenarios default to 1 s).
  const s = parseScenario({ name: 'delivery-bench', nodes, durationMs: seconds * 1000, topology: { kind: 'random', degree: 4 }, link: { latencyMs: 0, jitterMs: 0, loss: 0 }, syncIntervalMs: DEFAULT_CONFIG.syncIntervalMs, reconnectMaxBackoffMs: DEFAULT_CONFIG.reconnectMaxBackoffMs });
  const sim = await SimNodes.create(s, new Prng(7), { authorities: [], onStarted: () => undefined, onGossipDrop: () => undefined });
  try {
    for (let i = 0; i < nodes; i++) await sim.start(i);
    const live = sim.nodes.filter((n) => n !== null);
    await until(() => live.every((n) => n.network.peers().length > 0), 30_000, DELIVERY_POLL_MS);
    await sleep(2_000); // the mesh forms (gossipsub heartbeats); this is set-up, not a warm-up of the measured path
    const author = new Author(new Signer(seedFor('delivery')));
    const updates: Uint8Array[] = [];
    const total = rate * seconds;
    const before = live.map((n) => n.log.size);
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    for (let k = 0; k < total; k++) {
      const due = t0 + (k * 1000) / rate; // open loop: each send at its scheduled time
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const node = live[k % live.length]!;
      const u = author.next([{ kind: KIND_ATTESTATION, body: { feed: 'DELIVERY/USD', exponent: -2, mantissa: 100_000 + k, confidence: 5, observedAtMs: Date.now(), sources: [] } }], Date.now(), node.log.frontier(8));
      updates.push(u.bytes);
      void node.submit(u.bytes);
    }
    const converged = await until(() => live.every((n, i) => n.log.size - before[i]! >= total), 120_000, DELIVERY_POLL_MS);
    const elu = performance.eventLoopUtilization(elu0);
    const deliveries = live.reduce((a, n, i) => a + (n.log.size - before[i]!), 0);
    return { deliveries, converged, busyS: elu.active / 1000, wallS: (performance.now() - t0) / 1000, utilization: elu.utilization, updates, edges: sim.edgeList };
  } finally {
    await sim.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const nodes = arg(args, 'nodes', 50);
  const rate = arg(args, 'rate', 10);
  const seconds = arg(args, 'seconds', 20);
  const m = await murmurRun(nodes, rate, seconds);
  const usPerDelivery = (m.busyS * 1e6) / m.deliveries;
  // Baseline: strict verify + offer into one log, per update, 5 runs (every run measured).
  const base = sample(
    Array.from({ length: 5 }, () => {
      const log = new Log();
      const t = performance.now();
      for (const u of m.updates) log.offer(u);
      return ((performance.now() - t) * 1000) / m.updates.length;
    }),
  );
  // Run once murmur's nodes are closed, so that the two never share the thread.
  const bare = await bareGossipRun(nodes, m.edges, m.updates, rate);
  const fixed = (x: number, d = 1): number => Number(x.toFixed(d));
  report(
    [
      ['nodes / updates / rate', `${nodes} / ${m.updates.length} / ${rate} per s`],
      ['deliveries (accepted, summed over nodes)', m.deliveries],
      ['converged', String(m.converged)],
      ['main thread busy (ELU), s / wall s', `${m.busyS.toFixed(2)} / ${m.wallS.toFixed(2)} (utilization ${m.utilization.toFixed(3)})`],
      ['us_per_delivery', usPerDelivery.toFixed(1)],
      ['baseline: verify + offer into one log, us/update', spread(base, 1)],
      ['ratio to baseline', (usPerDelivery / base.median).toFixed(2)],
      [`baseline: bare gossipsub, same stack, graph, bytes and rate, us/delivery (${bare.deliveries} deliveries, converged ${bare.converged})`, bare.usPerDelivery.toFixed(1)],
      ['ratio to bare gossipsub', (usPerDelivery / bare.usPerDelivery).toFixed(2)],
    ],
    {
      bench: 'delivery',
      nodes,
      updates: m.updates.length,
      rate_per_s: rate,
      deliveries: m.deliveries,
      converged: m.converged,
      main_thread_busy_s: fixed(m.busyS, 3),
      wall_s: fixed(m.wallS, 3),
      us_per_delivery: fixed(usPerDelivery),
      baseline_us_per_update: fixed(base.median),
      ratio_to_baseline: fixed(usPerDelivery / base.median, 2),
      bare_gossipsub_us_per_delivery: fixed(bare.usPerDelivery),
      bare_gossipsub_converged: bare.converged,
      ratio_to_bare_gossipsub: fixed(usPerDelivery / bare.usPerDelivery, 2),
      target_us_per_delivery: 350,
    },
  );
}

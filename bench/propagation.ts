import { gossipsub, type GossipSub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { tcp } from '@libp2p/tcp';
import { identify } from '@libp2p/identify';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createLibp2p, type Libp2p } from 'libp2p';
import { Author, KIND_ATTESTATION, Signer, type OpInput } from '../crdt/index.js';
import { epochMs, until } from './bench-peer.js';
import { benchCluster } from './cluster.js';
import type { Peer } from './peer-process.js';
import { busyFraction, cpuTimes, report, sample, seedFor, verifyRatePerCore } from './common.js';

const NODES = 5;
const IN_FLIGHT = 64;
/** Single-op deliveries per layout of publishers, every one measured (the first, cold, too): the median counts. */
const SINGLE_OP_RUNS = 3;
/** Offered rates of the open-loop latency runs (single-op updates/s, over all publishers), lowest first. */
const OFFERED_RATES_PER_S = [500, 1_000, 2_000, 4_000];
/** How long each offered rate is held. */
const LATENCY_RUN_S = 3;
/** sustained_single_op_per_s: the highest offered rate whose p99 stays under this. */
const SUSTAINED_P99_MS = 250;
/** A delivery that has not arrived this long after the last scheduled send counts as lost (infinite latency). */
const LATENCY_DRAIN_MS = 10_000;

function ops(n: number, i: number): OpInput[] {
  return Array.from({ length: n }, (_, j) => ({
    kind: KIND_ATTESTATION,
    body: { feed: `FEED-${j}/USD`, exponent: -8, mantissa: 250_000_000_000 + i, confidence: 50_000, observedAtMs: 1_700_000_000_000 + i, sources: [] },
  }));
}

/** Raw gossipsub: 5 plain libp2p nodes, same transport and settings, no validator; msgs/s to all. */
/** Fraction of raw messages delivered in the last baseline run. */
export let rawDelivered = 1;

export async function rawGossipRate(messages: number): Promise<number> {
  const nodes: Libp2p<{ pubsub: GossipSub }>[] = [];
  for (let i = 0; i < NODES; i++) {
    const node = (await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => createHash('sha256').update(m.data).digest(),
          allowPublishToZeroTopicPeers: true,
        }),
      },
    })) as unknown as Libp2p<{ pubsub: GossipSub }>;
    node.services.pubsub.subscribe('raw');
    for (const other of nodes) await node.dial(other.getMultiaddrs()[0]!);
    nodes.push(node);
  }
  await until(() => nodes.every((n) => n.services.pubsub.getMeshPeers('raw').length >= NODES - 1), 10_000);
  let received = 0;
  let lastAt = 0;
  for (const n of nodes.slice(1)) {
    n.services.pubsub.addEventListener('message', () => {
      received++;
      lastAt = performance.now();
    });
  }
  const t0 = performance.now();
  // 50 publishes in flight at a time, then a yield: the same pacing murmur's publisher uses.
  for (let i = 0; i < messages; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, messages - i) }, (_, k) => {
        const data = new Uint8Array(200);
        new DataView(data.buffer).setUint32(0, i + k);
        return nodes[0]!.services.pubsub.publish('raw', data);
      }),
    );
    await new Promise((r) => setImmediate(r));
  }
  // Rate up to the last delivery (gossipsub may drop a few under load; waiting for them would
  // measure the timeout, not the rate).
  await until(() => received >= messages * (NODES - 1) || performance.now() - lastAt > 2_000, 30_000);
  const rate = received / (NODES - 1) / ((lastAt - t0) / 1000);
  rawDelivered = received / (messages * (NODES - 1));
  await Promise.all(nodes.map((n) => n.stop()));
  return rate;
}

/**
 * Submits every publisher's updates to its node (IN_FLIGHT at a time each): seconds until all
 * nodes hold them, and the fraction of the machine's CPU that was busy meanwhile.
 */
async function deliver(peers: Peer[], perPublisher: Uint8Array[][]): Promise<{ seconds: number; busy: number }> {
  const target = (await peers[0]!.size()) + perPublisher.reduce((n, u) => n + u.length, 0);
  const cpu0 = cpuTimes();
  const t0 = epochMs();
  await Promise.all(perPublisher.map((updates, p) => peers[p % peers.length]!.submitAll(updates, IN_FLIGHT)));
  const reached = await Promise.all(peers.map((p) => p.waitSize(target, 120_000)));
  return { seconds: (Math.max(...reached) - t0) / 1000, busy: busyFraction(cpu0, cpuTimes()) };
}

function signed(publishers: number, updatesEach: number, opsEach: number, label: string): Uint8Array[][] {
  return Array.from({ length: publishers }, (_, p) => {
    const a = new Author(new Signer(seedFor(`${label}-${p}`)));
    return Array.from({ length: updatesEach }, (_, i) => a.next(ops(opsEach, i), 1_700_000_000_000 + i).bytes);
  });
}

/** SINGLE_OP_RUNS deliveries of fresh single-op updates from `publishers` publishers, `each` updates apiece. */
async function singleOpRuns(peers: Peer[], publishers: number, each: number, label: string): Promise<{ rate: number; busy: number }[]> {
  const runs: { rate: number; busy: number }[] = [];
  for (let r = 0; r < SINGLE_OP_RUNS; r++) {
    const d = await deliver(peers, signed(publishers, each, 1, `${label}-${r}`));
    runs.push({ rate: (publishers * each) / d.seconds, busy: d.busy });
  }
  return runs;
}

/**
 * Open loop: single-op updates offered at `rate`/s for LATENCY_RUN_S, round robin over the nodes,
 * each submitted at its scheduled time whether or not earlier ones are done. A latency runs from
 * the scheduled send time (so a publisher that falls behind shows as latency, not as a lower
 * rate) to the accept at each remote node; the publisher's own node is left out. A delivery still
 * missing LATENCY_DRAIN_MS after the last send counts as infinite.
 */
async function openLoopLatencies(peers: Peer[], rate: number, label: string): Promise<number[]> {
  const pubs = peers.map((_, p) => new Author(new Signer(seedFor(`${label}-${p}`))));
  const total = Math.floor(rate * LATENCY_RUN_S);
  const updates = peers.map(() => [] as { id: string; bytes: Uint8Array }[]);
  const due = peers.map(() => [] as number[]);
  const dueOf = new Map<string, { at: number; from: number }>();
  const target = (await peers[0]!.size()) + total;
  await Promise.all(peers.map((p) => p.trackAccepts()));
  const t0 = epochMs() + 200;
  for (let i = 0; i < total; i++) {
    const from = i % peers.length;
    const u = pubs[from]!.next(ops(1, i), Date.now());
    const at = t0 + (i / rate) * 1000;
    updates[from]!.push({ id: u.id, bytes: u.bytes });
    due[from]!.push(at);
    dueOf.set(u.id, { at, from });
  }
  await Promise.all(peers.map((p, k) => p.submitOnSchedule(updates[k]!, due[k]!)));
  await Promise.all(peers.map((p) => p.waitSize(target, LATENCY_DRAIN_MS).catch(() => undefined)));
  const lat: number[] = [];
  const accepted = await Promise.all(peers.map((p) => p.acceptTimes()));
  accepted.forEach((times, node) => {
    const at = new Map(times);
    for (const [id, d] of dueOf) {
      if (d.from === node) continue; // remote nodes only
      const t = at.get(id);
      lat.push(t === undefined ? Infinity : t - d.at);
    }
  });
  return lat.sort((a, b) => a - b);
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function main(args: string[]): Promise<void> {
  const inProcess = !args.includes('--processes');
  const raw = await rawGossipRate(5_000);
  const c = await benchCluster(NODES, 'prop', inProcess);
  try {
    const meshed = async (): Promise<boolean> => (await Promise.all(c.peers.map((p) => p.peers()))).every((k) => k >= NODES - 1);
    if (!(await until(meshed, 10_000))) throw new Error('the 5 nodes did not connect in 10 s');
    await new Promise((r) => setTimeout(r, 1_500)); // gossip mesh heartbeat
    const one50 = signed(1, 200, 50, 'one50');
    const opsOne = (200 * 50) / (await deliver(c.peers, one50)).seconds;
    const many50 = signed(NODES, 40, 50, 'many50');
    const opsMany = (NODES * 40 * 50) / (await deliver(c.peers, many50)).seconds;
    const runsOne = await singleOpRuns(c.peers, 1, 1_500, 'one1');
    const runsMany = await singleOpRuns(c.peers, NODES, 300, 'many1');
    const [singleOne, singleMany] = [runsOne, runsMany].map((runs) => sample(runs.map((r) => r.rate)).median) as [number, number];
    const busy = (runs: { busy: number }[]): number => sample(runs.map((r) => r.busy)).median;
    const peak = Math.max(singleOne, singleMany);
    const verifyBound = (verifyRatePerCore(signed(1, 200, 1, 'ceiling')[0]!) * availableParallelism()) / NODES;
    const rates: { rate: number; p50: number; p99: number; p999: number; max: number; lost: number; n: number }[] = [];
    for (const rate of OFFERED_RATES_PER_S) {
      const lat = await openLoopLatencies(c.peers, rate, `lat-${rate}`);
      rates.push({ rate, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), p999: percentile(lat, 0.999), max: lat.at(-1)!, lost: lat.filter((x) => x === Infinity).length, n: lat.length });
      if (percentile(lat, 0.99) >= SUSTAINED_P99_MS) break; // higher rates only queue more
    }
    const sustained = Math.max(0, ...rates.filter((r) => r.p99 < SUSTAINED_P99_MS).map((r) => r.rate));
    const at = rates.find((r) => r.rate === sustained) ?? rates[0]!;
    const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'lost');
    report(
      [
        ['layout', inProcess ? 'five nodes in this process' : 'one process per node'],
        ['raw gossipsub msgs/s to all 4 peers (baseline)', Math.round(raw)],
        ['raw gossipsub: fraction delivered', rawDelivered],
        ['50-op updates, one publisher: ops/s all nodes', Math.round(opsOne)],
        ['50-op updates, 5 publishers: ops/s all nodes', Math.round(opsMany)],
        [`1-op updates, one publisher: updates/s all nodes (median of ${SINGLE_OP_RUNS}: ${runsOne.map((r) => Math.round(r.rate)).join(', ')})`, Math.round(singleOne)],
        [`1-op updates, 5 publishers: updates/s all nodes (median of ${SINGLE_OP_RUNS}: ${runsMany.map((r) => Math.round(r.rate)).join(', ')})`, Math.round(singleMany)],
        ['machine CPU busy in the 1-op runs, 1 / 5 publishers (median)', `${busy(runsOne).toFixed(2)} / ${busy(runsMany).toFixed(2)}`],
        ['single-op ratio to raw gossipsub', peak / raw],
        [`verification ceiling: cores x strict verifies/s per core / ${NODES} nodes`, Math.round(verifyBound)],
        ['single-op ratio to that ceiling', peak / verifyBound],
        ...rates.map((r): [string, string] => [
          `open loop ${r.rate}/s offered, remote deliveries: p50 / p99 / p99.9 / max ms`,
          `${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.p999)} / ${ms(r.max)} (${r.n} deliveries, ${r.lost} lost)`,
        ]),
        [`sustained_single_op_per_s (highest offered rate with p99 < ${SUSTAINED_P99_MS} ms; target >= 2000)`, sustained],
      ],
      {
        bench: 'propagation',
        method: `cold-median-of-${SINGLE_OP_RUNS}`,
        store_sync: true,
        layout: inProcess ? 'in-process' : 'process-per-node',
        raw_gossip_msgs_per_s: Math.round(raw),
        raw_gossip_delivered: Number(rawDelivered.toFixed(4)),
        ops_per_s_all_nodes: Math.round(Math.max(opsOne, opsMany)),
        ops_per_s_one_publisher: Math.round(opsOne),
        ops_per_s_five_publishers: Math.round(opsMany),
        single_op_updates_per_s_all_nodes: Math.round(peak),
        single_op_one_publisher: Math.round(singleOne),
        single_op_five_publishers: Math.round(singleMany),
        single_op_runs: [...runsOne, ...runsMany].map((r) => Math.round(r.rate)),
        single_op_cpu_busy: Number(Math.max(busy(runsOne), busy(runsMany)).toFixed(3)),
        ratio_to_raw_gossip: Number((peak / raw).toFixed(3)),
        verify_ceiling_updates_per_s: Math.round(verifyBound),
        ratio_to_verify_ceiling: Number((peak / verifyBound).toFixed(3)),
        latency_method: 'open loop from the scheduled send time, remote nodes only',
        latency_rate_per_s: at.rate,
        p50_ms: Number(at.p50.toFixed(1)),
        p99_ms: Number(at.p99.toFixed(1)),
        p999_ms: Number(at.p999.toFixed(1)),
        sustained_single_op_per_s: sustained,
        latency_by_rate: rates.map((r) => ({ offered_per_s: r.rate, p50_ms: r.p50, p99_ms: Number.isFinite(r.p99) ? r.p99 : null, p999_ms: Number.isFinite(r.p999) ? r.p999 : null, lost: r.lost, deliveries: r.n })),
      },
    );
  } finally {
    await c.stop();
  }
}

import { Author, KIND_ATTESTATION, Signer } from '../crdt/index.js';
import { availableParallelism } from 'node:os';
import { BenchPeer, until } from './bench-peer.js';
import { readFileSync } from 'node:fs';
import { startPeer, type Peer } from './peer-process.js';
import { report, sample, seedFor, spread, verifyRatePerCore } from './common.js';

const GAP = Number(process.env.MURMUR_BENCH_GAP ?? 100_000);
const AUTHORS = 20;
const SMALL_TRIALS = 5;
const SMALL_DIVERGENCE = 100;
/** The divergence round_trips_small is measured on: this many updates on each side (above the 128 ids a session opens with). */
const LARGE_EACH = 1_000;
/** Catch-ups measured, each with a fresh sink. */
const RUNS = 3;
/** Periodic sync off: the sessions here are the ones measured. */
const NO_PERIODIC_SYNC_MS = 3_600_000;

/** `n` single-op updates from AUTHORS authors; each first update depends on `deps` (a node's frontier). */
function generate(n: number, label: string, offset = 0, deps: string[] = []): Uint8Array[] {
  const authors = Array.from({ length: AUTHORS }, (_, k) => new Author(new Signer(seedFor(`${label}-${k}`))));
  return Array.from({ length: n }, (_, i) =>
    authors[i % AUTHORS]!.next(
      [{ kind: KIND_ATTESTATION, body: { feed: `F${i % 50}`, exponent: -8, mantissa: offset + i, confidence: 1, observedAtMs: offset + i, sources: [] } }],
      offset + i,
      i < AUTHORS ? deps : [],
    ).bytes,
  );
}

/** Bytes through the loopback interface so far (every byte both peers send each other, headers included). */
function loopbackBytes(): number {
  const line = readFileSync('/proc/net/dev', 'utf8').split('\n').find((l) => l.trim().startsWith('lo:'));
  if (line === undefined) return NaN;
  return Number(line.split(':')[1]!.trim().split(/\s+/)[0]); // receive bytes (= transmit on lo)
}

/**
 * Each side gets `each` updates the other lacks, then one session from the sink: its round trips.
 * New work depends on what its author's node holds, as real updates do (deps = frontier).
 */
async function divergence(source: Peer, sink: BenchPeer, peerId: string, each: number, label: string, offset: number): Promise<number> {
  await source.offer(generate(each, `${label}-a`, offset, await source.frontier(8)), false);
  await sink.offer(generate(each, `${label}-b`, offset + 5e8, sink.node.log.frontier(8)), false);
  const rounds = await sink.syncWith(peerId);
  // The source may still be applying what the sink sent when the sink's side of the session ends.
  if (!(await until(async () => sink.node.log.digest() === (await source.digest()), 10_000))) throw new Error(`${label} did not reconcile`);
  return rounds;
}

/**
 * The sink (the node measured) runs in this process; the source too, or with `--processes` in a
 * child process of its own (as the peer a node catches up from runs elsewhere). Both run the
 * node's defaults (storeSync on). Each of RUNS runs starts a fresh, cold sink; the median and the
 * spread are reported. `overhead` is the bytes on the loopback wire during the catch-up (both
 * directions, TCP/IP headers included, read after the session ended) over the missing updates' bytes.
 */
export async function main(args: string[]): Promise<void> {
  const inProcess = !args.includes('--processes');
  const source = await startPeer({ label: 'catchup-source', syncIntervalMs: NO_PERIODIC_SYNC_MS }, inProcess);
  try {
    // Setup (not timed): the source holds GAP updates it generated itself.
    const updates = generate(GAP, 'gap');
    const missingBytes = updates.reduce((n, u) => n + u.length, 0);
    await source.offer(updates, true);
    const { multiaddr, peerId } = await source.address();

    const times: number[] = [];
    const overheads: number[] = [];
    const small: number[] = [];
    const large: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const wire0 = loopbackBytes();
      const t0 = performance.now();
      const sink = await BenchPeer.start({ label: `catchup-sink-${run}`, bootstrap: [multiaddr], syncIntervalMs: NO_PERIODIC_SYNC_MS });
      try {
        const log = sink.node.log;
        if (!(await until(() => log.size === GAP, 120_000))) throw new Error(`catch-up stalled at ${log.size}`);
        times.push((performance.now() - t0) / 1000);
        await until(() => sink.node.network.sync.metrics.sessions > 0, 5_000); // the session has ended
        overheads.push((loopbackBytes() - wire0) / missingBytes);
        if (run === RUNS - 1) {
          // Divergences after the catch-up: SMALL_DIVERGENCE in all (half each side), and LARGE_EACH on each side.
          for (let trial = 0; trial < SMALL_TRIALS; trial++) small.push(await divergence(source, sink, peerId, SMALL_DIVERGENCE / 2, `small-${trial}`, 1e9 + trial * 1e6));
          for (let trial = 0; trial < SMALL_TRIALS; trial++) large.push(await divergence(source, sink, peerId, LARGE_EACH, `large-${trial}`, 3e9 + trial * 1e6));
        }
      } finally {
        await sink.stop();
      }
    }
    const seconds = sample(times);
    const overhead = sample(overheads);
    // Baseline: the time the strict checks alone take with every core on them (nothing else).
    const floorSeconds = GAP / (verifyRatePerCore(updates.slice(0, 200)) * availableParallelism());
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

    report(
      [
        ['layout', inProcess ? 'source and sink in this process' : 'source in a process of its own'],
        ['updates missing / bytes of them', `${GAP} / ${missingBytes}`],
        [`catch-up seconds (target <= 10): ${spread(seconds, 2)}`, seconds.median],
        ['baseline: strict verification alone on all cores, seconds', floorSeconds],
        ['ratio catch-up / verification alone', seconds.median / floorSeconds],
        ['effective apply rate, updates/s', Math.round(GAP / seconds.median)],
        [`overhead: loopback wire bytes / bytes missing (<= 1.2): ${spread(overhead)}`, overhead.median],
        [`round trips, ${SMALL_DIVERGENCE}-update divergence (mean of ${SMALL_TRIALS})`, mean(small)],
        [`round_trips_small: ${LARGE_EACH} updates on each side (mean of ${SMALL_TRIALS}, <= 2)`, mean(large)],
      ],
      {
        bench: 'catchup',
        method: `cold-median-of-${RUNS}`,
        store_sync: true,
        layout: inProcess ? 'in-process' : 'process-per-node',
        updates: GAP,
        seconds: Number(seconds.median.toFixed(2)),
        seconds_min: Number(seconds.min.toFixed(2)),
        seconds_max: Number(seconds.max.toFixed(2)),
        verify_floor_seconds: Number(floorSeconds.toFixed(2)),
        ratio_to_verify_floor: Number((seconds.median / floorSeconds).toFixed(3)),
        overhead: Number(overhead.median.toFixed(3)),
        overhead_measured_on: 'loopback wire, both directions',
        round_trips_small: mean(large),
        round_trips_small_divergence_each_side: LARGE_EACH,
        round_trips_100: mean(small),
        apply_updates_per_s: Math.round(GAP / seconds.median),
      },
    );
  } finally {
    await source.stop();
  }
}

import { Author, KIND_ATTESTATION, Signer } from '../crdt/index.js';
import { availableParallelism } from 'node:os';
import { BenchPeer, until } from './bench-peer.js';
import { startPeer } from './peer-process.js';
import { report, seedFor, verifyRatePerCore } from './common.js';

const GAP = Number(process.env.MURMUR_BENCH_GAP ?? 100_000);
const AUTHORS = 20;
const SMALL_TRIALS = 5;
const SMALL_DIVERGENCE = 100;
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

/**
 * The sink (the node measured) runs in this process; the source too, or with `--processes` in a
 * child process of its own (as the peer a node catches up from runs elsewhere).
 */
export async function main(args: string[]): Promise<void> {
  const inProcess = !args.includes('--processes');
  const source = await startPeer({ label: 'catchup-source', syncIntervalMs: NO_PERIODIC_SYNC_MS }, inProcess);
  let sink: BenchPeer | null = null;
  try {
    // Setup (not timed): the source holds GAP updates it generated itself.
    const updates = generate(GAP, 'gap');
    const missingBytes = updates.reduce((n, u) => n + u.length, 0);
    await source.offer(updates, true);
    const { multiaddr, peerId } = await source.address();

    const t0 = performance.now();
    sink = await BenchPeer.start({ label: 'catchup-sink', bootstrap: [multiaddr], syncIntervalMs: NO_PERIODIC_SYNC_MS });
    const log = sink.node.log;
    if (!(await until(() => log.size === GAP, 120_000))) throw new Error(`catch-up stalled at ${log.size}`);
    const seconds = (performance.now() - t0) / 1000;
    const overhead = sink.node.network.sync.metrics.bytesIn / missingBytes;
    // Baseline: the time the strict checks alone take with every core on them (nothing else).
    const floorSeconds = GAP / (verifyRatePerCore(updates.slice(0, 200)) * availableParallelism());
    const verifyRate = GAP / seconds;

    // Small divergences: each side gets SMALL_DIVERGENCE / 2 updates the other lacks, then one session.
    const rounds: number[] = [];
    for (let trial = 0; trial < SMALL_TRIALS; trial++) {
      // New work depends on what its author's node holds, as real updates do (deps = frontier).
      await source.offer(generate(SMALL_DIVERGENCE / 2, `small-a-${trial}`, 1e9 + trial * 1e6, await source.frontier(8)), false);
      await sink.offer(generate(SMALL_DIVERGENCE / 2, `small-b-${trial}`, 2e9 + trial * 1e6, log.frontier(8)), false);
      rounds.push(await sink.syncWith(peerId));
      // The source may still be applying what the sink sent when the sink's side of the session ends.
      if (!(await until(async () => log.digest() === (await source.digest()), 5_000))) throw new Error(`trial ${trial} did not reconcile`);
    }
    const meanRounds = rounds.reduce((a, b) => a + b, 0) / rounds.length;

    report(
      [
        ['layout', inProcess ? 'source and sink in this process' : 'source in a process of its own'],
        ['updates missing / bytes of them', `${GAP} / ${missingBytes}`],
        ['catch-up seconds (target <= 10)', seconds],
        ['baseline: strict verification alone on all cores, seconds', floorSeconds],
        ['ratio catch-up / verification alone', seconds / floorSeconds],
        ['effective apply rate, updates/s', Math.round(verifyRate)],
        ['overhead: bytes received / bytes missing (<= 1.2)', overhead],
        [`round trips for a ${SMALL_DIVERGENCE}-update divergence (mean of ${SMALL_TRIALS}, <= 2)`, meanRounds],
      ],
      {
        bench: 'catchup',
        layout: inProcess ? 'in-process' : 'process-per-node',
        updates: GAP,
        seconds: Number(seconds.toFixed(2)),
        verify_floor_seconds: Number(floorSeconds.toFixed(2)),
        ratio_to_verify_floor: Number((seconds / floorSeconds).toFixed(3)),
        overhead: Number(overhead.toFixed(3)),
        round_trips_small: meanRounds,
        apply_updates_per_s: Math.round(verifyRate),
      },
    );
  } finally {
    await Promise.allSettled([sink?.stop(), source.stop()]);
  }
}

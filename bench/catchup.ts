import { Author, KIND_ATTESTATION, Signer } from '../crdt/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { MurmurNode } from '../src/node.js';
import { until } from './cluster.js';
import { report, seedFor, verifyRatePerCore } from './common.js';

const GAP = Number(process.env.MURMUR_BENCH_GAP ?? 100_000);
const AUTHORS = 20;
const SMALL_TRIALS = 5;
const SMALL_DIVERGENCE = 100;

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

async function node(label: string, bootstrap: string[] = []): Promise<{ node: MurmurNode; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `murmur-catchup-${label}-`));
  const config = resolveConfig({
    dataDir: dir,
    networkId: 'murmur-bench',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    storeSync: false,
    syncIntervalMs: 3_600_000, // periodic sync off: sessions here are the ones measured
    logLevel: 'silent',
  });
  return { node: await MurmurNode.start({ config, logger: createLogger('silent'), api: false }), dir };
}

export async function main(): Promise<void> {
  const source = await node('source');
  const dirs = [source.dir];
  try {
    // Setup (not timed): the source holds GAP updates it generated itself.
    const updates = generate(GAP, 'gap');
    const missingBytes = updates.reduce((n, u) => n + u.length, 0);
    for (const u of updates) source.node.log.offer(u, { signatureVerified: true });
    await source.node.store.flush();

    const t0 = performance.now();
    const sink = await node('sink', [source.node.network.multiaddrs()[0]!]);
    dirs.push(sink.dir);
    if (!(await until(() => sink.node.log.size === GAP, 120_000))) throw new Error(`catch-up stalled at ${sink.node.log.size}`);
    const seconds = (performance.now() - t0) / 1000;
    const overhead = sink.node.network.sync.metrics.bytesIn / missingBytes;
    // Baseline: the time the strict checks alone take with every core on them (nothing else).
    const floorSeconds = GAP / (verifyRatePerCore(updates.slice(0, 200)) * availableParallelism());
    const verifyRate = GAP / seconds;

    // Small divergences: each side gets SMALL_DIVERGENCE / 2 updates the other lacks, then one session.
    const rounds: number[] = [];
    for (let trial = 0; trial < SMALL_TRIALS; trial++) {
      // New work depends on what its author's node holds, as real updates do (deps = frontier).
      for (const u of generate(SMALL_DIVERGENCE / 2, `small-a-${trial}`, 1e9 + trial * 1e6, source.node.log.frontier(8))) source.node.log.offer(u);
      for (const u of generate(SMALL_DIVERGENCE / 2, `small-b-${trial}`, 2e9 + trial * 1e6, sink.node.log.frontier(8))) sink.node.log.offer(u);
      const r = await sink.node.network.sync.syncWith(source.node.network.libp2p.peerId);
      if (r === null || sink.node.log.digest() !== source.node.log.digest()) throw new Error(`trial ${trial} did not reconcile`);
      rounds.push(r.rounds);
    }
    const meanRounds = rounds.reduce((a, b) => a + b, 0) / rounds.length;
    await sink.node.stop();

    report(
      [
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
    await source.node.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

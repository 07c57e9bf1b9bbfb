import { Author, EQUATION, KIND_ATTESTATION, Log, OPENSSL_EQUATION, Signer, decodeUpdate, toHex, type Equation, type OpInput } from '../crdt/index.js';
import { gc, report, sample, seconds, seedFor, shuffle, spread, timedRuns, type Sample } from './common.js';
import { measureNodeMemory } from './memory.js';

const AUTHORS = 20;
const SINGLE_UPDATES = 20_000;
const BATCH_OPS = 100;
const BATCH_UPDATES = 2_000;
/** Every figure is the median of this many runs, all measured (no warm-up, no best-of). */
const REPS = 5;
/** Updates a node holds for bytes_per_single_op_update (the memory bench's fixture of that size), and its runs. */
const MEMORY_UPDATES = 100_000;
const MEMORY_RUNS = 3;

function op(feed: number, i: number): OpInput {
  return {
    kind: KIND_ATTESTATION,
    body: { feed: `FEED-${feed}/USD`, exponent: -8, mantissa: 250_000_000_000 + i, confidence: 50_000, observedAtMs: 1_700_000_000_000 + i, sources: [] },
  };
}

/** Updates from AUTHORS authors, each depending on its previous one and on another author's last. */
function generate(updates: number, opsPer: number): Uint8Array[] {
  const authors = Array.from({ length: AUTHORS }, (_, k) => new Author(new Signer(seedFor(`author-${k}`))));
  const last: string[] = [];
  const out: Uint8Array[] = [];
  for (let i = 0; i < updates; i++) {
    const k = i % AUTHORS;
    const other = last[(k + 1) % AUTHORS];
    const ops = Array.from({ length: opsPer }, (_, j) => op(j, i));
    const u = authors[k]!.next(ops, 1_700_000_000_000 + i, other === undefined ? [] : [other]);
    last[k] = u.id;
    out.push(u.bytes);
  }
  return shuffle(out);
}

/**
 * One signature library alone (`equation`: node:crypto's OpenSSL, the baseline, or the
 * backend strict checks use) over exactly the (key, signed bytes, signature) triples of
 * `updates`: one library verify per update and nothing else, the floor under which ingest cannot go.
 */
function verifyRun(updates: Uint8Array[], equation: Equation): () => void {
  const triples = updates.map((b) => {
    const u = decodeUpdate(b);
    return { key: u.author, hex: toHex(u.author), msg: u.signed, sig: u.signature };
  });
  return () => {
    for (const t of triples) if (!equation.holds(t.key, t.msg, t.sig, t.hex)) throw new Error(`${equation.backend} verify failed`);
  };
}

/**
 * Runs baseline and measured back to back `reps` times, so each pair sees the same machine load;
 * every run is measured, the first (cold) one too. Returns the per-pair ratios (baseline time /
 * measured time) and both times.
 */
function interleaved(reps: number, baseline: () => void, measured: () => void): { ratio: Sample; baseline: Sample; measured: Sample } {
  const pairs = Array.from({ length: reps }, () => ({ b: seconds(baseline), m: seconds(measured) }));
  return { ratio: sample(pairs.map((p) => p.b / p.m)), baseline: sample(pairs.map((p) => p.b)), measured: sample(pairs.map((p) => p.m)) };
}

/** A fresh log takes every update (full validation, signatures inline) and is asked its digest, as /v1/status would. */
function ingestAll(updates: Uint8Array[]): Log {
  const log = new Log();
  for (const u of updates) log.offer(u);
  if (log.size !== updates.length) throw new Error(`only ${log.size} of ${updates.length} applied`);
  log.digest();
  return log;
}

export async function main(args: string[]): Promise<void> {
  const memoryUpdates = args.includes('--memory-updates') ? Number(args[args.indexOf('--memory-updates') + 1]) : MEMORY_UPDATES;
  const single = generate(SINGLE_UPDATES, 1);
  const batched = generate(BATCH_UPDATES, BATCH_OPS);

  // Cold, interleaved: the backend the strict checks use, alone, against the whole ingest path.
  const same = interleaved(REPS, verifyRun(single, EQUATION), () => ingestAll(single));
  const openssl = interleaved(REPS, verifyRun(single, OPENSSL_EQUATION), () => ingestAll(single));
  const singleRate = SINGLE_UPDATES / sample([...same.measured.values, ...openssl.measured.values]).median;
  const backendRate = SINGLE_UPDATES / same.baseline.median;
  const verifyRate = SINGLE_UPDATES / openssl.baseline.median;
  const batchedRuns = timedRuns(REPS, () => ingestAll(batched));
  const batchedOps = (BATCH_UPDATES * BATCH_OPS) / batchedRuns.median;

  // Heap held per stored op (100-op updates): heap with the inputs and a full log, minus heap with the inputs alone.
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = ingestAll(batched);
  gc();
  const after = process.memoryUsage().heapUsed;
  const heapPerOp = (after - before) / (BATCH_UPDATES * BATCH_OPS);
  if (held.size !== BATCH_UPDATES) throw new Error('heap run did not apply everything');

  // Everything counted, single-op updates: a real node (default config) on a store of them,
  // RSS over an empty node's, in fresh processes (bench/memory.ts).
  const memory = await measureNodeMemory(memoryUpdates, MEMORY_RUNS, () => undefined);

  report(
    [
      [`${EQUATION.backend} verify alone (the strict checks' backend), /s`, Math.round(backendRate)],
      ['raw node:crypto (OpenSSL) verify alone, /s', Math.round(verifyRate)],
      ['single-op updates/s ingested (random order, inline)', Math.round(singleRate)],
      [`ratio_to_same_backend (target >= 0.7): ${spread(same.ratio)}`, same.ratio.median],
      [`ratio_to_node_crypto: ${spread(openssl.ratio)}`, openssl.ratio.median],
      [`batched ops/s, 100-op updates (target >= 100k): runs ${spread(batchedRuns, 4)} s`, Math.round(batchedOps)],
      ['heap bytes per attestation op, 100-op updates', Math.round(heapPerOp)],
      [`bytes_per_single_op_update (RSS, ${memoryUpdates} held; target <= 600): ${spread(memory.perUpdate, 0)}`, Math.round(memory.perUpdate.median)],
    ],
    {
      bench: 'ingest',
      method: `cold-median-of-${REPS}`,
      store_sync: true,
      raw_verify_per_s: Math.round(verifyRate),
      single_op_updates_per_s: Math.round(singleRate),
      single_op_ratio: Number(openssl.ratio.median.toFixed(3)),
      ratio_to_node_crypto: Number(openssl.ratio.median.toFixed(3)),
      ed25519_backend: EQUATION.backend,
      backend_verify_per_s: Math.round(backendRate),
      ratio_to_backend_verify: Number(same.ratio.median.toFixed(3)),
      ratio_to_same_backend: Number(same.ratio.median.toFixed(3)),
      ratio_to_same_backend_min: Number(same.ratio.min.toFixed(3)),
      ratio_to_same_backend_max: Number(same.ratio.max.toFixed(3)),
      batched_ops_per_s: Math.round(batchedOps),
      heap_bytes_per_op: Math.round(heapPerOp),
      bytes_per_single_op_update: Math.round(memory.perUpdate.median),
      bytes_per_single_op_update_updates: memoryUpdates,
      targets: { ratio_to_same_backend: 0.7, bytes_per_single_op_update: 600, batched_ops_per_s: 100_000 },
    },
  );
}

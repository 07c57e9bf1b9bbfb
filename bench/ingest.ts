import { Author, EQUATION, KIND_ATTESTATION, Log, OPENSSL_EQUATION, Signer, decodeUpdate, toHex, type Equation, type OpInput } from '../crdt/index.js';
import { bestOf, gc, report, seedFor, shuffle } from './common.js';

const AUTHORS = 20;
const SINGLE_UPDATES = 20_000;
const BATCH_OPS = 100;
const BATCH_UPDATES = 2_000;
const REPS = 5;

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
 * Runs baseline and measured back to back `reps` times, so each pair sees the same machine load.
 * Returns the median of the per-pair time ratios (baseline / measured) and the median times.
 */
function interleaved(reps: number, baseline: () => void, measured: () => void): { ratio: number; baseline: number; measured: number } {
  const pairs = Array.from({ length: reps }, () => ({ b: bestOf(1, baseline), m: bestOf(1, measured) }));
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[xs.length >> 1]!;
  return { ratio: median(pairs.map((p) => p.b / p.m)), baseline: median(pairs.map((p) => p.b)), measured: median(pairs.map((p) => p.m)) };
}

function ingestAll(updates: Uint8Array[]): Log {
  const log = new Log();
  for (const u of updates) log.offer(u);
  if (log.size !== updates.length) throw new Error(`only ${log.size} of ${updates.length} applied`);
  return log;
}

export async function main(): Promise<void> {
  const single = generate(SINGLE_UPDATES, 1);
  const batched = generate(BATCH_UPDATES, BATCH_OPS);

  const t1 = interleaved(REPS, verifyRun(single, OPENSSL_EQUATION), () => ingestAll(single));
  const verifyRate = SINGLE_UPDATES / t1.baseline;
  const singleRate = SINGLE_UPDATES / t1.measured;
  const backendRate = SINGLE_UPDATES / bestOf(REPS, verifyRun(single, EQUATION));
  const batchedOps = (BATCH_UPDATES * BATCH_OPS) / bestOf(REPS, () => ingestAll(batched));

  // Heap held per stored op: heap with the inputs and a full log, minus heap with the inputs alone.
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = ingestAll(batched);
  gc();
  const after = process.memoryUsage().heapUsed;
  const heapPerOp = (after - before) / (BATCH_UPDATES * BATCH_OPS);
  if (held.size !== BATCH_UPDATES) throw new Error('heap run did not apply everything');

  report(
    [
      ['raw node:crypto verify of the same updates, /s', Math.round(verifyRate)],
      ['single-op updates/s (random order)', Math.round(singleRate)],
      ['single_op_ratio, median of 5 pairs (target >= 0.7)', t1.ratio],
      [`${EQUATION.backend} verify alone (the strict checks' equation backend), /s`, Math.round(backendRate)],
      [`single-op updates/s over the ${EQUATION.backend} rate`, singleRate / backendRate],
      ['batched ops/s, 100-op updates (target >= 100k)', Math.round(batchedOps)],
      ['heap bytes per attestation op (target <= 300)', Math.round(heapPerOp)],
    ],
    {
      bench: 'ingest',
      raw_verify_per_s: Math.round(verifyRate),
      single_op_updates_per_s: Math.round(singleRate),
      single_op_ratio: Number(t1.ratio.toFixed(3)),
      ed25519_backend: EQUATION.backend,
      backend_verify_per_s: Math.round(backendRate),
      ratio_to_backend_verify: Number((singleRate / backendRate).toFixed(3)),
      batched_ops_per_s: Math.round(batchedOps),
      heap_bytes_per_op: Math.round(heapPerOp),
    },
  );
}

/**
 * `npm run bench -- secagg`: a SecAgg+ round of 64 contributors over 2^20 coordinates.
 *   - mask_gbps_per_core: one contributor's masks (self-mask and every pairwise mask) expanded with
 *     AES-128-CTR and added into its vector, in GB/s on one core, in a process of a contributor's
 *     size; baseline: node:crypto's AES-128-CTR key stream alone over the same bytes (the ceiling).
 *   - aggregate_overhead: a node's whole CPU (process.cpuUsage: main thread and verifier workers)
 *     to take in every update of the round (keys, roster, shares, masked slices, close, reveals)
 *     and unmask the sum, over the same for the survivors' plain f32 deltas and their mean.
 *     Fresh node per run, default configuration, cold; median of runs with spread.
 *   - bytes_expansion: wire bytes of a contributor's updates (plus its share of the coordinator's)
 *     over its plain delta's update bytes.
 *   - exact: the unmasked sum equals the plain fixed-point sum of the survivors, byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Author, KIND_DELTA, Signer, f32Delta, type OpInput, type SecAggConfig, type SecAggOp, type SecAggView } from '../crdt/index.js';
import { deltaAggregate } from '../src/aggregates/delta-aggregate.js';
import { SecAggAggregates } from '../src/aggregates/secagg-aggregate.js';
import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { MurmurNode } from '../src/node.js';
import { SecAggCoordinator } from '../src/secagg/coordinator.js';
import { fixedPointInput, SECAGG_SLICE_COORDS, SecAggParticipant } from '../src/secagg/participant.js';
import { roundState } from '../src/secagg/round.js';
import { gc, report, sample, seedFor, spread, type Sample } from './common.js';

const CONTRIBUTORS = 64;
const DIMENSION = 2 ** 20;
/** The CLI's defaults (murmur secagg-join): k = 16 neighbours, threshold 9. */
const NEIGHBOURS = 16;
const THRESHOLD = 9;
/** Contributors that drop out before masking (their pairwise masks are recovered). */
const DROPOUTS = 2;
const RUNS = 3;
/** Mask-rate runs (cheap: 72 MB of masks each). */
const MASK_RUNS = 7;
const STREAM = 'bench-secure';

interface Round {
  config: SecAggConfig;
  updates: Uint8Array[];
  plain: Uint8Array[];
  expected: Int32Array;
  bytesExpansion: number;
}

/** Seeded values inside the clip (a xorshift stream: the same vectors every run). */
function values(k: number, clip: number): Float32Array {
  let s = (k + 1) * 0x9e3779b9;
  const v = new Float32Array(DIMENSION);
  const amp = (2 * clip) / Math.sqrt(DIMENSION);
  for (let i = 0; i < DIMENSION; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = ((s >>> 0) / 2 ** 32 - 0.5) * amp;
  }
  return v;
}

/** Plays the round once, off the clock: every op signed into a real update, in the order a node would see them. */
function playRound(dir: string): Round {
  const coordinator = new Author(new Signer(seedFor('secagg-coordinator')));
  const config: SecAggConfig = { dimension: DIMENSION, neighbours: NEIGHBOURS, threshold: THRESHOLD, maxMembers: CONTRIBUTORS, scaleBits: 16, clipNorm: 10, noiseStd: 0, coordinator: coordinator.key };
  const authors = Array.from({ length: CONTRIBUTORS }, (_, k) => new Author(new Signer(seedFor(`secagg-${k}`))));
  const vs = authors.map((_, k) => values(k, config.clipNorm));
  const parts = authors.map((a, k) => new SecAggParticipant({ keyPath: join(dir, `c${k}`), author: a.key, stream: STREAM, round: 1, config, values: vs[k]!, shareWaitMs: 0 }));
  const coord = new SecAggCoordinator({ stream: STREAM, round: 1, config, expectedMembers: CONTRIBUTORS, keysWaitMs: 1, maskWaitMs: 2 }); // steps of the loop below
  const views: SecAggView[] = [];
  const updates: Uint8Array[] = [];
  const bytesBy = new Map<string, number>();
  const sign = (a: Author, ops: OpInput[]): void => {
    const u = a.next(ops, 1_700_000_000_000 + updates.length);
    updates.push(u.bytes);
    bytesBy.set(a.key, (bytesBy.get(a.key) ?? 0) + u.bytes.length);
    ops.forEach((o, index) => views.push({ ...(o.body as SecAggOp), updateId: u.id, index, author: a.key, seq: a.lastSeq }));
  };
  const dropped = new Set([3, 40].slice(0, DROPOUTS));
  for (let step = 0; step < 8; step++) {
    const s = roundState(STREAM, 1, views);
    parts.forEach((p, k) => {
      if (dropped.has(k) && p.state.sent.shares) return;
      for (const ops of p.step(s, step).updates) sign(authors[k]!, ops);
    });
    for (const ops of coord.step(roundState(STREAM, 1, views), step).updates) sign(coordinator, ops);
  }
  const survivors = authors.map((_, k) => k).filter((k) => !dropped.has(k));
  if (!parts.every((p, k) => p.done || dropped.has(k))) throw new Error('the round did not finish');
  const expected = new Int32Array(DIMENSION);
  const plain: Uint8Array[] = [];
  const plainBytes: number[] = [];
  for (const k of survivors) {
    const q = fixedPointInput(vs[k]!, config);
    for (let i = 0; i < DIMENSION; i++) expected[i] = (expected[i]! + q[i]!) | 0;
    const clipped = Float32Array.from(q, (x) => x / 2 ** config.scaleBits);
    const a = new Author(new Signer(seedFor(`plain-${k}`)));
    let bytes = 0;
    for (let off = 0; off < DIMENSION; off += SECAGG_SLICE_COORDS) {
      const op: OpInput = { kind: KIND_DELTA, body: f32Delta({ stream: STREAM, round: 1, dimension: DIMENSION, offset: off, sampleWeight: 1 }, clipped.subarray(off, off + SECAGG_SLICE_COORDS)) };
      const u = a.next([op], 1_700_000_000_000 + off);
      plain.push(u.bytes);
      bytes += u.bytes.length;
    }
    plainBytes.push(bytes);
  }
  const coordShare = (bytesBy.get(coordinator.key) ?? 0) / survivors.length;
  const ratios = survivors.map((k, i) => (bytesBy.get(authors[k]!.key)! + coordShare) / plainBytes[i]!);
  return { config, updates, plain, expected, bytesExpansion: ratios.reduce((a, b) => a + b, 0) / ratios.length };
}

async function freshNode(label: string): Promise<{ node: MurmurNode; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), `murmur-bench-${label}-`));
  const config = resolveConfig({ dataDir, networkId: 'murmur-bench', listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' });
  const node = await MurmurNode.start({ config, logger: createLogger('silent'), api: false });
  return { node, stop: async () => { await node.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
}

/** CPU seconds (user + system, all threads) of `fn`. */
async function cpuSeconds(fn: () => Promise<void>): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

async function submitAll(node: MurmurNode, updates: Uint8Array[]): Promise<void> {
  for (let i = 0; i < updates.length; i += 8) {
    const res = await Promise.all(updates.slice(i, i + 8).map((u) => node.submit(u)));
    for (const r of res) if (r.outcome.status !== 'accepted') throw new Error(`update not accepted: ${JSON.stringify(r.outcome).slice(0, 200)}`);
  }
}

/**
 * One contributor's masks (self and NEIGHBOURS pairwise) into its vector, GB/s, and the bare key
 * stream over the same bytes: in a child process the size of a contributor's (bench/secagg-mask-child.ts).
 */
function maskRates(): { mask: Sample; keystream: Sample } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./secagg-mask-child.ts', import.meta.url)), String(DIMENSION), String(NEIGHBOURS + 1), String(MASK_RUNS)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { mask: number[]; keystream: number[] };
  return { mask: sample(r.mask), keystream: sample(r.keystream) };
}

export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-bench-secagg-'));
  try {
    const rates = maskRates();
    const round = playRound(dir);
    const secaggCpu: number[] = [];
    const plainCpu: number[] = [];
    const phases = { secaggIngest: [] as number[], secaggUnmask: [] as number[], plainIngest: [] as number[], plainMean: [] as number[] };
    let exact = true;
    for (let r = 0; r < RUNS; r++) {
      gc();
      const a = await freshNode('secagg');
      const ingestA = await cpuSeconds(() => submitAll(a.node, round.updates));
      const unmask = await cpuSeconds(async () => {
        const agg = new SecAggAggregates();
        const out = agg.compute(STREAM, 1, a.node.log.state.secaggOps(STREAM, 1));
        if (out.result === null) throw new Error(`no secure sum: ${out.reason}`);
        agg.body(STREAM, 1, 'mean', out.result, out.state);
        exact &&= Buffer.compare(Buffer.from(out.result.sum.buffer), Buffer.from(round.expected.buffer)) === 0;
      });
      secaggCpu.push(ingestA + unmask);
      phases.secaggIngest.push(ingestA);
      phases.secaggUnmask.push(unmask);
      await a.stop();
      gc();
      const b = await freshNode('plain');
      const ingestB = await cpuSeconds(() => submitAll(b.node, round.plain));
      const mean = await cpuSeconds(async () => {
        await deltaAggregate(b.node.aggregates, b.node.log.state.deltas(STREAM, 1), { stream: STREAM, round: 1, rule: 'mean' });
      });
      plainCpu.push(ingestB + mean);
      phases.plainIngest.push(ingestB);
      phases.plainMean.push(mean);
      await b.stop();
    }
    const ratio = sample(secaggCpu.map((x, i) => x / plainCpu[i]!));
    const s = sample(secaggCpu);
    const p = sample(plainCpu);
    report(
      [
        ['contributors / dimension / k / threshold', `${CONTRIBUTORS} / ${DIMENSION} / ${NEIGHBOURS} / ${THRESHOLD} (${DROPOUTS} drop before masking)`],
        ['mask expand+add, GB/s on one core', spread(rates.mask)],
        ['baseline: AES-128-CTR key stream alone, GB/s', spread(rates.keystream)],
        ['round node CPU s (ingest + unmask)', spread(s)],
        ['baseline: plain deltas node CPU s (ingest + mean)', spread(p)],
        ['  of which: ingest / unmask', `${spread(sample(phases.secaggIngest))} / ${spread(sample(phases.secaggUnmask))}`],
        ['  of which (plain): ingest / mean', `${spread(sample(phases.plainIngest))} / ${spread(sample(phases.plainMean))}`],
        ['aggregate_overhead (per-run ratio)', spread(ratio)],
        ['bytes_expansion', round.bytesExpansion.toFixed(4)],
        ['exact', String(exact)],
      ],
      {
        bench: 'secagg',
        contributors: CONTRIBUTORS,
        dimension: DIMENSION,
        neighbours: NEIGHBOURS,
        threshold: THRESHOLD,
        dropouts: DROPOUTS,
        mask_gbps_per_core: Number(rates.mask.median.toFixed(3)),
        mask_gbps_spread: [Number(rates.mask.min.toFixed(3)), Number(rates.mask.max.toFixed(3))],
        keystream_gbps_per_core: Number(rates.keystream.median.toFixed(3)),
        mask_ratio_to_keystream: Number((rates.mask.median / rates.keystream.median).toFixed(3)),
        round_cpu_s: Number(s.median.toFixed(3)),
        plain_cpu_s: Number(p.median.toFixed(3)),
        cpu_s_phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Number(sample(v).median.toFixed(3))])),
        kernel_backend: 'default (auto)',
        aggregate_overhead: Number(ratio.median.toFixed(3)),
        aggregate_overhead_spread: [Number(ratio.min.toFixed(3)), Number(ratio.max.toFixed(3))],
        bytes_expansion: Number(round.bytesExpansion.toFixed(4)),
        exact,
        targets: { mask_gbps_per_core: '>= 1.0', aggregate_overhead: '<= 3', bytes_expansion: '<= 1.1' },
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- memory [--updates N] [--runs R]`: a node that holds N (default 1 000 000)
 * single-op updates. Each run starts a fresh process on the same store, cold, with the node's
 * default configuration (signatures verified on replay, on the verifier pool; storeSync on):
 *   - start_s: MurmurNode.start on the store (open, replay, verify, start libp2p), against the
 *     floor measured in the same run, reading and verifying the same records on a VerifierPool
 *     alone (`ratio_to_verify_floor`);
 *   - rss_bytes_per_update: RSS after a full GC, minus an empty node's RSS (measured in the same
 *     run), divided by N; everything counted (heap, ArrayBuffers, the key index, LevelDB's cache),
 *     beside the wire bytes per update (`ratio_to_wire_bytes`).
 * Median of R runs (default 3) with min and max. The fixture store is generated once (signing N
 * updates is setup, not measured) under bench/out/ and reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Author, KIND_ATTESTATION, Log, Signer } from '../crdt/index.js';
import { UpdateStore } from '../src/store/update-store.js';
import { report, sample, seedFor, spread, type Sample } from './common.js';

const AUTHORS = 20;

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i < 0 ? def : Number(args[i + 1]);
}

/** N single-op attestations by AUTHORS authors, each chained on its own last and on another author's last, stored in key order. */
async function buildFixture(dir: string, n: number): Promise<number> {
  const store = new UpdateStore(join(dir, 'store'), { sync: false });
  await store.open();
  const log = new Log();
  let pending: Promise<void>[] = [];
  let wire = 0;
  log.onAccept((rec, bytes) => pending.push(store.append(rec, bytes)));
  const authors = Array.from({ length: AUTHORS }, (_, k) => new Author(new Signer(seedFor(`memory-${k}`))));
  const last: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % AUTHORS;
    const other = last[(k + 1) % AUTHORS];
    const u = authors[k]!.next(
      [{ kind: KIND_ATTESTATION, body: { feed: `F${i % 50}/USD`, exponent: -8, mantissa: 250_000_000_000 + i, confidence: 50_000, observedAtMs: 1_700_000_000_000 + i, sources: [] } }],
      1_700_000_000_000 + i,
      other === undefined ? [] : [other],
    );
    last[k] = u.id;
    wire += u.bytes.length;
    if (log.offer(u.bytes, { signatureVerified: true }).status !== 'accepted') throw new Error(`fixture update ${i} not accepted`);
    if (pending.length >= 10_000) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  await store.close();
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify({ updates: n, wireBytes: wire }));
  return wire;
}

function child(mode: string, dataDir: string): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(import.meta.dirname, 'memory-child.ts'), mode, dataDir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
}

/** The fixture store of `n` updates (generated once, reused) and its wire bytes. */
async function fixtureFor(n: number): Promise<{ fixture: string; wireBytes: number }> {
  const fixture = join(import.meta.dirname, 'out', `memory-${n}`);
  if (!existsSync(join(fixture, 'fixture.json'))) {
    rmSync(fixture, { recursive: true, force: true });
    mkdirSync(fixture, { recursive: true });
    console.log(`generating the fixture: ${n} signed single-op updates (setup, not measured)`);
    await buildFixture(fixture, n);
  }
  const { wireBytes } = (await import(join(fixture, 'fixture.json'), { with: { type: 'json' } })).default as { wireBytes: number };
  return { fixture, wireBytes };
}

export interface MemoryRuns {
  starts: Sample;
  floors: Sample;
  perUpdate: Sample;
  anonPerUpdate: Sample;
  filePerUpdate: Sample;
  detail: Record<string, number>[];
  wireBytes: number;
}

/**
 * `runs` cold runs of a node on the n-update fixture, each with an empty node (the RSS baseline)
 * and the verify floor measured beside it; also what the ingest bench reports as
 * bytes_per_single_op_update.
 */
export async function measureNodeMemory(n: number, runs: number, log = console.log): Promise<MemoryRuns> {
  const { fixture, wireBytes } = await fixtureFor(n);
  const starts: number[] = [];
  const floors: number[] = [];
  const perUpdate: number[] = [];
  const anonPerUpdate: number[] = [];
  const filePerUpdate: number[] = [];
  const detail: Record<string, number>[] = [];
  for (let r = 0; r < runs; r++) {
    const empty = mkdtempSync(join(tmpdir(), 'murmur-mem-empty-'));
    try {
      const e = child('node-empty', empty);
      const f = child('verify', fixture);
      const m = child('node', fixture);
      if (m.updates !== n || m.corrupt !== 0) throw new Error(`run ${r}: ${m.updates} updates, ${m.corrupt} corrupt`);
      starts.push(m.seconds!);
      floors.push(f.seconds!);
      perUpdate.push((m.rss! - e.rss!) / n);
      anonPerUpdate.push((m.rssAnon! - e.rssAnon!) / n);
      filePerUpdate.push((m.rssFile! - e.rssFile!) / n);
      detail.push({ run: r, start_s: m.seconds!, verify_floor_s: f.seconds!, rss: m.rss!, rss_empty: e.rss!, rss_anon: m.rssAnon! - e.rssAnon!, rss_file: m.rssFile! - e.rssFile!, heap_used: m.heapUsed! - e.heapUsed!, array_buffers: m.arrayBuffers! - e.arrayBuffers! });
      log(`run ${r}: start ${m.seconds!.toFixed(2)} s (floor ${f.seconds!.toFixed(2)} s), RSS +${((m.rss! - e.rss!) / 2 ** 20).toFixed(0)} MiB, heap +${((m.heapUsed! - e.heapUsed!) / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }
  return { starts: sample(starts), floors: sample(floors), perUpdate: sample(perUpdate), anonPerUpdate: sample(anonPerUpdate), filePerUpdate: sample(filePerUpdate), detail, wireBytes };
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, '--updates', 1_000_000);
  const runs = arg(args, '--runs', 3);
  const m = await measureNodeMemory(n, runs);
  const start = m.starts.median;
  const floor = m.floors.median;
  const rss = m.perUpdate.median;
  const wire = m.wireBytes / n;
  report(
    [
      ['updates held', n],
      [`start_s (cold restart, verify on replay): ${spread(m.starts)}`, start],
      [`verify floor (read + pool verify only): ${spread(m.floors)}`, floor],
      ['ratio_to_verify_floor (floor / start)', floor / start],
      [`rss_bytes_per_update: ${spread(m.perUpdate)}`, rss],
      [`  of which anonymous (heap, arenas, typed arrays): ${spread(m.anonPerUpdate)}`, m.anonPerUpdate.median],
      [`  of which file-backed (LevelDB's mapped tables): ${spread(m.filePerUpdate)}`, m.filePerUpdate.median],
      ['wire bytes per update', wire],
      ['ratio_to_wire_bytes (wire / rss per update)', wire / rss],
    ],
    {
      bench: 'memory',
      method: `cold-median-of-${runs}`,
      store_sync: true,
      updates: n,
      [`start_s_${n === 1_000_000 ? '1m' : n}`]: start,
      [`rss_bytes_per_update_${n === 1_000_000 ? '1m' : n}`]: rss,
      start_s: start,
      rss_bytes_per_update: rss,
      rss_anon_bytes_per_update: m.anonPerUpdate.median,
      rss_file_bytes_per_update: m.filePerUpdate.median,
      verify_floor_s: floor,
      ratio_to_verify_floor: floor / start,
      wire_bytes_per_update: wire,
      ratio_to_wire_bytes: wire / rss,
      runs: m.detail,
      targets: { rss_bytes_per_update_1m: 400, start_s_1m: 60 },
    },
  );
}

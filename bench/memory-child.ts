/**
 * One measurement of bench/memory.ts in a fresh process, so its RSS is its own:
 *   node-empty <dataDir>  start a node (default config) on an empty data dir
 *   node       <dataDir>  start a node (default config) on a data dir holding the fixture store
 *   verify     <dataDir>  the floor: only read every record and verify it on a VerifierPool
 * Prints one JSON line: seconds to start (or to read and verify), and memory after a full GC.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { MurmurNode } from '../src/node.js';
import { REPLAY_BATCH_RECORDS, REPLAY_VERIFY_AHEAD, UpdateStore } from '../src/store/update-store.js';
import { VerifierPool } from '../src/verify/verifier-pool.js';
import { gc } from './common.js';

const [mode, dataDir] = process.argv.slice(2);

function memory(): Record<string, number> {
  gc();
  const m = process.memoryUsage();
  // RSS split as the kernel counts it: anonymous (heap, arenas, typed arrays) and file-backed (the
  // binary, and LevelDB's memory-mapped table files, which replay reads through once).
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string): number => 1024 * Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: m.rss, rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

async function run(): Promise<Record<string, unknown>> {
  if (mode === 'verify') {
    const pool = new VerifierPool();
    const store = new UpdateStore(join(dataDir!, 'store'));
    await store.open();
    const t0 = performance.now();
    // The same pipeline depth as replay: REPLAY_VERIFY_AHEAD batches in flight.
    let batch: Uint8Array[] = [];
    const inFlight: Promise<unknown>[] = [];
    let n = 0;
    for await (const v of store.level.values()) {
      batch.push(v);
      n++;
      if (batch.length === REPLAY_BATCH_RECORDS) {
        inFlight.push(pool.verify(batch));
        batch = [];
        if (inFlight.length > REPLAY_VERIFY_AHEAD) await inFlight.shift();
      }
    }
    inFlight.push(pool.verify(batch));
    await Promise.all(inFlight);
    const s = (performance.now() - t0) / 1000;
    await store.close();
    await pool.close();
    return { mode, records: n, seconds: s };
  }
  // The node's own defaults (storeSync on, signatures verified on replay), no API, loopback.
  const config = resolveConfig({ dataDir: dataDir!, listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' });
  const t0 = performance.now();
  const node = await MurmurNode.start({ config, logger: createLogger('silent'), api: false });
  const s = (performance.now() - t0) / 1000;
  const mem = memory();
  const out = { mode, updates: node.log.size, corrupt: node.replay.corrupt.length, seconds: s, ...mem, digest: node.log.digest() };
  await node.stop();
  return out;
}

console.log(JSON.stringify(await run()));
process.exit(0);

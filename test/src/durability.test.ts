import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RejectCode, decodeUpdate } from '../../crdt/index.js';
import type { MurmurNode } from '../../src/node.js';
import { UpdateStore } from '../../src/store/update-store.js';
import { VerifierPool } from '../../src/verify/verifier-pool.js';
import { Log } from '../../crdt/index.js';
import { attest, authorFor } from '../helpers/fixtures.js';
import { startNode, tempDataDir, waitFor } from '../helpers/cluster.js';

/** Makes the store's LevelDB batches fail (an I/O error) until the returned function is called. */
function breakWrites(node: MurmurNode): () => void {
  const level = node.store.level;
  const batch = level.batch.bind(level);
  (level as unknown as { batch: unknown }).batch = () => Promise.reject(new Error('EIO: simulated disk failure'));
  return () => ((level as unknown as { batch: unknown }).batch = batch);
}

const post = (api: string, bytes: Uint8Array) => fetch(`${api}/v1/updates`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });

test('acknowledged means on disk: a failing store is retried, writes are refused (503) meanwhile, /health says why, a duplicate waits for the original, and all resumes', async (t) => {
  const dir = tempDataDir('durable');
  const node = await startNode(dir);
  t.after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = node.apiUrl!;
  const author = authorFor('durable');
  const u1 = author.next([attest('D', 1, 1)], 1).bytes;
  const u2 = author.next([attest('D', 2, 2)], 2).bytes;
  const mend = breakWrites(node);
  let firstAnswered = false;
  const first = post(api, u1).then(async (r) => ((firstAnswered = true), { status: r.status, body: (await r.json()) as { status?: string } }));
  assert.ok(await waitFor(() => node.store.error !== null, 5_000), 'the store reports the failing write');
  const health = await fetch(`${api}/health`);
  const hb = (await health.json()) as { ok: boolean; code: string; reason: string };
  assert.equal(health.status, 503, '/health answers 503 while writes fail');
  assert.equal(hb.code, 'store-unavailable', '/health says why (code)');
  assert.match(hb.reason, /EIO/, '/health says why (the error)');
  const refused = await post(api, u2);
  assert.equal(refused.status, 503, 'a new write is refused while the store fails');
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'store-unavailable', 'with a typed code');
  const dupDuringFailure = await post(api, u1);
  assert.equal(dupDuringFailure.status, 503, 'a retry of the unwritten update is refused too, never answered "duplicate"');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(firstAnswered, false, 'the accepted update is not acknowledged before it is on disk');
  mend();
  const a = await first;
  assert.deepEqual([a.status, a.body.status], [200, 'accepted'], 'the first submission is acknowledged once the retried write succeeds');
  const dupAfter = await post(api, u1);
  assert.deepEqual([dupAfter.status, ((await dupAfter.json()) as { status: string }).status], [200, 'duplicate'], 'now its retry is a duplicate');
  assert.equal((await fetch(`${api}/health`)).status, 200, '/health is 200 again');
  assert.equal((await post(api, u2)).status, 200, 'writes are taken again');
  await node.store.flush();
  let stored = 0;
  for await (const _ of node.store.level.keys()) stored++;
  assert.equal(stored, 2, 'both updates are on disk');

  // A slow (not failing) write: the duplicate is answered only after the original is durable.
  const level = node.store.level;
  const batch = level.batch.bind(level);
  let written = false;
  (level as unknown as { batch: unknown }).batch = async (...args: Parameters<typeof batch>) => {
    await new Promise((r) => setTimeout(r, 600));
    await batch(...args);
    written = true;
  };
  const u3 = author.next([attest('D', 3, 3)], 3).bytes;
  const p3 = post(api, u3);
  await new Promise((r) => setTimeout(r, 50));
  const d3 = await post(api, u3);
  assert.equal(written, true, 'the duplicate was answered only after the original write finished');
  assert.equal(((await d3.json()) as { status: string }).status, 'duplicate', 'as a duplicate');
  assert.equal((await p3).status, 200, 'the original is acknowledged');
  (level as unknown as { batch: unknown }).batch = batch;
});

test('store: a failed batch stays queued and is written again until it succeeds', async (t) => {
  const dir = tempDataDir('store-retry');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new UpdateStore(join(dir, 's'), { sync: false });
  await store.open();
  const health: (string | null)[] = [];
  store.onHealth((e) => health.push(e === null ? null : e.message));
  const level = store.level;
  const batch = level.batch.bind(level);
  let failures = 3;
  (level as unknown as { batch: unknown }).batch = (...args: Parameters<typeof batch>) => (failures-- > 0 ? Promise.reject(new Error('EIO')) : batch(...args));
  const log = new Log();
  const writes: Promise<void>[] = [];
  log.onAccept((rec, bytes) => writes.push(store.append(rec, bytes)));
  log.offer(authorFor('retry').next([attest('R', 1, 1)], 1).bytes);
  await Promise.all(writes);
  assert.equal(failures, -1, 'the batch was tried four times');
  assert.deepEqual(health, ['EIO', null], 'failing, then working again, each reported once');
  await store.close();
  const again = new UpdateStore(join(dir, 's'));
  await again.open();
  const replayed = new Log();
  await again.replay(replayed);
  await again.close();
  assert.equal(replayed.digest(), log.digest(), 'the retried record is on disk');
});

test('a tampered store does not inject forged updates: replay verifies signatures on the pool by default; trustStoreOnStart skips that', async (t) => {
  const dir = tempDataDir('tamper');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const store = new UpdateStore(join(data, 'store'), { sync: false });
  await store.open();
  const good = authorFor('tamper').next([attest('T', 1, 1)], 1).bytes;
  const forged = good.slice();
  forged[forged.length - 3]! ^= 0x10; // a broken signature; the id (a plain hash) is simply recomputed
  const id = decodeUpdate(forged).id;
  const key = new Uint8Array(36);
  key.set(Buffer.from(id, 'hex'), 4); // height 0: no deps
  await store.level.put(key, forged);
  await store.close();

  const node = await startNode(data);
  const size = node.log.size;
  const corrupt = node.replay.corrupt.map((c) => c.reason).join('\n');
  await node.stop();
  assert.equal(size, 0, 'the forged record is not in the log');
  assert.match(corrupt, new RegExp(RejectCode.BadSignature), 'and is reported as a bad signature');

  const trusting = await startNode(data, { trustStoreOnStart: true });
  const trusted = trusting.log.has(id);
  await trusting.stop();
  assert.equal(trusted, true, 'with trustStoreOnStart the operator accepted this risk: the forgery is loaded');

  // The same replay through a pool and inline reach the same verdicts.
  const pool = new VerifierPool(2);
  const s2 = new UpdateStore(join(data, 'store'));
  await s2.open();
  const viaPool = await s2.replay(new Log(), { verify: { verifier: (u) => pool.verify(u) } });
  const inline = await s2.replay(new Log(), { verify: 'inline' });
  await s2.close();
  await pool.close();
  assert.deepEqual(viaPool, inline, 'pool and inline replay report the same');
});

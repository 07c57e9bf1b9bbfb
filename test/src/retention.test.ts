import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Log } from '../../crdt/index.js';
import { ConfigError } from '../../src/errors.js';
import { resolveConfig } from '../../src/config.js';
import { RetentionSweeper } from '../../src/retention.js';
import { createLogger } from '../../src/logger.js';
import { startNode, tempDataDir } from '../helpers/cluster.js';
import { attest, audit, authorFor } from '../helpers/fixtures.js';

const HOUR_MS = 3_600_000;

/** 40 updates by 4 authors: attestations observed at 0..39 h, an audit event in every fifth, update time = observation time. */
function history(): Uint8Array[] {
  const authors = [0, 1, 2, 3].map((k) => authorFor(`ret-${k}`));
  const out: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) {
    const ops = [attest('F', i, i * HOUR_MS)];
    if (i % 5 === 0) ops.push(audit('check', `s${i}`));
    out.push(authors[i % 4]!.next(ops, i * HOUR_MS, []).bytes);
  }
  return out;
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('retention: compaction is a function of the update set and the horizons, whatever the arrival order around the sweep', () => {
  const updates = history();
  const full = new Log();
  for (const u of updates) full.offer(u);
  const digest = full.digest();
  const cutoff = { attestationsBeforeMs: 30 * HOUR_MS, auditBeforeMs: 20 * HOUR_MS };
  const views: string[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const log = new Log();
    const order = shuffled(updates, seed);
    // Half arrive before the sweep, half after it (late, or old-dated on purpose).
    for (const u of order.slice(0, 20)) log.offer(u);
    log.state.compact(cutoff);
    for (const u of order.slice(20)) log.offer(u);
    const att = log.state.attestations('F');
    assert.deepEqual(att.map((a) => a.observedAtMs), Array.from({ length: 10 }, (_, k) => (30 + k) * HOUR_MS), `seed ${seed}: only attestations at or after the horizon`);
    assert.equal(log.state.auditCount(), 4, `seed ${seed}: audit events of updates from 20 h on (20, 25, 30, 35)`);
    assert.equal(log.digest(), digest, `seed ${seed}: the digest covers compacted updates too`);
    assert.equal(log.size, 40, `seed ${seed}: every update stays accepted`);
    for (const u of updates) assert.equal(log.offer(u).status, 'duplicate', `seed ${seed}: a compacted update offered again is a duplicate, not new`);
    views.push(JSON.stringify([att, log.state.auditLog()]));
  }
  assert.equal(new Set(views).size, 1, 'every order gives the same answers');
  const before = full.state.attestations('F').length;
  full.state.compact({ attestationsBeforeMs: 10 * HOUR_MS });
  full.state.compact({ attestationsBeforeMs: 5 * HOUR_MS }); // a horizon never moves back
  assert.equal(full.state.attestations('F').length, before - 10, 'ten dropped, the lower cut-off changes nothing');
  assert.deepEqual(full.state.horizons, { attestationsMs: 10 * HOUR_MS, auditMs: 0 }, 'horizons');
  assert.ok(full.bytesOf(full.inOrder()[0]!.id) !== undefined, 'compacted updates keep their bytes (served to peers)');
});

test('retention: the config takes periods in milliseconds or null, and names a bad field', () => {
  assert.deepEqual(resolveConfig({}).retention, { attestationsMs: null, auditMs: null }, 'default: kept forever');
  assert.deepEqual(resolveConfig({ retention: { attestationsMs: 86_400_000 } }).retention, { attestationsMs: 86_400_000, auditMs: null }, 'one period');
  for (const [bad, field] of [
    [{ attestationsMs: 1_000 }, 'retention.attestationsMs'],
    [{ auditMs: -5 }, 'retention.auditMs'],
    [{ attestationsMs: '1d' }, 'retention.attestationsMs'],
    [{ days: 3 }, 'retention.days'],
    [7, 'retention'],
    [null, 'retention'],
  ] as const) {
    assert.throws(() => resolveConfig({ retention: bad }), (e: unknown) => e instanceof ConfigError && e.field === field, `retention ${JSON.stringify(bad)} names ${field}`);
  }
});

test('retention on a node: reads below the horizon get 410 compacted, the rest answer as before, and a restart compacts the same way', async () => {
  const dir = tempDataDir('retention');
  const dataDir = join(dir, 'data');
  const now = Date.now();
  const author = authorFor('ret-node');
  const retention = { attestationsMs: HOUR_MS, auditMs: null };
  let node = await startNode(dataDir, { retention });
  try {
    const old = author.next([attest('R', 1, now - 3 * HOUR_MS)], now - 3 * HOUR_MS, []);
    const recent = author.next([attest('R', 2, now - 60_000)], now - 60_000, [old.id]);
    for (const u of [old, recent]) assert.equal((await node.submit(u.bytes)).outcome.status, 'accepted', 'both accepted');
    node.retention.sweep();
    const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const r = await fetch(`${node.apiUrl}${path}`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const page = await get('/v1/attestations?feed=R');
    assert.equal(page.status, 200, 'no from: the kept range');
    assert.equal(page.body.total, 1, 'only the recent attestation');
    assert.ok((page.body.compactedBeforeMs as number) >= now - HOUR_MS, 'the horizon is said');
    for (const path of ['/v1/attestations?feed=R&from=0', `/v1/aggregates/feed?feed=R&from=${now - 2 * HOUR_MS}`]) {
      const r = await get(path);
      assert.equal(r.status, 410, `${path}: below the horizon`);
      assert.equal((r.body.error as { code: string }).code, 'compacted', `${path}: typed code`);
    }
    assert.equal((await get(`/v1/aggregates/feed?feed=R&from=${now - 30 * 60_000}`)).status, 200, 'an aggregate above the horizon');
    assert.ok(node.ingest.bytesOf(old.id) !== undefined, 'the compacted update is still served to peers');
    const digest = node.log.digest();
    await node.stop();
    node = await startNode(dataDir, { retention });
    assert.equal(node.log.digest(), digest, 'the same digest after a restart');
    assert.equal(node.log.state.attestations('R', node.log.state.horizons.attestationsMs).length, 1, 'compacted at start, before anything is served');
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('retention sweeper: the horizon follows the injected clock and never moves back', () => {
  const log = new Log();
  const a = authorFor('ret-clock');
  for (let i = 0; i < 10; i++) log.offer(a.next([attest('C', i, i * 1_000)], i * 1_000, []).bytes);
  let t = 5_000 + 60_000;
  const sweeper = new RetentionSweeper(log, { attestationsMs: 60_000, auditMs: null }, createLogger('silent'), () => t);
  assert.deepEqual(sweeper.sweep(), { attestations: 5, audit: 0 }, 'five older than a minute at t');
  t -= 3_000; // the clock steps back
  assert.deepEqual(sweeper.sweep(), { attestations: 0, audit: 0 }, 'nothing comes back, nothing more goes');
  assert.equal(log.state.horizons.attestationsMs, 5_000, 'the horizon held');
});

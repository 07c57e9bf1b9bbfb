import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Log, verifyEvidence } from '../../crdt/index.js';
import { UpdateStore, type ReplayReport } from '../../src/store/update-store.js';
import { attest, authorFor } from '../helpers/fixtures.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens the store at `dir` afresh, replays it into a new log, and closes it. */
async function reopen(dir: string): Promise<{ log: Log; report: ReplayReport }> {
  const store = new UpdateStore(dir);
  await store.open();
  const log = new Log();
  const report = await store.replay(log);
  await store.close();
  return { log, report };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

async function fill(store: UpdateStore, n: number): Promise<Log> {
  const log = new Log();
  const writes: Promise<void>[] = [];
  log.onAccept((rec, bytes) => writes.push(store.append(rec, bytes)));
  const authors = [authorFor('s1'), authorFor('s2')];
  for (let i = 0; i < n; i++) log.offer(authors[i % 2]!.next([attest('S', i, i)], i, log.frontier(3)).bytes);
  await Promise.all(writes);
  return log;
}

test('store: a restart rebuilds the same state and digest', async (t) => {
  const dir = tempDir(t);
  const store = new UpdateStore(dir, { sync: false });
  await store.open();
  const log = await fill(store, 300);
  await store.close();

  const { log: replayed, report } = await reopen(dir);
  assert.equal(report.records, 300, 'all records read');
  assert.equal(report.applied, 300, 'all records applied');
  assert.deepEqual(report.corrupt, [], 'no corruption');
  assert.equal(replayed.digest(), log.digest(), 'digest matches after restart');
  assert.deepEqual(replayed.state.attestations('S'), log.state.attestations('S'), 'queries match after restart');
});

test('store: corrupted records are reported and skipped, and the node still starts', async (t) => {
  const dir = tempDir(t);
  const store = new UpdateStore(dir, { sync: false });
  await store.open();
  const log = await fill(store, 50);
  const keys: Uint8Array[] = [];
  for await (const k of store.level.keys()) keys.push(k);
  const victim = keys[keys.length - 1]!; // the highest record: nothing depends on it
  const value = (await store.level.get(victim))!;
  const flipped = value.slice();
  flipped[flipped.length - 1]! ^= 0xff;
  await store.level.put(victim, flipped);
  await store.level.put(new Uint8Array([1, 2, 3]), new Uint8Array([4]));
  await store.close();

  const { log: replayed, report } = await reopen(dir);
  assert.equal(report.corrupt.length, 2, 'both damaged records are reported');
  assert.match(report.corrupt.map((c) => c.reason).join('\n'), /key of 3 bytes/, 'malformed key reported');
  assert.match(report.corrupt.map((c) => c.reason).join('\n'), /hashes to/, 'flipped value reported');
  assert.equal(replayed.size, log.size - 1, 'every intact record was applied');
});

test('store: every acknowledged update survives kill -9 during a stream of writes', async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'writer-child.ts'), dir, 'sync'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of lines) {
    if (line.startsWith('ack ')) acked.push(line.slice(4));
    if (acked.length >= 2000) {
      child.kill('SIGKILL');
      break;
    }
  }
  assert.equal(await exited, 'SIGKILL', 'the writer was killed with SIGKILL');

  const store = new UpdateStore(dir);
  await store.open();
  const log = new Log();
  const report = await store.replay(log);
  const secondLog = new Log();
  await store.replay(secondLog);
  await store.close();
  assert.deepEqual(report.corrupt, [], 'no corrupt records after the crash');
  assert.equal(report.engineError, null, 'LevelDB recovered cleanly');
  for (const id of acked) assert.ok(log.has(id), `acknowledged update ${id} survived kill -9`);
  assert.ok(log.size >= acked.length, 'at least every acknowledged update is there');
  assert.equal(secondLog.digest(), log.digest(), 'replay is deterministic');
});

test('store as the log\'s byte source: the log keeps no bytes, and answers them from the write queue, then LevelDB, then after a restart', async (t) => {
  const dir = tempDir(t);
  const store = new UpdateStore(dir, { sync: false });
  await store.open();
  const log = new Log({ bytes: store });
  const writes: Promise<void>[] = [];
  log.onAccept((rec, bytes) => writes.push(store.append(rec, bytes)));
  const a = authorFor('src');
  const first = a.next([attest('S', 1, 1)], 1, []);
  const fork = authorFor('src').next([attest('S', 2, 1)], 1, []); // the same seq: equivocation
  const second = a.next([attest('S', 3, 2)], 2, [first.id]);
  for (const u of [first, fork, second]) assert.equal(log.offer(u.bytes).status, 'accepted', 'each update is accepted');
  for (const u of [first, fork, second]) assert.ok(sameBytes(log.bytesOf(u.id), u.bytes), `${u.id} answered before its write`);
  await Promise.all(writes);
  for (const u of [first, fork, second]) assert.ok(sameBytes(log.bytesOf(u.id), u.bytes), `${u.id} answered from LevelDB`);
  assert.equal(log.evidence().length, 1, 'the equivocation is proven from the stored headers');
  assert.ok(verifyEvidence(log.evidence()[0]!), 'and the evidence verifies');
  assert.ok(log.isAncestor(first.id, second.id), 'ancestry is read from the stored deps');
  assert.equal(log.bytesOf('00'.repeat(32)), undefined, 'an unknown id has no bytes');
  const digest = log.digest();
  await store.close();
  assert.equal(log.bytesOf(first.id), undefined, 'a closed store answers nothing (and does not throw)');

  const again = new UpdateStore(dir);
  await again.open();
  t.after(() => again.close());
  const replayed = new Log({ bytes: again });
  const report = await again.replay(replayed);
  assert.equal(report.applied, 3, 'all three replayed');
  assert.equal(replayed.digest(), digest, 'the same digest after the restart');
  for (const u of [first, fork, second]) assert.ok(sameBytes(replayed.bytesOf(u.id), u.bytes), `${u.id} answered after the restart`);
  assert.deepEqual(replayed.evidence(), log.evidence(), 'the same evidence');
});

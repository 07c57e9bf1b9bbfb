import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup, exportOps, restore } from '../../src/cli/backup.js';
import { ConfigError } from '../../src/errors.js';
import { generateTokenFile, loadTokenFile } from '../../src/keys.js';
import { BackupFormatError, decodeBackup, encodeBackup } from '../../src/store/backup-stream.js';
import { attest, audit, authorFor } from '../helpers/fixtures.js';
import { nodeForTest, startNode, tempDataDir } from '../helpers/cluster.js';

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

test('backup of a running node, restore into a new data dir: the restored node has the same digest; export as NDJSON and CSV', async (t) => {
  const dir = tempDataDir('backup');
  const tokenFile = join(dir, 'api-token');
  mkdirSync(dir, { recursive: true });
  generateTokenFile(tokenFile);
  const node = await startNode(join(dir, 'node'), { apiTokenFile: tokenFile });
  let restored: Awaited<ReturnType<typeof startNode>> | null = null;
  t.after(async () => {
    await Promise.allSettled([node.stop(), restored?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const a = authorFor('backup');
  for (let i = 0; i < 500; i++) {
    const ops = [attest(i % 2 === 0 ? 'B/USD' : 'C/USD', 1000 + i, 1_700_000_000_000 + i)];
    if (i % 100 === 0) ops.push(audit('check', `s${i}`));
    node.log.offer(a.next(ops, 1_700_000_000_000 + i, []).bytes, { signatureVerified: true });
  }
  await node.store.flush();
  const api = { url: node.apiUrl!, token: loadTokenFile(tokenFile) };

  await assert.rejects(backup({ url: node.apiUrl! }, join(dir, 'no-token')), /401/, 'the backup needs the token (it is every update the node holds)');
  const summary = await backup(api, join(dir, 'bk'));
  assert.equal(summary.records, 500, 'every record');
  assert.equal(summary.digest, node.log.digest(), 'the backup replays to the running node\'s digest');
  assert.equal(JSON.parse(readFileSync(join(dir, 'bk', 'backup.json'), 'utf8')).digest, summary.digest, 'backup.json records it');
  await assert.rejects(backup(api, join(dir, 'bk')), ConfigError, 'a non-empty target is refused');

  const back = await restore(join(dir, 'bk'), join(dir, 'restored'));
  assert.equal(back.digest, summary.digest, 'restore checks and reports the same digest');
  await assert.rejects(restore(join(dir, 'bk'), join(dir, 'restored')), ConfigError, 'a data dir with a store is refused');
  restored = await startNode(join(dir, 'restored'));
  assert.equal(restored.log.digest(), node.log.digest(), 'the restored node starts with the original digest');
  assert.equal(restored.replay.corrupt.length, 0, 'and nothing corrupt');

  const lines: string[] = [];
  assert.equal(await exportOps(api, 'attestation', 'ndjson', undefined, (l) => lines.push(l)), 500, 'every attestation of every feed');
  assert.ok(lines.every((l) => typeof (JSON.parse(l) as { updateId: string }).updateId === 'string'), 'NDJSON: one API object a line');
  const csv: string[] = [];
  assert.equal(await exportOps(api, 'attestation', 'csv', 'B/USD', (l) => csv.push(l)), 250, 'one feed');
  assert.equal(csv[0], 'feed,observedAtMs,value,confidence,author,seq,updateId,index,sources', 'CSV header');
  assert.equal(csv.length, 251, 'header and one line an attestation');
  const events: string[] = [];
  assert.equal(await exportOps(api, 'audit', 'ndjson', undefined, (l) => events.push(l)), 5, 'audit events');
  await assert.rejects(exportOps(api, 'delta', 'ndjson', undefined, () => undefined), ConfigError, 'an unknown kind is refused');
});

test('backup stream: a truncated, padded, miscounted or foreign stream is refused; any chunking decodes the same', async (t) => {
  const { node } = await nodeForTest(t, 'backup-stream');
  const a = authorFor('stream');
  for (let i = 0; i < 50; i++) node.log.offer(a.next([attest('S', i, i)], i, []).bytes, { signatureVerified: true });
  await node.store.flush();
  const parts: Uint8Array[] = [];
  for await (const c of encodeBackup(node.store)) parts.push(c);
  const whole = Buffer.concat(parts);
  for (const size of [1, 7, 100, whole.length]) assert.equal(await drain(decodeBackup(chunks(whole, size))), 50, `chunks of ${size}`);
  const bad: [string, Uint8Array][] = [
    ['truncated', whole.subarray(0, whole.length - 5)],
    ['cut before the trailer', whole.subarray(0, whole.length - 12)],
    ['padded', Buffer.concat([whole, Buffer.from([0])])],
    ['foreign', Buffer.concat([Buffer.from('not-a-backup-at-all\n'), whole])],
    ['empty', new Uint8Array(0)],
  ];
  const miscounted = Buffer.from(whole);
  miscounted.writeBigUInt64BE(49n, miscounted.length - 8);
  bad.push(['miscounted', miscounted]);
  for (const [what, bytes] of bad) await assert.rejects(drain(decodeBackup(chunks(bytes, 64))), BackupFormatError, what);
});

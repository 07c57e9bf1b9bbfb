import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { Author } from '../../crdt/index.js';
import { attest } from '../../src/cli/attest.js';
import { resend } from '../../src/cli/api-client.js';
import { ContributorJournal } from '../../src/contributor/journal.js';
import { ConfigError } from '../../src/errors.js';
import { generateKeyFile, loadKeyFile } from '../../src/keys.js';
import { startNode, tempDataDir, waitFor } from '../helpers/cluster.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const journalOf = (key: string) => JSON.parse(readFileSync(`${key}.journal.json`, 'utf8')) as { lastSeq: number; unacked: { id: string; seq: number }[] };
const args = (key: string, url: string, value: string) => ({ key, api: { url }, feeds: ['J/USD'], values: [value], confidences: ['0.1'], sources: [] });

test('a submit whose answer is lost, retried through a second node, yields one update and no evidence', async (t) => {
  const dir = tempDataDir('journal-retry');
  const a = await startNode(join(dir, 'a'), { syncIntervalMs: 3_600_000 });
  const b = await startNode(join(dir, 'b'), { syncIntervalMs: 3_600_000 });
  // A proxy in front of node a that forwards the submission and then loses the answer (a timeout, as the contributor sees it).
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void fetch(new URL(req.url!, a.apiUrl!), { method: req.method!, headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) }).then(async (r) => {
        const body = await r.text();
        if (req.method === 'POST') res.destroy(); // the answer is lost
        else res.writeHead(r.status, { 'content-type': 'application/json' }).end(body);
      });
    });
  });
  const proxyUrl = await listen(proxy);
  t.after(async () => {
    proxy.close();
    await Promise.allSettled([a.stop(), b.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const key = join(dir, 'oracle.key');
  generateKeyFile(key);
  await assert.rejects(attest(args(key, proxyUrl, '100.5')), /cannot reach|fetch failed|socket/i, 'the contributor sees no answer');
  assert.equal(a.log.size, 1, 'node a did accept it');
  assert.equal(journalOf(key).unacked.length, 1, 'the update stays in the journal, unacknowledged');
  const journaled = journalOf(key).unacked[0]!.id;

  // The retry goes to node b, which has not heard of it (no connection yet).
  const r = await resend({ url: b.apiUrl! }, key, new Author(loadKeyFile(key).signer));
  assert.deepEqual(r.resent.map((x) => [x.id, x.status]), [[journaled, 200]], 'the same bytes are resent, and node b acknowledges them');
  assert.equal(r.unacked, 0, 'the journal is pruned');
  // Now the two nodes meet: one update, no equivocation.
  await b.network.libp2p.dial(multiaddr(a.network.multiaddrs()[0]!));
  await b.network.sync.syncWith(a.network.libp2p.peerId);
  assert.equal(a.log.digest(), b.log.digest(), 'both nodes hold the same set');
  assert.equal(a.log.size, 1, 'one update in all');
  assert.deepEqual([a.log.evidence().length, b.log.evidence().length], [0, 0], 'no equivocation evidence anywhere');
  const next = (await attest(args(key, b.apiUrl!, '101'))) as { seq: number; status: number };
  assert.deepEqual([next.seq, next.status], [2, 200], 'the next attestation continues at seq 2');
});

test('kill -9 between signing and sending, then a retry: the same id is sent', async (t) => {
  const dir = tempDataDir('journal-kill');
  const node = await startNode(join(dir, 'node'));
  // A node API that answers reads and never answers the submission: the signer is caught mid-send.
  const hang = createServer((req, res) => {
    if (req.method === 'GET' && req.url!.includes('/heads')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"heads":[]}');
    else if (req.method === 'GET') res.writeHead(200, { 'content-type': 'application/json' }).end('{"frontier":[]}');
    // POST: no answer, ever
  });
  const hangUrl = await listen(hang);
  t.after(async () => {
    hang.closeAllConnections();
    hang.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const key = join(dir, 'oracle.key');
  generateKeyFile(key);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'attest', '--key', key, '--feed', 'K/USD', '--value', '7', '--confidence', '0.1', '--api', hangUrl], { stdio: 'ignore' });
  assert.ok(await waitFor(() => existsSync(`${key}.journal.json`) && journalOf(key).unacked.length === 1, 30_000), 'the child signed and journaled the update');
  const signed = journalOf(key).unacked[0]!.id;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(`${key}.lock`), 'the dead process left its lock behind');
  const r = await resend({ url: node.apiUrl! }, key, new Author(loadKeyFile(key).signer));
  assert.deepEqual(r.resent.map((x) => [x.id, x.status]), [[signed, 200]], 'the retry sends the update with the same id (the stale lock is taken over)');
  assert.ok(node.log.has(signed), 'and the node holds it');
});

test('a second process on one key is refused by the lock; a rejected last update gives its seq back', async (t) => {
  const dir = tempDataDir('journal-lock');
  const node = await startNode(join(dir, 'node'));
  t.after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const key = join(dir, 'c.key');
  const signer = generateKeyFile(key);
  const held = ContributorJournal.open(key, new Author(signer));
  assert.throws(() => ContributorJournal.open(key, new Author(signer)), (e: unknown) => e instanceof ConfigError && /holds .*\.lock/.test(e.message), 'a second signer on the key is refused, naming the lock');
  // An update that a node rejects as invalid is invalid everywhere, so its seq may be signed again.
  const author = new Author(signer);
  const bad = author.next([{ kind: 1, body: { feed: 'J/USD', exponent: -2, mantissa: 1, confidence: 1, observedAtMs: 1, sources: [] } }], 1);
  held.record(bad, null);
  assert.equal(journalOf(key).lastSeq, 1, 'journaled at seq 1 before sending');
  held.rejected(bad.id);
  assert.deepEqual([journalOf(key).lastSeq, journalOf(key).unacked.length], [0, 0], 'rejected: its seq is given back');
  held.release();
  const ok = (await attest(args(key, node.apiUrl!, '2'))) as { seq: number; status: number };
  assert.deepEqual([ok.seq, ok.status], [1, 200], 'the next valid update takes seq 1');
});

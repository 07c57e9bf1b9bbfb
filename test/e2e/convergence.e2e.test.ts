import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attest, authorFor } from '../helpers/fixtures.js';
import { startCluster, startNode, waitFor } from '../helpers/cluster.js';

test('5 nodes on loopback TCP converge to equal digests (gossip, and sync for nodes reached through others)', async (t) => {
  const c = await startCluster(5, 'conv');
  t.after(() => c.stop());
  assert.ok(await waitFor(() => c.nodes.every((n) => n.network.peers().length > 0), 10_000), 'every node has a peer');
  const authors = [authorFor('e2e-a'), authorFor('e2e-b'), authorFor('e2e-c')];
  for (let i = 0; i < 300; i++) {
    const node = c.nodes[i % 5]!;
    const r = await node.submit(authors[i % 3]!.next([attest(`F${i % 4}`, i, i)], i, node.log.frontier(4)).bytes);
    assert.notEqual(r.outcome.status, 'rejected', `submission ${i} accepted or pending`);
  }
  const digestsEqual = (): boolean => c.nodes.every((n) => n.log.size === 300 && n.log.digest() === c.nodes[0]!.log.digest());
  assert.ok(await waitFor(digestsEqual, 20_000), `all 5 nodes hold 300 updates with one digest: ${c.nodes.map((n) => n.log.size)}`);
  for (const [i, n] of c.nodes.entries()) {
    assert.deepEqual(n.log.state.attestations('F1'), c.nodes[0]!.log.state.attestations('F1'), `node ${i} answers queries like node 0`);
  }
});

test('a node stopped during 10k updates catches up after restart; a restart keeps all data', async (t) => {
  const c = await startCluster(3, 'catch');
  t.after(() => c.stop());
  assert.ok(await waitFor(() => c.nodes.every((n) => n.network.peers().length > 0), 10_000), 'connected');
  const author = authorFor('e2e-catchup');
  const victimDir = c.dirs[2]!;
  let victim = c.nodes[2]!;
  let stoppedAt = -1;
  const CHUNK = 50; // submissions in flight at once, as a busy contributor gateway would have
  for (let i = 0; i < 10_000; i += CHUNK) {
    const chunk = Array.from({ length: CHUNK }, (_, k) => author.next([attest('C', i + k, i + k)], i + k).bytes);
    const results = await Promise.all(chunk.map((b) => c.nodes[0]!.submit(b)));
    results.forEach((r, k) => assert.equal(r.outcome.status, 'accepted', `update ${i + k} accepted by its entry node`));
    if (i === 2_000) {
      await victim.stop();
      stoppedAt = victim.log.size;
    }
  }
  assert.ok(stoppedAt > 0 && stoppedAt < 10_000, `victim stopped with ${stoppedAt} updates`);
  victim = await startNode(victimDir, { bootstrap: [c.nodes[0]!.network.multiaddrs()[0]!] });
  c.nodes[2] = victim;
  assert.ok(victim.log.size >= stoppedAt, `restart kept the ${stoppedAt} stored updates (has ${victim.log.size})`);
  assert.deepEqual(victim.replay.corrupt, [], 'no corrupt records after a clean stop');
  const caughtUp = await waitFor(() => victim.log.size === 10_000 && victim.log.digest() === c.nodes[0]!.log.digest(), 60_000, 200);
  assert.ok(caughtUp, `restarted node caught up: ${victim.log.size} of 10000`);

  // Restart once more: everything it caught up on was stored.
  const digest = victim.log.digest();
  await victim.stop();
  const again = await startNode(victimDir);
  c.nodes[2] = again;
  assert.equal(again.log.size, 10_000, 'second restart replays all 10k updates');
  assert.equal(again.log.digest(), digest, 'and reaches the same digest');
});


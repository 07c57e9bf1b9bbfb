import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { multiaddr } from '@multiformats/multiaddr';
import { attest, authorFor } from '../helpers/fixtures.js';
import { startNode, tempDataDir, waitFor } from '../helpers/cluster.js';

/** Long enough that no periodic session runs during the test: only on-connect sync, fan-out and gossip. */
const NO_PERIODIC_SYNC_MS = 600_000;

test('updates a sync session brings are relayed on gossip to the other peers (a heal spreads at gossip speed)', async (t) => {
  const dirs = ['a', 'b', 'c'].map((x) => tempDataDir(`relay-${x}`));
  const opts = { syncIntervalMs: NO_PERIODIC_SYNC_MS };
  const a = await startNode(dirs[0]!, opts);
  const b = await startNode(dirs[1]!, opts);
  const c = await startNode(dirs[2]!, { ...opts, bootstrap: [b.network.multiaddrs()[0]!] });
  t.after(async () => {
    await Promise.allSettled([a, b, c].map((n) => n.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  assert.ok(await waitFor(() => c.network.peers().length === 1, 10_000), 'c is connected to b');
  await new Promise((r) => setTimeout(r, 1_500)); // b and c graft each other at a gossipsub heartbeat

  // a is on its own side of a "partition": its updates reach b only through the session on connect.
  const author = authorFor('relay');
  for (let i = 0; i < 20; i++) {
    const r = await a.submit(author.next([attest('R', i, i)], i).bytes);
    assert.equal(r.outcome.status, 'accepted', `update ${i} accepted by a`);
  }
  await b.network.libp2p.dial(multiaddr(a.network.multiaddrs()[0]!));
  assert.ok(await waitFor(() => b.log.size === a.log.size, 10_000), `b synced from a: ${b.log.size} of ${a.log.size}`);
  assert.ok(await waitFor(() => c.log.size === a.log.size, 10_000), `c holds a's updates: ${c.log.size} of ${a.log.size}`);
  assert.equal(c.log.digest(), a.log.digest(), 'same digest on a and c');
  assert.ok(c.network.gossip.messages.accept >= 1, `c got them from b on gossip (accepted ${c.network.gossip.messages.accept} messages), not only from b's fan-out session`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { decodeUpdate } from '../../crdt/index.js';
import { encodeGossipFrame } from '../../net/gossip/gossip-frame.js';
import { attest, authorFor } from '../helpers/fixtures.js';
import { startNode, tempDataDir, waitFor } from '../helpers/cluster.js';

test('the valid updates of a REJECTed gossip message still spread: the node relays them (gossipsub forwards nothing of it)', async (t) => {
  const dirs = ['hub', 'far', 'injector'].map((l) => tempDataDir(`reject-relay-${l}`));
  const quiet = { syncIntervalMs: 3_600_000 }; // no periodic sync: only gossip can carry the update
  const hub = await startNode(dirs[0]!, quiet);
  const far = await startNode(dirs[1]!, { ...quiet, bootstrap: [hub.network.multiaddrs()[0]!] });
  const injector = await startNode(dirs[2]!, { ...quiet, bootstrap: [hub.network.multiaddrs()[0]!] });
  t.after(async () => {
    await Promise.allSettled([injector.stop(), far.stop(), hub.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const meshed = () => [far, injector].every((n) => n.network.libp2p.services.pubsub.getMeshPeers(n.network.topic).includes(hub.peerId));
  assert.ok(await waitFor(meshed, 10_000), 'both leaves are in the hub\'s mesh');
  assert.equal(far.network.peers().some((p) => p.id === injector.peerId), false, 'the far node is not connected to the injector');

  const good = authorFor('reject-relay').next([attest('RR', 1, 1)], 1).bytes;
  const forged = authorFor('reject-relay-2').next([attest('RR', 2, 2)], 2).bytes.slice();
  forged[forged.length - 5]! ^= 0x40;
  await injector.network.libp2p.services.pubsub.publish(injector.network.topic, encodeGossipFrame([good, forged]));
  const id = decodeUpdate(good).id;
  assert.ok(await waitFor(() => hub.log.has(id), 5_000), 'the hub accepts the valid update of the mixed message');
  assert.ok(hub.network.gossip.messages.reject > 0, 'and REJECTs the message');
  assert.ok(await waitFor(() => far.log.has(id), 5_000), 'the far node gets it on gossip, relayed by the hub');
});

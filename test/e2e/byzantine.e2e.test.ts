import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { RejectCode } from '../../crdt/index.js';
import { encodeGossipFrame } from '../../net/gossip/gossip-frame.js';
import { syncProtocol } from '../../net/protocol-ids.js';
import { attest, authorFor } from '../helpers/fixtures.js';
import { startCluster, startNode, tempDataDir, waitFor } from '../helpers/cluster.js';

test('a peer that injects invalid updates is rejected by every node it reaches, and its gossip score drops', async (t) => {
  const c = await startCluster(3, 'byz');
  const dir = tempDataDir('injector');
  const injector = await startNode(dir, { bootstrap: c.nodes.map((n) => n.network.multiaddrs()[0]!) });
  t.after(async () => {
    await injector.stop();
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const connectedToAll = () => c.nodes.every((n) => n.network.peers().some((p) => p.id === injector.peerId));
  assert.ok(await waitFor(connectedToAll, 10_000), 'injector connected to all three honest nodes');
  // Wait for the gossip mesh (heartbeat) so the injector's messages reach every honest node.
  assert.ok(await waitFor(() => injector.network.libp2p.services.pubsub.getMeshPeers(injector.network.topic).length >= 3, 10_000), 'mesh formed');

  // Watch each honest node's score for the injector while the forgeries arrive.
  const sawNegative = c.nodes.map(() => false);
  const watch = setInterval(() => c.nodes.forEach((n, i) => (sawNegative[i] ||= n.network.score(injector.peerId) < 0)), 10);
  t.after(() => clearInterval(watch));
  const honest = authorFor('byz-honest');
  const forgerAuthor = authorFor('byz-forger');
  for (let i = 0; i < 20; i++) {
    const good = forgerAuthor.next([attest('B', i, i)], i).bytes;
    const forged = good.slice();
    forged[forged.length - 5]! ^= 0x40; // break the signature
    // Published straight onto the topic, bypassing the injector's own validation, as a hostile peer would.
    await injector.network.libp2p.services.pubsub.publish(injector.network.topic, encodeGossipFrame([forged]));
    await c.nodes[0]!.submit(honest.next([attest('B', 1000 + i, i)], i).bytes);
  }
  const rejectedEverywhere = () => c.nodes.every((n) => (n.log.stats.rejected[RejectCode.BadSignature] ?? 0) > 0);
  assert.ok(await waitFor(rejectedEverywhere, 10_000), `every honest node rejected the forgeries: ${c.nodes.map((n) => n.log.stats.rejected[RejectCode.BadSignature])}`);
  assert.ok(await waitFor(() => c.nodes.every((n) => n.log.state.attestations('B').length === 20), 10_000), 'honest updates still flow');
  for (const [i, n] of c.nodes.entries()) {
    assert.ok(await waitFor(() => sawNegative[i]!, 10_000), `node ${i} scored the injector below zero`);
    assert.ok(n.network.gossip.messages.reject > 0, `node ${i} counted REJECT messages`);
    assert.match(await n.metrics.render(), /murmur_gossip_verdicts_total\{code="invalid-update"\} [1-9]/, `node ${i} shows the rejections by code in /metrics`);
    assert.equal(n.log.state.attestations('B').length, 20, `node ${i} holds only the 20 honest attestations`);
  }
  const honestPeer = c.nodes[1]!.peerId;
  assert.ok(c.nodes[0]!.network.score(honestPeer) >= 0, 'an honest peer keeps a non-negative score');
});

test('bad HTTP input gets a 4xx with a typed code, and nothing is stored', async (t) => {
  const dir = tempDataDir('http');
  const node = await startNode(dir);
  t.after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = node.apiUrl!;
  const post = (body: string | Uint8Array, type = 'application/octet-stream') =>
    fetch(`${api}/v1/updates`, { method: 'POST', headers: { 'content-type': type }, body });

  const good = authorFor('http').next([attest('H', 1, 1)], 1).bytes;
  const forged = good.slice();
  forged[forged.length - 1]! ^= 1;
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['forged signature', () => post(forged), 422, RejectCode.BadSignature],
    ['garbage bytes', () => post(new Uint8Array([1, 2, 3])), 422, RejectCode.BadEncoding],
    ['oversized body', () => post(new Uint8Array(3 * 1024 * 1024)), 413, 'payload-too-large'],
    ['wrong content type', () => post('hello', 'text/plain'), 415, 'unsupported-media-type'],
    ['malformed JSON', () => post('{"update":', 'application/json'), 400, 'bad-json'],
    ['JSON without hex', () => post('{"update": 12}', 'application/json'), 400, 'bad-request'],
    ['GET on the submit route', () => fetch(`${api}/v1/updates`), 405, 'method-not-allowed'],
    ['unknown route', () => fetch(`${api}/v1/nope`), 404, 'not-found'],
    ['feed missing', () => fetch(`${api}/v1/attestations`), 400, 'bad-request'],
    ['bad limit', () => fetch(`${api}/v1/attestations?feed=H&limit=-1`), 400, 'bad-request'],
    ['bad author key', () => fetch(`${api}/v1/authors/xyz/heads`), 400, 'bad-request'],
  ];
  for (const [name, call, status, code] of cases) {
    const res = await call();
    const body = (await res.json()) as { error?: { code?: string } };
    assert.equal(res.status, status, `${name}: status`);
    assert.equal(body.error?.code, code, `${name}: error code`);
  }
  assert.equal(node.log.size, 0, 'nothing was accepted');
  await node.store.flush();
  let stored = 0;
  for await (const _ of node.store.level.keys()) stored++;
  assert.equal(stored, 0, 'nothing was stored');

  const ok = await post(good);
  assert.equal(ok.status, 200, 'the valid update is accepted');
  assert.equal(((await ok.json()) as { status: string }).status, 'accepted', 'and says so');
});

test('a peer that sends junk on the sync protocol is dropped and blocked', async (t) => {
  const dirs = [tempDataDir('sync-victim'), tempDataDir('sync-junk')];
  const victim = await startNode(dirs[0]!);
  const junk = await startNode(dirs[1]!, { bootstrap: [victim.network.multiaddrs()[0]!] });
  t.after(async () => {
    await Promise.allSettled([junk.stop(), victim.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  assert.ok(await waitFor(() => victim.network.peers().length > 0, 10_000), 'connected');
  // A length prefix announcing a 64 MiB frame: over SYNC_MAX_FRAME_BYTES. A busy victim refuses
  // inbound sessions unread, so the attacker retries, as a real one would.
  let blocked = false;
  for (let attempt = 0; attempt < 10 && !blocked; attempt++) {
    try {
      const stream = await junk.network.libp2p.dialProtocol(victim.network.libp2p.peerId, syncProtocol('murmur-test'));
      await stream.sink([Uint8Array.from([0x80, 0x80, 0x80, 0x20, 1, 2, 3])]);
    } catch {
      // refused or reset: try again
    }
    blocked = await waitFor(() => victim.network.penalties.blocked(junk.peerId), 1_000);
  }
  assert.ok(blocked, 'the junk sender is blocked');
  assert.ok(await waitFor(() => victim.network.peers().length === 0, 5_000), 'and disconnected');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Log, type Outcome } from '../../crdt/index.js';
import { encodeGossipFrame } from '../../net/gossip/gossip-frame.js';
import { GOSSIP_MAX_VALIDATING, GOSSIP_MAX_VALIDATING_PER_PEER, GossipValidator } from '../../net/gossip/gossip-validator.js';
import { GossipAction, GossipErrorCode } from '../../net/gossip/gossip-errors.js';
import { Publisher } from '../../net/gossip/publisher.js';
import { MeshSince } from '../../net/gossip/mesh-since.js';
import { RecentlyGossiped } from '../../net/gossip/recently-gossiped.js';
import { attest, authorFor } from '../helpers/fixtures.js';

/** A host whose signature checks finish in the order given by `finish` (as workers may). */
function host(log: Log) {
  const checks: { updates: Uint8Array[]; resolve: (ok: boolean[]) => void }[] = [];
  return {
    checks,
    checkSignatures: (updates: Uint8Array[]) => new Promise<boolean[]>((resolve) => checks.push({ updates, resolve })),
    offerGossip: async (updates: Uint8Array[], _peer: string, verified: boolean[]): Promise<Outcome[]> =>
      updates.map((u, i) => log.offer(u, { signatureVerified: verified[i] === true })),
  };
}

test('gossip messages are applied in arrival order even when their signature checks finish in reverse', async () => {
  const log = new Log();
  const h = host(log);
  const v = new GossipValidator(h);
  const a = authorFor('order');
  const chain = Array.from({ length: 5 }, (_, i) => a.next([attest('O', i, i)], i).bytes);
  const verdicts = chain.map((u) => v.validate(encodeGossipFrame([u]), 'peer'));
  assert.equal(v.inFlight, 5, 'all five in validation');
  await new Promise((r) => setImmediate(r));
  for (const c of [...h.checks].reverse()) c.resolve(c.updates.map(() => true));
  const results = await Promise.all(verdicts);
  results.forEach((r, i) => assert.equal(r.action, GossipAction.Accept, `message ${i} accepted, never parked as pending`));
  assert.equal(log.size, 5, 'the whole chain is applied');
  assert.equal(v.inFlight, 0, 'nothing left in validation');
});

test('a failed or skipped check falls back to the log, which keeps the exact verdict', async () => {
  const log = new Log();
  const v = new GossipValidator({
    checkSignatures: () => Promise.reject(new Error('pool closed')),
    offerGossip: async (updates, _p, verified) => updates.map((u, i) => log.offer(u, { signatureVerified: verified[i] === true })),
  });
  const good = authorFor('fallback').next([attest('F', 1, 1)], 1).bytes;
  const forged = good.slice();
  forged[forged.length - 1]! ^= 1;
  assert.equal((await v.validate(encodeGossipFrame([forged]), 'p')).action, GossipAction.Reject, 'forged update rejected inline');
  assert.equal((await v.validate(encodeGossipFrame([good]), 'p')).action, GossipAction.Accept, 'valid update accepted inline');
  const junk = await v.validate(new Uint8Array([9, 9, 9]), 'p');
  assert.equal(junk.error?.code, GossipErrorCode.BadFrame, 'junk frame is a bad-frame rejection');
});

test(`past ${GOSSIP_MAX_VALIDATING} messages in validation a message is IGNOREd as overloaded`, async () => {
  const log = new Log();
  const h = host(log);
  const v = new GossipValidator(h);
  const a = authorFor('overload');
  const frames = Array.from({ length: GOSSIP_MAX_VALIDATING + 1 }, (_, i) => encodeGossipFrame([a.next([attest('L', i, i)], i).bytes]));
  // Spread over enough peers that no one of them reaches its own cap.
  const verdicts = frames.map((f, i) => v.validate(f, `p${i % 8}`));
  const last = await verdicts[GOSSIP_MAX_VALIDATING]!;
  assert.equal(last.action, GossipAction.Ignore, 'the message over the bound is ignored');
  assert.equal(last.error?.code, GossipErrorCode.Overloaded, 'with the overloaded code');
  await new Promise((r) => setImmediate(r));
  for (const c of h.checks) c.resolve([true]);
  await Promise.all(verdicts);
  assert.equal(log.size, GOSSIP_MAX_VALIDATING, 'every message within the bound is applied');
});

test(`one peer gets at most ${GOSSIP_MAX_VALIDATING_PER_PEER} messages in validation; the others are still served`, async () => {
  const log = new Log();
  const h = host(log);
  const v = new GossipValidator(h);
  const flooder = authorFor('flooder');
  const frames = Array.from({ length: GOSSIP_MAX_VALIDATING_PER_PEER + 1 }, (_, i) => encodeGossipFrame([flooder.next([attest('X', i, i)], i).bytes]));
  const flood = frames.map((f) => v.validate(f, 'flooder'));
  const over = await flood[GOSSIP_MAX_VALIDATING_PER_PEER]!;
  assert.equal(over.action, GossipAction.Ignore, "the flooder's message over its cap is ignored");
  assert.equal(over.error?.code, GossipErrorCode.PeerOverloaded, 'with the peer-overloaded code');
  const honest = v.validate(encodeGossipFrame([authorFor('honest').next([attest('H', 1, 1)], 1).bytes]), 'honest');
  assert.equal(v.inFlight, GOSSIP_MAX_VALIDATING_PER_PEER + 1, "the honest peer's message is in validation beside the flood");
  await new Promise((r) => setImmediate(r));
  for (const c of h.checks) c.resolve([true]);
  assert.equal((await honest).action, GossipAction.Accept, "the honest peer's message is accepted");
  await Promise.all(flood);
  assert.equal(v.inFlight, 0, 'nothing left in validation');
  const again = v.validate(encodeGossipFrame([flooder.next([attest('X', 999, 999)], 999).bytes]), 'flooder');
  await new Promise((r) => setImmediate(r));
  h.checks.at(-1)!.resolve([true]);
  assert.notEqual((await again).error?.code, GossipErrorCode.PeerOverloaded, 'the cap frees as its messages finish');
});

test('the publisher sends a lone update at once and packs updates that come within the interval', async () => {
  const sent: number[] = [];
  const p = new Publisher(async (data) => void sent.push(data[1]!), 300);
  p.enqueue(new Uint8Array([1]));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sent, [1], 'a lone update goes out at the next turn');
  for (let i = 0; i < 5; i++) p.enqueue(new Uint8Array([i]));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sent, [1], 'updates within the interval wait');
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(sent, [1, 5], 'then go out together in one message (count byte = 5)');
  p.stop();
});

test('recently gossiped ids expire after the grace, count only for peers connected before, and are bounded', () => {
  let now = 0;
  const r = new RecentlyGossiped(1_000, () => now);
  r.mark('a');
  now = 600;
  r.mark('b');
  assert.equal(r.has('a') && r.has('b'), true, 'both within the grace');
  assert.equal(r.has('a', 300), false, 'a was gossiped before a peer connected at 300: not carried to it');
  assert.equal(r.has('b', 300), true, 'b was gossiped after that peer connected');
  assert.equal(r.has('never'), false, 'an id never gossiped');
  now = 1_200;
  assert.equal(r.has('a'), false, 'a expired');
  assert.equal(r.has('b'), true, 'b still within its grace');
  now = 1_700;
  assert.equal(r.size === 0 || !r.has('b'), true, 'b expired too');
});

test('mesh join times: first heartbeat that sees a peer, dropped when it leaves, Infinity outside the mesh', () => {
  let now = 0;
  let mesh: string[] = ['a'];
  const m = new MeshSince(() => mesh, () => now);
  assert.equal(m.of('a'), Infinity, 'nothing is known before the first heartbeat');
  m.refresh();
  now = 1_000;
  mesh = ['a', 'b'];
  m.refresh();
  assert.equal(m.of('a'), 0, 'a kept its first heartbeat');
  assert.equal(m.of('b'), 1_000, 'b joined at the second');
  now = 2_000;
  mesh = ['b'];
  m.refresh();
  assert.equal(m.of('a'), Infinity, 'a left the mesh: gossip no longer reaches it');
  now = 3_000;
  mesh = ['a', 'b'];
  m.refresh();
  assert.equal(m.of('a'), 3_000, 'a back in the mesh counts from its return');
  const r = new RecentlyGossiped(5_000, () => now);
  now = 2_500;
  r.mark('u');
  assert.equal(r.has('u', m.of('a')), false, 'u went out while a was outside the mesh: sync must send it');
  assert.equal(r.has('u', m.of('b')), true, 'b was in the mesh: gossip carries u');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Author, Log, verifyEvidence } from '../../crdt/index.js';
import { attest, audit, authorFor, signerFor } from '../helpers/fixtures.js';

test('equivocation: both halves kept, evidence verifiable, same state whichever half came first', () => {
  const signer = signerFor('equivocator');
  const a = new Author(signer);
  const first = a.next([attest('ETH/USD', 100, 1)], 1);
  const left = new Author(signer);
  left.resume(1, first.id);
  const right = new Author(signer);
  right.resume(1, first.id);
  const x = left.next([attest('ETH/USD', 200, 2), audit('x', 'left')], 2);
  const y = right.next([attest('ETH/USD', 999, 2), audit('x', 'right')], 2);
  const after = left.next([attest('ETH/USD', 300, 3)], 3);

  const r1 = new Log();
  const r2 = new Log();
  for (const u of [first, x, y, after]) assert.equal(r1.offer(u.bytes).status, 'accepted', 'replica 1 accepts each valid half');
  for (const u of [after, y, x, first]) r2.offer(u.bytes);
  assert.equal(r2.size, 4, 'replica 2 holds all four');
  assert.equal(r1.digest(), r2.digest(), 'digests equal');
  assert.deepEqual(r1.evidence(), r2.evidence(), 'evidence equal');

  const [ev] = r1.evidence();
  assert.ok(ev, 'evidence recorded');
  assert.equal(ev.seq, 2, 'at seq 2');
  assert.ok(verifyEvidence(ev), 'evidence verifies for a third party');
  assert.equal(verifyEvidence({ ...ev, seq: 3 }), false, 'tampered evidence does not verify');

  const feed = r1.state.attestations('ETH/USD');
  assert.deepEqual(feed.map((v) => v.mantissa), [100], 'ops from the equivocating seq on are excluded');
  assert.deepEqual(r2.state.attestations('ETH/USD'), feed, 'replicas answer the same');
  assert.deepEqual(r1.state.auditLog(), [], 'audit ops of excluded updates are excluded too');
  assert.equal(r1.authorHeads(a.key).length, 2, 'both branches are heads of the author');
});

test('paged audit reads skip excluded ops and equal slices of the whole list', () => {
  const honest = authorFor('pager');
  const signer = signerFor('pager-equivocator');
  const cheat = new Author(signer);
  const log = new Log();
  for (let i = 0; i < 12; i++) assert.equal(log.offer(honest.next([audit('e', `h${i}`), audit('e', `h${i}b`)], i).bytes).status, 'accepted', `honest update ${i}`);
  const first = cheat.next([audit('e', 'c0')], 1);
  const left = new Author(signer);
  left.resume(1, first.id);
  const right = new Author(signer);
  right.resume(1, first.id);
  for (const u of [first, left.next([audit('e', 'cl')], 2), right.next([audit('e', 'cr')], 2)]) log.offer(u.bytes);
  const all = log.state.auditLog();
  assert.equal(all.length, 25, 'the equivocating seq is excluded, its first update counts');
  assert.equal(log.state.auditCount(), all.length, 'the count matches the list');
  for (const [offset, limit] of [[0, 5], [3, 7], [20, 10], [25, 3], [30, 1], [0, 0]] as const) {
    assert.deepEqual(log.state.auditLog(offset, limit), all.slice(offset, offset + limit), `page (${offset}, ${limit})`);
  }
});

test('paged attestation reads skip excluded ops and equal slices of the whole list; evidence and frontier caches follow the log', () => {
  const honest = authorFor('att-pager');
  const signer = signerFor('att-pager-equivocator');
  const cheat = new Author(signer);
  const log = new Log();
  for (let i = 0; i < 12; i++) log.offer(honest.next([attest('P', i, i)], i).bytes);
  const first = cheat.next([attest('P', 100, 3)], 3);
  const left = new Author(signer);
  left.resume(1, first.id);
  const right = new Author(signer);
  right.resume(1, first.id);
  log.offer(first.bytes);
  assert.deepEqual(log.evidence(), [], 'no evidence yet');
  const frontierBefore = log.frontier();
  log.offer(left.next([attest('P', 101, 4)], 4).bytes);
  assert.notDeepEqual(log.frontier(), frontierBefore, 'the frontier follows an accept');
  log.offer(right.next([attest('P', 102, 5)], 5).bytes);
  assert.equal(log.evidence().length, 1, 'the evidence follows an equivocation');
  const all = log.state.attestations('P', 2, 10);
  for (const [offset, limit] of [[0, 5], [3, 7], [6, 10], [9, 3], [30, 1], [0, 0]] as const) {
    const page = log.state.attestationPage('P', 2, 10, offset, limit);
    assert.equal(page.total, all.length, `page (${offset}, ${limit}): total`);
    assert.deepEqual(page.items, all.slice(offset, offset + limit), `page (${offset}, ${limit}): items`);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Author, Log, checkedOffer, decodeUpdate } from '../../crdt/index.js';
import { attest, audit, authorFor, signerFor } from '../helpers/fixtures.js';

test('offers carrying a verifier\'s id reach the same outcomes and state as plain offers', () => {
  const a = authorFor('known-a');
  const b = authorFor('known-b');
  const updates: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) updates.push((i % 2 === 0 ? a : b).next([attest('K', i, i), audit('k', `e${i}`)], i).bytes);
  // An equivocation: two updates with the same author and seq.
  const signer = signerFor('known-equivocator');
  const first = new Author(signer).next([attest('K', 100, 100)], 100);
  const left = new Author(signer);
  left.resume(1, first.id);
  const right = new Author(signer);
  right.resume(1, first.id);
  updates.push(left.next([attest('K', 101, 101)], 101).bytes, right.next([attest('K', 102, 102)], 102).bytes, first.bytes);
  const order = [...updates.slice(10), ...updates.slice(0, 10), updates[3]!]; // out of order, one duplicate
  const plain = new Log();
  const known = new Log();
  order.forEach((u, i) => {
    const p = plain.offer(u);
    const k = known.offer(u, checkedOffer(decodeUpdate(u).id));
    assert.deepEqual(k, p, `offer ${i}: the same outcome`);
  });
  assert.equal(known.digest(), plain.digest(), 'the same state digest');
  assert.deepEqual(known.evidence(), plain.evidence(), 'the same equivocation evidence');
  assert.deepEqual(known.state.attestations('K'), plain.state.attestations('K'), 'the same derived state');
  const u = a.next([attest('K', 999, 999)], 999).bytes;
  const wrong = known.offer(u, { ...checkedOffer(decodeUpdate(u).id), expectedId: '00'.repeat(32) });
  assert.equal(wrong.status === 'rejected' && wrong.code, 'bad-id', 'a fetched update that is not the one asked for is still bad-id');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Log, PENDING_ENTRY_OVERHEAD_BYTES } from '../../crdt/index.js';
import { attest, authorFor } from '../helpers/fixtures.js';

test('a flood of updates with missing deps stays within bounds and does not evict an established author first', () => {
  const limits = { maxCount: 200, maxBytes: 200 * (PENDING_ENTRY_OVERHEAD_BYTES + 400), maxCountPerAuthor: 50, maxBytesPerAuthor: 1 << 20 };
  const log = new Log({ pendingLimits: limits });
  const honest = authorFor('honest-pending');
  const first = honest.next([attest('F', 1, 1)], 1);
  log.offer(first.bytes);
  const missingParent = honest.next([attest('F', 2, 2)], 2); // withheld for now
  const honestChild = honest.next([attest('F', 3, 3)], 3);
  assert.equal(log.offer(honestChild.bytes).status, 'pending', 'honest child waits for seq 2');

  // Sybil flood: many fresh keys, each with updates whose deps never arrive.
  for (let k = 0; k < 40; k++) {
    const sybil = authorFor(`sybil-${k}`);
    for (let i = 0; i < 60; i++) {
      const o = sybil.next([attest('F', i, i)], i, ['ab'.repeat(32)]);
      assert.notEqual(o, undefined, `sybil ${k} update ${i}`);
      log.offer(o.bytes);
      assert.ok(log.pendingCount <= limits.maxCount, `count bound holds after sybil ${k} update ${i}`);
      assert.ok(log.pendingBytes <= limits.maxBytes, `byte bound holds after sybil ${k} update ${i}`);
    }
  }
  assert.ok(log.stats.pendingEvicted > 0, 'eviction happened');
  assert.ok(log.stats.pendingRefused > 0, 'per-author bound refused some');
  const o = log.offer(missingParent.bytes);
  assert.equal(o.status, 'accepted', 'the missing parent is accepted');
  assert.deepEqual(o.status === 'accepted' && o.released, [honestChild.id], 'the honest child survived the flood and was released');
});

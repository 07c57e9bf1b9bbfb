import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { DOMAIN_SET_DIGEST, DOMAIN_SET_ELEMENT, SET_HASH_LANES, SetHash } from '../../crdt/index.js';

/** The digest exactly as docs/PROTOCOL.md §7 states it, written independently of crdt/set-hash.ts. */
function reference(ids: string[]): string {
  const lanes = new Array<number>(SET_HASH_LANES).fill(0);
  for (const id of ids) {
    const e = createHash('shake128', { outputLength: 2 * SET_HASH_LANES }).update(DOMAIN_SET_ELEMENT).update(Buffer.from(id, 'hex')).digest();
    for (let i = 0; i < SET_HASH_LANES; i++) lanes[i] = (lanes[i]! + e.readUInt16LE(2 * i)) % 65_536;
  }
  const body = Buffer.alloc(8 + 2 * SET_HASH_LANES);
  body.writeBigUInt64BE(BigInt(ids.length));
  lanes.forEach((v, i) => body.writeUInt16LE(v, 8 + 2 * i));
  return createHash('sha256').update(DOMAIN_SET_DIGEST).update(body).digest('hex');
}

const idArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const setArb = fc.uniqueArray(idArb, { maxLength: 40 });

test('state digest: pinned values a compatible peer can check (docs/PROTOCOL.md §7)', () => {
  assert.equal(new SetHash().digest(), '4dbd00a26bb6dc4e1615b236adf023cfe06dae16bc79c2da359b162f803b62d7', 'the empty set');
  const two = new SetHash();
  two.add('00'.repeat(32));
  two.add('ff'.repeat(32));
  assert.equal(two.digest(), '29a40b440ea4056432452ef338833c8783f6fba2d408746608f0fb400ce148a4', 'the set {00..00, ff..ff}');
  assert.equal(two.digest(), reference(['00'.repeat(32), 'ff'.repeat(32)]), 'and the independent reference agrees');
});

test('state digest: order-independent, equal to the reference, and different for different sets', () => {
  fc.assert(
    fc.property(setArb, fc.integer(), (ids, seed) => {
      const shuffled = [...ids];
      let s = seed >>> 0;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const a = new SetHash();
      const b = new SetHash();
      for (const id of ids) a.add(id);
      for (const id of shuffled) b.add(Buffer.from(id, 'hex'));
      assert.equal(a.digest(), b.digest(), 'any order of additions gives one digest');
      assert.equal(a.digest(), reference(ids), 'the digest is the specified one');
      if (ids.length > 0) {
        const fewer = new SetHash();
        for (const id of ids.slice(1)) fewer.add(id);
        assert.notEqual(fewer.digest(), a.digest(), 'a set with one id less has another digest');
      }
    }),
    { numRuns: 60 },
  );
});

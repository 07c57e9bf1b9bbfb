import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UpdateTable } from '../../crdt/update-table.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('update table: every added id is found at its row, absent ones are not, across growth and any index key', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 3000, selector: hex }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 4 }),
      (ids, key) => {
        const t = new UpdateTable(key);
        const half = ids.length >> 1;
        ids.slice(0, half).forEach((id, k) => assert.equal(t.add(id, k, k + 1, k % 7, 1_700_000_000_000 + k), k, `row ${k} is the ${k}-th add`));
        for (let k = 0; k < half; k++) {
          assert.equal(t.find(ids[k]!), k, `id ${k} found`);
          assert.equal(t.findHex(hex(ids[k]!)), k, `hex id ${k} found`);
          assert.equal(t.idHex(k), hex(ids[k]!), `row ${k} answers its id`);
          assert.deepEqual([t.height(k), t.seq(k), t.author(k), t.timestampMs(k)], [k, k + 1, k % 7, 1_700_000_000_000 + k], `row ${k} columns`);
        }
        for (let k = half; k < ids.length; k++) assert.equal(t.find(ids[k]!), -1, `id ${k} was never added`);
        t.trimToSize();
        for (let k = 0; k < half; k++) assert.equal(t.find(ids[k]!), k, `id ${k} found after trimToSize`);
        for (let k = half; k < ids.length; k++) assert.equal(t.add(ids[k]!, 0, 1, 0, 0), k, `row ${k} added after trimToSize`);
        for (let k = 0; k < ids.length; k++) assert.equal(t.find(ids[k]!), k, `id ${k} found after growing again`);
      },
    ),
    { numRuns: 30 },
  );
});

test('update table: ids ground to share their first 16 bytes (one slot under a public hash) are still told apart', () => {
  const t = new UpdateTable();
  const ids = Array.from({ length: 5000 }, (_, k) => {
    const id = new Uint8Array(32).fill(0xab, 0, 16);
    new DataView(id.buffer).setUint32(28, k);
    return id;
  });
  for (const id of ids) t.add(id, 0, 1, 0, 0);
  ids.forEach((id, k) => assert.equal(t.find(id), k, `ground id ${k}`));
  const other = new Uint8Array(32).fill(0xab, 0, 16);
  other[31] = 0xff;
  other[30] = 0xff;
  assert.equal(t.find(other), -1, 'a ground id never added');
});

test('update table: id order is the order of the hex strings; malformed hex ids are not found', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
      const t = new UpdateTable();
      t.add(a, 0, 1, 0, 0);
      if (hex(a) !== hex(b)) t.add(b, 0, 1, 0, 0);
      const rows = hex(a) === hex(b) ? 0 : 1;
      assert.equal(Math.sign(t.compareIds(0, rows)), Math.sign(hex(a) < hex(b) ? -1 : hex(a) > hex(b) ? 1 : 0), 'byte order = hex order');
    }),
  );
  const t = new UpdateTable();
  t.add(new Uint8Array(32), 0, 1, 0, 0);
  for (const bad of ['', '00', '0'.repeat(63), '0'.repeat(65), 'zz' + '0'.repeat(62), '0'.repeat(62) + 'g0']) {
    assert.equal(t.findHex(bad), -1, `malformed id ${JSON.stringify(bad)}`);
  }
  assert.equal(t.findHex('0'.repeat(64)), 0, 'the well-formed id');
});

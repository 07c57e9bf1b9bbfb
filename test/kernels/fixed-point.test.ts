import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ROUND_MAGIC, roundHalfEven, toFixed } from '../../kernels/fixed-point.js';

test('toFixed: the magic-number rounding gives exactly roundHalfEven for any finite f32 rows, halfway values included', () => {
  const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  fc.assert(
    fc.property(fc.array(fc.array(f32, { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 6 }), (raw) => {
      const rows = raw.map((r) => Float32Array.from(r));
      const x = toFixed(rows);
      const scale = 2 ** x.shift;
      rows.forEach((row, r) => row.forEach((v, i) => assert.ok(x.rows[r]![i] === roundHalfEven(v * scale), `row ${r} coordinate ${i} (${v}): ${x.rows[r]![i]}`))); // === : an Int32Array holds -0 as 0
    }),
    { numRuns: 300 },
  );
  for (const y of [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2 ** 30 - 0.5, -(2 ** 30) + 0.5, 3.4999, -7.5000001]) {
    assert.ok(y + ROUND_MAGIC - ROUND_MAGIC === roundHalfEven(y), `halfway and near-halfway ${y}`);
  }
});

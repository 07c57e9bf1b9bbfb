import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { floatSource, gramCpu, medianCpu, TRIM_STREAM_MAX, trimmedSumCpu, weightedSumCpu } from '../../kernels/cpu/deltas.js';
import { gramSimd, gramSimdAvailable } from '../../kernels/cpu/gram-simd.js';
import { BLOCK_COORDS, floatFrameShift, meanSimdAvailable, weightedSumFromFloats } from '../../kernels/cpu/mean-simd.js';
import { KernelError } from '../../kernels/errors.js';
import { toFixed, type FixedDeltas } from '../../kernels/fixed-point.js';
import { FIXED_BITS, MAX_DELTA_WEIGHT } from '../../kernels/limits.js';

/** The largest |q| of the frame (|q| < 2^FIXED_BITS): coarse values reach +-2^14, differences +-2^15. */
const LIMIT = 2 ** FIXED_BITS - 1;

/** Rows of fixed-point values, with the extremes of the frame mixed in (their coarse values are +-2^14). */
const fixedRows = fc
  .record({ k: fc.integer({ min: 1, max: 9 }), d: fc.integer({ min: 1, max: 70 }) })
  .chain(({ k, d }) => fc.array(fc.array(fc.oneof(fc.integer({ min: -LIMIT, max: LIMIT }), fc.constantFrom(LIMIT, -LIMIT, 0, 32_767, -32_768)), { minLength: d, maxLength: d }), { minLength: k, maxLength: k }))
  .map((rows): FixedDeltas => ({ k: rows.length, d: rows[0]!.length, rows: rows.map((r) => Int32Array.from(r)), shift: 0 }));

test('the SIMD pairwise distances are the scalar integers exactly: any shape (padding included), the frame extremes, norms and pairs', { skip: gramSimdAvailable() ? false : 'no WebAssembly SIMD in this runtime' }, () => {
  fc.assert(
    fc.property(fixedRows, fc.boolean(), (x, pairs) => {
      const want = gramCpu(x, pairs);
      const got = gramSimd(x, pairs)!;
      assert.deepEqual(Array.from(got.norms), Array.from(want.norms), `K=${x.k} D=${x.d}: norms`);
      assert.deepEqual(Array.from(got.distances), Array.from(want.distances), `K=${x.k} D=${x.d}: distances`);
    }),
    { numRuns: 300 },
  );
  const extreme: FixedDeltas = { k: 2, d: 1 << 16, rows: [new Int32Array(1 << 16).fill(LIMIT), new Int32Array(1 << 16).fill(-LIMIT)], shift: 0 };
  assert.deepEqual(Array.from(gramSimd(extreme, true)!.distances), Array.from(gramCpu(extreme, true).distances), 'the largest distance of a 2^16-coordinate frame');
  const small: FixedDeltas = { k: 2, d: 3, rows: [Int32Array.of(1, 2, 3), Int32Array.of(4, 5, 6)], shift: 0 };
  gramSimd(extreme, true);
  assert.deepEqual(Array.from(gramSimd(small, true)!.norms), Array.from(gramCpu(small, true).norms), 'a smaller input after a larger one reads none of the old rows');
});

const specialFloat = fc.oneof(
  { weight: 6, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -1, max: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1.4e-45, -1.4e-45, 2 ** 63, -(2 ** 64), 3e-39, 0.5, -0.5, 1.5) },
  { weight: 1, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true, min: -(2 ** 64), max: 2 ** 64 }) },
);
const floatRows = fc
  .record({ k: fc.integer({ min: 1, max: 8 }), d: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(BLOCK_COORDS - 1, BLOCK_COORDS, BLOCK_COORDS + 5)) })
  .chain(({ k, d }) => fc.tuple(fc.array(fc.array(specialFloat, { minLength: Math.min(d, 40), maxLength: Math.min(d, 40) }), { minLength: k, maxLength: k }), fc.constant(d), fc.array(fc.integer({ min: 1, max: MAX_DELTA_WEIGHT }), { minLength: k, maxLength: k })))
  .map(([heads, d, w]) => ({
    // Long rows repeat their head (with a twist) so block boundaries see every kind of value.
    rows: heads.map((h) => Float32Array.from({ length: d }, (_, i) => h[i % h.length]! * (i >= h.length && i % 3 === 0 ? -1 : 1))),
    weights: Uint32Array.from(w),
  }));

test('from the floats, the frame, the SIMD weighted sum, the median and the trimmed sum are exactly those of toFixed’s rows: across column blocks, subnormals and 2^64', { skip: meanSimdAvailable() ? false : 'no WebAssembly SIMD in this runtime' }, () => {
  fc.assert(
    fc.property(floatRows, ({ rows, weights }) => {
      const x = toFixed(rows);
      const shift = floatFrameShift(rows)!;
      assert.equal(shift, x.shift, `K=${rows.length} D=${rows[0]!.length}: the frame's shift`);
      const got = weightedSumFromFloats(rows, weights, shift)!;
      assert.deepEqual(Buffer.from(got.buffer), Buffer.from(weightedSumCpu(x, weights).buffer), `K=${rows.length} D=${rows[0]!.length}: the sums, bit for bit`);
      const src = floatSource(rows, shift);
      assert.deepEqual(Buffer.from(medianCpu(src).buffer), Buffer.from(medianCpu(x).buffer), `K=${rows.length} D=${rows[0]!.length}: the median from the floats`);
      const t = Math.floor(rows.length / 4);
      assert.deepEqual(Buffer.from(trimmedSumCpu(src, t).buffer), Buffer.from(trimmedSumCpu(x, t).buffer), `K=${rows.length} D=${rows[0]!.length}: the trimmed sum from the floats`);
    }),
    { numRuns: 200 },
  );
});

test('the float frame refuses bad values with toFixed’s exact error and coordinate, in any block', { skip: meanSimdAvailable() ? false : 'no WebAssembly SIMD in this runtime' }, () => {
  for (const [bad, at] of [[NaN, 3], [Infinity, BLOCK_COORDS + 2], [-(2 ** 65), 0]] as const) {
    const rows = [new Float32Array(BLOCK_COORDS + 7).fill(0.25), new Float32Array(BLOCK_COORDS + 7).fill(-0.5)];
    rows[1]![at] = bad;
    const want = (() => {
      try {
        toFixed(rows);
      } catch (err) {
        return err as KernelError;
      }
      throw new Error('toFixed accepted a bad value');
    })();
    assert.throws(() => floatFrameShift(rows), (err: unknown) => err instanceof KernelError && err.code === want.code && err.message === want.message, `${bad} at ${at}: the same error as toFixed`);
  }
});

test('the trimmed sum (one pass with two small buffers up to TRIM_STREAM_MAX a side, two selections past it) is the sorted column’s middle, for every t', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 64 }).chain((k) => fc.tuple(fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 5, maxLength: 5 }), { minLength: k, maxLength: k }), fc.integer({ min: 0, max: Math.floor((k - 1) / 2) }))),
      ([rows, t]) => {
        const x: FixedDeltas = { k: rows.length, d: 5, rows: rows.map((r) => Int32Array.from(r)), shift: 0 };
        const want = Array.from({ length: 5 }, (_, i) => {
          const col = rows.map((r) => r[i]!).sort((a, b) => a - b);
          return col.slice(t, col.length - t).reduce((s, v) => s + v, 0);
        });
        assert.deepEqual(Array.from(trimmedSumCpu(x, t)), want, `K=${rows.length} t=${t} (stream up to ${TRIM_STREAM_MAX})`);
      },
    ),
    { numRuns: 400 },
  );
});

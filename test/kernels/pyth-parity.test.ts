import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type AttestationInput, packAttestations } from '../../kernels/attestation-batch.js';
import { aggregateAttestationsCpu } from '../../kernels/cpu/attestations.js';

/**
 * Pyth's integer rule (pyth-client price_model_core and upd_aggregate), transcribed with BigInt:
 * sort the 3N votes p-c, p, p+c; p25 = v[n/4]; p50 = v[n/2] (odd n) or the floor-average of the
 * two middle votes; p75 = v[n-1-n/4]; conf = max(p50 - p25, p75 - p50).
 */
function pyth(quotes: readonly { price: bigint; conf: bigint }[]): { price: bigint; conf: bigint } {
  const v = quotes.flatMap((q) => [q.price - q.conf, q.price, q.price + q.conf]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const n = v.length;
  const p25 = v[n >> 2]!;
  const sum = v[(n >> 1) - 1]! + v[n >> 1]!;
  const p50 = n % 2 === 1 ? v[n >> 1]! : sum >= 0n ? sum / 2n : -((-sum + 1n) / 2n);
  const p75 = v[n - 1 - (n >> 2)]!;
  const conf = p50 - p25 > p75 - p50 ? p50 - p25 : p75 - p50;
  return { price: p50, conf };
}

function ours(quotes: readonly AttestationInput[]): { price: bigint; conf: bigint } {
  const out = aggregateAttestationsCpu(packAttestations([quotes]));
  return { price: BigInt(out.price[0]!), conf: BigInt(out.confidence[0]!) };
}

const unit = (price: number, conf: number): AttestationInput => ({ value: price, confidence: conf, weight: 1 });

test('Pyth reference cases (equal weights)', () => {
  const cases: [AttestationInput[], bigint, bigint][] = [
    [[unit(100, 10)], 100n, 10n],
    [[unit(100, 10), unit(110, 2)], 109n, 9n], // votes 90 100 108 110 110 112
    [[unit(100, 1), unit(101, 1), unit(102, 1)], 101n, 1n],
    [[unit(-3, 0), unit(-4, 0)], -4n, 1n], // floor-average toward -infinity, as avg_2_int64
    [[unit(2501_37, 80), unit(2500_00, 100), unit(3001_64, 50), unit(2499_99, 10)], 2500_78n, 139n],
    [Array.from({ length: 7 }, (_, i) => unit(1000 + (i < 2 ? 200 : i), 5)), 1007n, 188n],
  ];
  for (const [quotes, price, conf] of cases) {
    assert.deepEqual(pyth(quotes.map((q) => ({ price: BigInt(q.value), conf: BigInt(q.confidence) }))), { price, conf }, `reference itself on ${JSON.stringify(quotes)}`);
    assert.deepEqual(ours(quotes), { price, conf }, `murmur on ${JSON.stringify(quotes)}`);
  }
});

test('property: with equal weights the aggregate is exactly Pyth\'s', () => {
  const quote = fc.record({ value: fc.integer({ min: -1e12, max: 1e12 }), confidence: fc.integer({ min: 0, max: 1e9 }) });
  fc.assert(
    fc.property(fc.array(quote, { minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 2 ** 24 }), (qs, w) => {
      const expected = pyth(qs.map((q) => ({ price: BigInt(q.value), conf: BigInt(q.confidence) })));
      assert.deepEqual(ours(qs.map((q) => ({ ...q, weight: w }))), expected);
    }),
    { numRuns: 300 },
  );
});

test('property: weight w counts exactly as w copies of the attestation', () => {
  const item = fc.record({ value: fc.integer({ min: -1e6, max: 1e6 }), confidence: fc.integer({ min: 0, max: 1e4 }), weight: fc.integer({ min: 1, max: 3 }) });
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 21 }), (items) => {
      const replicated = items.flatMap((a) => Array.from({ length: a.weight }, () => ({ ...a, weight: 1 })));
      const [w, r] = [aggregateAttestationsCpu(packAttestations([items])), aggregateAttestationsCpu(packAttestations([replicated]))];
      for (const col of ['price', 'confidence', 'p25', 'p75', 'median', 'mad'] as const) assert.equal(w[col][0], r[col][0], col);
      assert.equal(w.totalWeight[0], r.totalWeight[0]);
    }),
    { numRuns: 300 },
  );
});

test('MAD outliers: a 20% liar among honest contributors is flagged, the honest are not', () => {
  const honest = Array.from({ length: 5 }, (_, i) => unit(2500_00 + i * 7, 50));
  const liars = [unit(3000_00, 50), unit(3000_10, 50)];
  const out = aggregateAttestationsCpu(packAttestations([[...honest, ...liars]]));
  assert.equal(out.outlierMask[0], 0b1100000, 'only the two liars (indices 5 and 6) are outliers');
  assert.ok(out.price[0]! <= 2500_28 + 50, `the price stays within the honest votes (${out.price[0]})`);
  assert.ok(out.median[0]! <= 2500_28, `the median value is an honest one (${out.median[0]})`);
});

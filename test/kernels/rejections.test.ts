import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateDeltas, type DeltaAggregateOptions } from '../../kernels/aggregator.js';
import { packAttestations, type AttestationInput } from '../../kernels/attestation-batch.js';
import { compress, decompress } from '../../kernels/compression.js';
import { KernelError, KernelErrorCode } from '../../kernels/errors.js';
import { PrivacyAccountant } from '../../kernels/privacy-accountant.js';
import { KernelRunner } from '../../kernels/select-backend.js';

const runner = new KernelRunner({ backend: 'cpu' });

function isCode(code: KernelErrorCode, field?: RegExp) {
  return (err: unknown): boolean => err instanceof KernelError && err.code === code && (field === undefined || field.test(err.field));
}

const ok = (d = 8): Float32Array => new Float32Array(d).fill(1);

test('bad delta input is refused with a typed code before any kernel runs', async () => {
  const cases: [string, Float32Array[], DeltaAggregateOptions, KernelErrorCode, RegExp][] = [
    ['NaN', [ok(), Float32Array.of(1, NaN, 1, 1, 1, 1, 1, 1)], { rule: 'mean' }, KernelErrorCode.NonFinite, /deltas\[1\]\[1\]/],
    ['infinity', [Float32Array.of(Infinity)], { rule: 'median' }, KernelErrorCode.NonFinite, /deltas\[0\]\[0\]/],
    ['beyond 2^64', [Float32Array.of(1e30)], { rule: 'mean' }, KernelErrorCode.OutOfRange, /deltas/],
    ['ragged', [ok(8), ok(9)], { rule: 'mean' }, KernelErrorCode.BadShape, /deltas\[1\]/],
    ['no deltas', [], { rule: 'mean' }, KernelErrorCode.BadShape, /deltas/],
    ['65 deltas', Array.from({ length: 65 }, () => ok()), { rule: 'mean' }, KernelErrorCode.BadShape, /deltas/],
    ['zero weight', [ok(), ok()], { rule: 'mean', weights: [1, 0] }, KernelErrorCode.OutOfRange, /weights\[1\]/],
    ['weight count', [ok(), ok()], { rule: 'mean', weights: [1] }, KernelErrorCode.BadShape, /weights/],
    ['trim 0.5', [ok(), ok()], { rule: 'trimmed-mean', trim: 0.5 }, KernelErrorCode.BadParameter, /trim/],
    ['krum K <= 2f + 2', [ok(), ok(), ok(), ok()], { rule: 'multi-krum', f: 1 }, KernelErrorCode.BadParameter, /^f$/],
    ['clip 0', [ok()], { rule: 'mean', clipNorm: 0 }, KernelErrorCode.BadParameter, /clipNorm/],
    ['sigma NaN', [ok()], { rule: 'mean', noise: { sigma: NaN, key: [0, 0] } }, KernelErrorCode.BadParameter, /noise.sigma/],
    ['unknown rule', [ok()], { rule: 'average' as 'mean' }, KernelErrorCode.BadParameter, /rule/],
  ];
  for (const [name, rows, opts, code, field] of cases) {
    await assert.rejects(aggregateDeltas(runner, rows, opts), isCode(code, field), name);
  }
});

test('bad attestation input is refused with a typed code', () => {
  const a = (value: number, confidence = 0, weight = 1): AttestationInput => ({ value, confidence, weight });
  const cases: [string, AttestationInput[][], KernelErrorCode][] = [
    ['fractional value', [[a(1.5)]], KernelErrorCode.OutOfRange],
    ['NaN value', [[a(NaN)]], KernelErrorCode.NonFinite],
    ['negative confidence', [[a(1, -1)]], KernelErrorCode.OutOfRange],
    ['magnitude past 2^50', [[a(2 ** 50, 0)]], KernelErrorCode.OutOfRange],
    ['zero weight', [[a(1, 0, 0)]], KernelErrorCode.OutOfRange],
    ['weight past 2^24', [[a(1, 0, 2 ** 24 + 1)]], KernelErrorCode.OutOfRange],
    ['65 attestations', [Array.from({ length: 65 }, () => a(1))], KernelErrorCode.BadShape],
  ];
  for (const [name, feeds, code] of cases) assert.throws(() => packAttestations(feeds), isCode(code), name);
});

test('the privacy accountant refuses a release past the budget and records nothing', () => {
  const acc = new PrivacyAccountant({ epsilon: 1, delta: 1e-6 });
  let releases = 0;
  for (;;) {
    try {
      acc.charge('s', 1, 20);
      releases++;
    } catch (err) {
      assert.ok(isCode(KernelErrorCode.BudgetExceeded)(err), `typed refusal after ${releases} releases`);
      break;
    }
    assert.ok(releases < 10_000, 'the budget must run out');
  }
  const before = acc.spent('s');
  assert.ok(before.epsilon <= 1, `spent ${before.epsilon} within budget`);
  assert.throws(() => acc.charge('s', 1, 20), isCode(KernelErrorCode.BudgetExceeded));
  assert.deepEqual(acc.spent('s'), before, 'a refused release spends nothing');
  assert.equal(acc.spent('other').rho, 0, 'streams are accounted separately');
  assert.throws(() => new PrivacyAccountant({ epsilon: 0, delta: 1e-6 }), isCode(KernelErrorCode.BadParameter, /privacy.epsilon/));
});

test('lossless compression round-trips, and a hostile frame cannot inflate past its bound', () => {
  const data = new Uint8Array(100_000).map((_, i) => (i * 7) % 13);
  assert.deepEqual(decompress(compress(data)), data);
  assert.throws(() => decompress(compress(new Uint8Array(10_000)), 1000), isCode(KernelErrorCode.BadShape, /frame/));
  assert.throws(() => decompress(Uint8Array.of(9, 1, 2)), isCode(KernelErrorCode.BadParameter, /codec/));
  assert.throws(() => decompress(Uint8Array.of(1, 1, 2, 3)), isCode(KernelErrorCode.BadShape, /frame/));
});

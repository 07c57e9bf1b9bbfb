import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { applyMask, discreteGaussianVector, isUsableX25519, neighbourGraph, shamirCombine, shamirRandomBytes, shamirSplit, x25519Public, x25519Shared } from '../../kernels/index.js';

test('Shamir over GF(2^8): any threshold shares recover the secret, in any order', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer(), (secret, t, extra, seed) => {
      const xs = Array.from({ length: t + extra }, (_, i) => ((i * 37 + (seed & 0xff)) % 255) + 1).filter((x, i, a) => a.indexOf(x) === i);
      if (xs.length < t) return;
      const shares = shamirSplit(secret, t, xs, randomBytes(shamirRandomBytes(secret.length, t)));
      const pick = [...shares].sort((a, b) => ((a.x * 131 + seed) % 251) - ((b.x * 131 + seed) % 251)).slice(0, t);
      assert.deepEqual(shamirCombine(pick), secret, 'threshold shares give the secret back');
    }),
  );
});

test('Shamir: fewer than threshold shares are independent of the secret', () => {
  // With t - 1 shares fixed, every candidate secret is consistent: count, over many dealings of two secrets, how often share bytes match.
  const t = 3;
  const a = new Uint8Array(32).fill(0);
  const b = new Uint8Array(32).fill(0xff);
  const histA = new Array<number>(256).fill(0);
  const histB = new Array<number>(256).fill(0);
  for (let k = 0; k < 4_000; k++) {
    histA[shamirSplit(a, t, [1, 2, 3], randomBytes(shamirRandomBytes(32, t)))[0]!.y[0]!]!++;
    histB[shamirSplit(b, t, [1, 2, 3], randomBytes(shamirRandomBytes(32, t)))[0]!.y[0]!]!++;
  }
  const chi2 = (h: number[]) => h.reduce((s, n) => s + (n - 4_000 / 256) ** 2 / (4_000 / 256), 0);
  assert.ok(chi2(histA) < 340 && chi2(histB) < 340, `one share is uniform whatever the secret (chi-square ${chi2(histA).toFixed(0)}, ${chi2(histB).toFixed(0)})`);
});

test('the neighbour graph is k-regular, symmetric and a function of the seed', () => {
  for (const [n, k] of [[10, 4], [64, 16], [7, 6], [5, 10], [33, 2]] as const) {
    const seed = randomBytes(32);
    const g = neighbourGraph(n, k, seed);
    const degree = Math.min(k, n - 1);
    g.forEach((nb, i) => {
      assert.equal(nb.length, degree, `member ${i} of ${n} has degree ${degree}`);
      assert.ok(!nb.includes(i), `member ${i} is not its own neighbour`);
      for (const j of nb) assert.ok(g[j]!.includes(i), `edge ${i}-${j} is symmetric`);
    });
    assert.deepEqual(neighbourGraph(n, k, seed), g, 'the same seed gives the same graph');
  }
});

test('masks: slices expand the same words as the whole vector, and adding then subtracting is the identity', () => {
  const seed = randomBytes(32);
  const whole = new Int32Array(1_003);
  applyMask(whole, seed, 0, 1);
  for (const [off, len] of [[0, 5], [1, 7], [4, 999], [997, 6], [513, 64]] as const) {
    const part = new Int32Array(len);
    applyMask(part, seed, off, 1);
    assert.deepEqual(part, whole.subarray(off, off + len), `slice at ${off} matches`);
  }
  applyMask(whole, seed, 0, -1);
  assert.ok(whole.every((v) => v === 0), 'mask - mask = 0 in Z_2^32');
});

test('X25519: agreement is symmetric, and low-order points are refused', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);
  assert.deepEqual(x25519Shared(a, x25519Public(b)), x25519Shared(b, x25519Public(a)), 'both sides agree');
  assert.equal(isUsableX25519(new Uint8Array(32)), false, 'the zero point is refused');
  assert.equal(isUsableX25519(Uint8Array.from([1, ...new Array(31).fill(0)])), false, 'the point 1 is refused');
  assert.equal(isUsableX25519(x25519Public(a)), true, 'a real key is usable');
  assert.equal(isUsableX25519(new Uint8Array(32)), false, 'the remembered verdict for the zero point is still a refusal');
  assert.equal(isUsableX25519(x25519Public(a)), true, 'the remembered verdict for a real key is still usable');
  assert.equal(isUsableX25519(new Uint8Array(31)), false, 'a key of the wrong length is refused');
});

test('discrete Gaussian (Canonne-Kamath-Steinke): integer samples with the declared variance and mean 0', () => {
  for (const sigma of [1.5, 3, 250]) {
    const v = discreteGaussianVector(40_000, sigma, (n) => new Uint8Array(randomBytes(n)));
    let m = 0;
    let q = 0;
    for (const x of v) {
      m += x;
      q += x * x;
    }
    m /= v.length;
    const sd = Math.sqrt(q / v.length - m * m);
    assert.ok(Math.abs(m) < (5 * sigma) / Math.sqrt(v.length) + 0.02, `sigma ${sigma}: mean ${m} near 0`);
    // For sigma >= 1 the discrete Gaussian's variance is within 1e-3 of sigma^2 (CKS, Fact 19).
    assert.ok(Math.abs(sd / sigma - 1) < 0.03, `sigma ${sigma}: std ${sd} within 3 %`);
    assert.ok(v.every((x) => Number.isInteger(x)), `sigma ${sigma}: integers`);
  }
});

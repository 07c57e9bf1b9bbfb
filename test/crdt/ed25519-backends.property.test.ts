import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import * as noble from '@noble/ed25519';
import { OPENSSL_EQUATION, libsodiumEquation, verifyStrictWith } from '../../crdt/index.js';

/**
 * The two equation backends must agree on every input, or a Byzantine author could split nodes
 * that load libsodium from nodes that fall back to OpenSSL. The inputs that separate Ed25519
 * libraries are mixed-order keys and nonces (a torsion point added): for those the cofactorless
 * and cofactored equations differ. These signatures are built with the secret scalar, so some
 * satisfy the cofactorless equation and some only the cofactored one.
 */

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const LIBSODIUM = libsodiumEquation();
const { Point } = noble;
/** A point of order 8 and its multiples: the whole torsion subgroup. */
const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
const TORSION = Array.from({ length: 8 }, (_, i) => Array.from({ length: i }).reduce<typeof T8>((p) => p.add(T8), Point.ZERO));

const leScalar = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`) % L;
const scalarBytes = (n: bigint): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse());
noble.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest());
const h = (...parts: Uint8Array[]): bigint => leScalar(createHash('sha512').update(Buffer.concat(parts)).digest());

test('libsodium and OpenSSL agree on mixed-order keys and nonces, valid or not under the cofactorless equation', { skip: LIBSODIUM === null }, () => {
  let valid = 0;
  let cases = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 48 }), fc.nat(7), fc.bigInt(1n, L - 1n), (seed, msg, ti, r) => {
      const a = noble.utils.getExtendedPublicKey(seed).scalar;
      const pub = Point.BASE.multiply(a).add(TORSION[ti]!).toBytes();
      for (let tj = 0; tj < 8; tj++) {
        const R = Point.BASE.multiply(r).add(TORSION[tj]!).toBytes();
        const k = h(R, pub, msg);
        const sig = new Uint8Array([...R, ...scalarBytes((r + k * a) % L)]);
        const cofactorless = TORSION[tj]!.add(TORSION[ti]!.multiplyUnsafe(k % 8n === 0n ? 8n : k % 8n)).is0();
        const bySodium = verifyStrictWith(LIBSODIUM!, pub, msg, sig);
        const byOpenssl = verifyStrictWith(OPENSSL_EQUATION, pub, msg, sig);
        assert.equal(bySodium, byOpenssl, `backends disagree: torsion ${ti} on A, ${tj} on R`);
        assert.equal(bySodium, cofactorless, `verdict is the cofactorless equation: torsion ${ti} on A, ${tj} on R`);
        const bent = sig.slice();
        bent[Number(r % 64n)]! ^= 1 << Number(r % 8n);
        assert.equal(verifyStrictWith(LIBSODIUM!, pub, msg, bent), verifyStrictWith(OPENSSL_EQUATION, pub, msg, bent), `backends disagree on a bit-flipped signature (${ti}, ${tj})`);
        valid += Number(cofactorless);
        cases++;
      }
    }),
    { numRuns: 50, seed: 20261121 },
  );
  assert.ok(valid > 25 && valid < cases, `both verdicts were exercised (${valid} valid of ${cases})`);
});

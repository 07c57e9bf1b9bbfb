import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as noble from '@noble/ed25519';
import { EQUATION, OPENSSL_EQUATION, fromHex, libsodiumEquation, verifyStrict, verifyStrictWith, type Equation } from '../../crdt/index.js';
import { loadVectors } from '../helpers/vectors.js';

interface SpeccheckCase {
  index: number;
  comment: string;
  message: string;
  pub_key: string;
  signature: string;
  strict: 'valid' | 'invalid';
}

interface WycheproofFile {
  testGroups: { publicKey: { pk: string }; tests: { tcId: number; comment: string; msg: string; sig: string; result: 'valid' | 'invalid' }[] }[];
}

const hex = (h: string): Uint8Array => (h.length % 2 === 0 && /^[0-9a-f]*$/i.test(h) ? fromHex(h.toLowerCase()) : new Uint8Array([0xff]));

const LIBSODIUM = libsodiumEquation();
/** Every equation backend this platform has: the vectors must pass on each, so nodes on either agree. */
const EQUATIONS: Equation[] = [OPENSSL_EQUATION, ...(LIBSODIUM === null ? [] : [LIBSODIUM])];

test('the libsodium equation loads on linux-x64 (sodium-native ships a prebuilt binary for it)', { skip: `${process.platform}-${process.arch}` !== 'linux-x64' }, () => {
  assert.notEqual(LIBSODIUM, null, 'sodium-native loads');
  assert.equal(EQUATION.backend, 'libsodium', 'strict checks use it');
});

test('ed25519-speccheck: every case gets the strict verdict, on every equation backend', () => {
  const { cases } = loadVectors<{ cases: SpeccheckCase[] }>('ed25519-speccheck.json');
  assert.equal(cases.length, 12, 'all 12 speccheck cases present');
  for (const eq of EQUATIONS) {
    for (const c of cases) {
      const got = verifyStrictWith(eq, hex(c.pub_key), hex(c.message), hex(c.signature));
      assert.equal(got, c.strict === 'valid', `${eq.backend}: speccheck case ${c.index} (${c.comment}): expected ${c.strict}`);
    }
  }
  assert.deepEqual(
    cases.filter((c) => c.strict === 'valid').map((c) => c.index),
    [3],
    'only case 3 is valid under the strict policy',
  );
});

test('wycheproof ed25519: every case matches its expected result, on every equation backend', () => {
  const file = loadVectors<WycheproofFile>('wycheproof-ed25519.json');
  for (const eq of EQUATIONS) {
    let n = 0;
    for (const g of file.testGroups) {
      for (const t of g.tests) {
        const got = verifyStrictWith(eq, hex(g.publicKey.pk), hex(t.msg), hex(t.sig));
        assert.equal(got, t.result === 'valid', `${eq.backend}: wycheproof tcId ${t.tcId} (${t.comment}): expected ${t.result}`);
        n++;
      }
    }
    assert.equal(n, 151, `${eq.backend}: all 151 Wycheproof cases ran`);
  }
});

test('strict verify agrees with noble on honest signatures (second implementation)', async () => {
  for (let i = 0; i < 20; i++) {
    const seed = new Uint8Array(32).fill(i + 1);
    const pub = await noble.getPublicKeyAsync(seed);
    const msg = new Uint8Array([i, i + 1, i + 2]);
    const sig = await noble.signAsync(msg, seed);
    assert.equal(verifyStrict(pub, msg, sig), true, `noble signature ${i} verifies strictly`);
    const bad = sig.slice();
    bad[5]! ^= 1;
    assert.equal(verifyStrict(pub, msg, bad), false, `mutated signature ${i} is refused`);
  }
});

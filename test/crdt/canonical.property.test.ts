import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DecodeError,
  attestationKind,
  auditKind,
  decodeSignedParts,
  decodeUpdate,
  defaultKinds,
  deltaKind,
  encodeUpdate,
  parseDecimal,
  formatDecimal,
  type Attestation,
} from '../../crdt/index.js';
import { attest, audit, delta, signerFor } from '../helpers/fixtures.js';

const kinds = defaultKinds();

/** Re-encodes a decoded update from its parts (same signer, so the signature is reproduced too). */
function reencode(bytes: Uint8Array): Uint8Array {
  const u = decodeUpdate(bytes);
  return encodeUpdate({ seq: u.seq, timestampMs: u.timestampMs, deps: u.deps, ops: u.ops }, signerFor('canon'));
}

const sample = encodeUpdate(
  {
    seq: 3,
    timestampMs: 1_700_000_000_000,
    deps: [new Uint8Array(32).fill(9), new Uint8Array(32).fill(2)],
    ops: [attest('ETH/USD', 250137, 5, { sources: ['binance', 'coinbase'] }), audit('rotate', 'key'), delta('model', 1, [0.5, -1])].map((o) => ({
      kind: o.kind,
      payload: kinds.get(o.kind)!.encode(o.body),
    })),
  },
  signerFor('canon'),
);

test('decode then encode is the identity on canonical updates', () => {
  assert.deepEqual(reencode(sample), sample, 'sample update round-trips byte for byte');
});

test('any mutation of a canonical update either fails to decode or re-encodes to itself', () => {
  fc.assert(
    fc.property(fc.nat(sample.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (pos, xor, truncate) => {
      const bytes = truncate ? sample.subarray(0, pos) : sample.slice();
      if (!truncate) bytes[pos]! ^= xor;
      let u;
      try {
        u = decodeUpdate(bytes);
      } catch (err) {
        assert.ok(err instanceof DecodeError, `a typed DecodeError at ${pos}`);
        return;
      }
      // The structure decoded: its header fields must re-encode to the same bytes (signature aside).
      const w = encodeUpdate({ seq: u.seq, timestampMs: u.timestampMs, deps: u.deps, ops: u.ops }, signerFor('canon'));
      assert.deepEqual(w.subarray(33, w.length - 64), bytes.subarray(33, bytes.length - 64), `canonical body after mutation at ${pos}`);
    }),
    { numRuns: 2000 },
  );
});

test('payload codecs: decode(encode(x)) = x, and mutated payloads fail or round-trip', () => {
  const attArb = fc.record({
    feed: fc.stringMatching(/^[A-Za-z0-9._:/-]{1,64}$/),
    exponent: fc.integer({ min: -18, max: 18 }),
    mantissa: fc.integer({ min: -(2 ** 52 - 1), max: 2 ** 52 - 1 }),
    confidence: fc.nat(),
    observedAtMs: fc.nat(),
    sources: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 16 }).map((s) => s.sort()),
  });
  fc.assert(
    fc.property(attArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (a: Attestation, pos, xor) => {
      const bytes = attestationKind.encode(a);
      assert.deepEqual(attestationKind.decode(bytes), { ...a }, 'attestation round-trips');
      const m = bytes.slice();
      m[pos % m.length]! ^= xor;
      for (const k of [attestationKind, auditKind, deltaKind]) {
        try {
          const v = k.decode(m);
          assert.deepEqual((k.encode as (x: unknown) => Uint8Array)(v), m, `${k.name} re-encodes a mutated payload it accepted`);
        } catch (err) {
          assert.ok(err instanceof DecodeError, `${k.name} throws a typed error`);
        }
      }
    }),
    { numRuns: 1000 },
  );
});

test('decimals parse and print exactly', () => {
  for (const [text, m, e] of [
    ['2501.37', 250137, -2],
    ['-0.001', -1, -3],
    ['0', 0, 0],
    ['42', 42, 0],
    ['0.80', 80, -2],
  ] as const) {
    assert.deepEqual(parseDecimal(text), { mantissa: m, exponent: e }, `parse ${text}`);
    assert.equal(formatDecimal({ mantissa: m, exponent: e }), text, `format ${text}`);
  }
  for (const bad of ['', '1e5', 'NaN', '1.2.3', '0x10', '12345678901234567']) {
    assert.throws(() => parseDecimal(bad), { name: 'MurmurArgumentError' }, `refuses ${JSON.stringify(bad)}`);
  }
});

test('the verifier decode (no ops collected) accepts and refuses exactly what decodeUpdate does, with the same signed parts and id', () => {
  const outcome = (f: () => { author: Uint8Array; signed: Uint8Array; signature: Uint8Array; id: string }): unknown => {
    try {
      const u = f();
      return { author: u.author, signed: u.signed, signature: u.signature, id: u.id };
    } catch (err) {
      if (err instanceof DecodeError) return err.code;
      throw err;
    }
  };
  fc.assert(
    fc.property(fc.integer({ min: 0, max: sample.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -3, max: 3 }), (at, byte, cut) => {
      const b = sample.slice(0, sample.length + Math.min(0, cut));
      if (at < b.length) b[at] = byte;
      const bytes = cut > 0 ? new Uint8Array([...b, ...new Uint8Array(cut)]) : b;
      assert.deepEqual(outcome(() => decodeSignedParts(bytes)), outcome(() => decodeUpdate(bytes)), `byte ${at} set to ${byte}, length change ${cut}`);
    }),
    { numRuns: 500 },
  );
});

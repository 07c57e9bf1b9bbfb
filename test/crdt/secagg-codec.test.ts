import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DecodeError, RejectCode, SecAggType, secaggKind, ShareOf, toHex, type SecAggOp } from '../../crdt/index.js';
import { x25519Public } from '../../kernels/index.js';

const config = { dimension: 1_000, neighbours: 4, threshold: 3, maxMembers: 16, scaleBits: 16, clipNorm: 1, noiseStd: 0.5, coordinator: toHex(randomBytes(32)) };
const id = () => toHex(randomBytes(32));
const ops: SecAggOp[] = [
  { type: SecAggType.Keys, stream: 'm', round: 1, config, encPk: x25519Public(randomBytes(32)), maskPk: x25519Public(randomBytes(32)) },
  { type: SecAggType.Roster, stream: 'm', round: 1, members: [id(), id(), id()].sort() },
  { type: SecAggType.Shares, stream: 'm', round: 1, roster: id(), seedCommit: randomBytes(32), entries: [1, 4].map((holder) => ({ holder, ciphertext: randomBytes(80), selfMaskCommit: randomBytes(32), maskKeyCommit: randomBytes(32) })) },
  { type: SecAggType.Masked, stream: 'm', round: 1, roster: id(), included: [0, 3, 9], offset: 128, count: 3, data: randomBytes(12) },
  { type: SecAggType.Close, stream: 'm', round: 1, roster: id(), survivors: [0, 2, 5] },
  { type: SecAggType.Reveal, stream: 'm', round: 1, roster: id(), close: id(), entries: [{ dealer: 1, of: ShareOf.SelfMask, share: randomBytes(32) }, { dealer: 2, of: ShareOf.MaskKey, share: randomBytes(32) }] },
];

test('secagg ops round-trip through the codec, and every strict prefix or extension is refused', () => {
  for (const op of ops) {
    const bytes = secaggKind.encode(op);
    assert.deepEqual(secaggKind.encode(secaggKind.decode(bytes)), bytes, `${SecAggType[op.type]} round-trips`);
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) {
      assert.throws(() => secaggKind.decode(bytes.subarray(0, cut)), (e: unknown) => e instanceof DecodeError && e.code === RejectCode.BadPayload, `${SecAggType[op.type]} cut at ${cut} is bad-payload`);
    }
    assert.throws(() => secaggKind.decode(Uint8Array.from([...bytes, 0])), DecodeError, `${SecAggType[op.type]} with a trailing byte is refused`);
  }
});

test('secagg configs that could wrap the ring, or break the safety rule, are refused with the reason', () => {
  const keys = ops[0]!;
  const wraps = { ...keys, config: { ...config, scaleBits: 30, clipNorm: 100 } } as SecAggOp;
  assert.throws(() => secaggKind.encode(wraps), /would wrap Z_2\^32/);
  const unsafe = { ...keys, config: { ...config, neighbours: 6, threshold: 3 } } as SecAggOp;
  assert.throws(() => secaggKind.encode(unsafe), /more than half of neighbours/);
  const unsorted = { ...ops[4]!, survivors: [3, 1] } as SecAggOp;
  assert.throws(() => secaggKind.encode(unsorted), /strictly ascending/);
});

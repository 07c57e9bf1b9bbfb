import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KIND_ATTESTATION,
  KIND_DELTA,
  Log,
  MAX_DEPS,
  MAX_UPDATE_BYTES,
  RejectCode,
  attestationKind,
  fromHex,
  type Outcome,
} from '../../crdt/index.js';
import { attest, authorFor, rawSignedUpdate, signerFor } from '../helpers/fixtures.js';

function expectRejected(o: Outcome, code: RejectCode, what: string): void {
  assert.equal(o.status, 'rejected', `${what}: expected rejection, got ${o.status}`);
  if (o.status === 'rejected') assert.equal(o.code, code, `${what}: ${o.reason}`);
}

const okPayload = attestationKind.encode({ feed: 'ETH/USD', exponent: -2, mantissa: 250137, confidence: 80, observedAtMs: 1, sources: [] });

test('every rejection code, each for its own rule, and nothing is stored', () => {
  const log = new Log();
  const a = authorFor('rej');
  const good = a.next([attest('ETH/USD', 1, 1)], 1);
  assert.equal(log.offer(good.bytes).status, 'accepted', 'the honest update is accepted');
  const before = log.digest();

  expectRejected(log.offer(new Uint8Array(MAX_UPDATE_BYTES + 1)), RejectCode.TooLarge, 'oversized bytes');
  expectRejected(log.offer(good.bytes.subarray(0, good.bytes.length - 1)), RejectCode.BadEncoding, 'truncated');
  expectRejected(log.offer(Uint8Array.from([...good.bytes, 0])), RejectCode.BadEncoding, 'trailing byte');
  const nonMinimal = Uint8Array.from([...good.bytes.subarray(0, 33), 0x81, 0x00, ...good.bytes.subarray(34)]);
  expectRejected(log.offer(nonMinimal), RejectCode.BadEncoding, 'non-minimal varint seq');
  const v2 = good.bytes.slice();
  v2[0] = 2;
  expectRejected(log.offer(v2), RejectCode.BadVersion, 'unknown version byte');

  const s = signerFor('rej-2');
  const forged = rawSignedUpdate(s, { seq: 1, deps: [], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] });
  forged[forged.length - 40]! ^= 0x01;
  expectRejected(log.offer(forged), RejectCode.BadSignature, 'mutated signature');
  const mutatedOps = rawSignedUpdate(s, { seq: 1, deps: [], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] });
  mutatedOps[mutatedOps.length - 70]! ^= 0x01;
  const mutatedOutcome = log.offer(mutatedOps);
  assert.equal(mutatedOutcome.status, 'rejected', 'a mutated op payload never verifies');

  expectRejected(log.offer(good.bytes, { expectedId: '00'.repeat(32) }), RejectCode.BadId, 'bytes that do not hash to the requested id');

  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 1, deps: [], ops: [{ kind: 99, payload: new Uint8Array(1) }] })),
    RejectCode.UnknownKind,
    'op kind 99',
  );
  const badFeed = okPayload.slice();
  badFeed[1] = 0x20; // a space in the feed id
  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 1, deps: [], ops: [{ kind: KIND_ATTESTATION, payload: badFeed }] })),
    RejectCode.BadPayload,
    'feed id with a space',
  );
  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 1, deps: [], ops: [{ kind: KIND_DELTA, payload: new Uint8Array([1, 0x41]) }] })),
    RejectCode.BadPayload,
    'truncated delta',
  );

  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 0, deps: [], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] })),
    RejectCode.BadSeq,
    'seq 0',
  );
  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 2, deps: [], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] })),
    RejectCode.BadSeq,
    'seq 2 without its own previous update',
  );
  expectRejected(
    log.offer(rawSignedUpdate(signerFor('rej'), { seq: 1, deps: [fromHex(good.id)], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] })),
    RejectCode.BadSeq,
    'seq 1 that depends on its own author',
  );
  expectRejected(
    log.offer(rawSignedUpdate(signerFor('rej'), { seq: 3, deps: [fromHex(good.id)], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] })),
    RejectCode.BadSeq,
    'seq 3 after seq 1',
  );

  const hi = new Uint8Array(32).fill(0xff);
  const lo = new Uint8Array(32).fill(0x01);
  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 1, deps: [hi, lo], ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] })),
    RejectCode.BadDeps,
    'deps not ascending',
  );
  const many = Array.from({ length: MAX_DEPS + 1 }, (_, i) => new Uint8Array(32).fill(i + 1));
  expectRejected(
    log.offer(rawSignedUpdate(s, { seq: 1, deps: many, ops: [{ kind: KIND_ATTESTATION, payload: okPayload }] })),
    RejectCode.BadDeps,
    'more than MAX_DEPS deps',
  );

  assert.equal(log.digest(), before, 'no rejected update changed the state');
  assert.equal(log.size, 1, 'only the honest update is held');
});

test('dep-rejected: for a known-bad dep, and in cascade for pending descendants', () => {
  const log = new Log();
  const s = signerFor('bad-parent');
  const bad = rawSignedUpdate(s, { seq: 1, deps: [], ops: [{ kind: 99, payload: new Uint8Array(0) }] });
  const badId = (log.offer(bad) as { id: string }).id;
  const child = authorFor('child').next([attest('BTC/USD', 1, 1)], 1, [badId]);
  expectRejected(log.offer(child.bytes), RejectCode.DepRejected, 'child of a rejected update');

  const log2 = new Log();
  const grandchild = authorFor('grandchild').next([attest('BTC/USD', 2, 1)], 1, [child.id]);
  assert.equal(log2.offer(grandchild.bytes).status, 'pending', 'grandchild waits for its dep');
  assert.equal(log2.offer(child.bytes).status, 'pending', 'child waits for its dep');
  expectRejected(log2.offer(bad), RejectCode.UnknownKind, 'the bad parent');
  assert.equal(log2.pendingCount, 0, 'descendants left the pending buffer');
  expectRejected(log2.offer(grandchild.bytes), RejectCode.DepRejected, 'grandchild is now known bad');
  assert.equal(log2.stats.rejected[RejectCode.DepRejected], 3, 'two cascaded rejections plus the re-offer');
});

test('pending updates apply as soon as their deps arrive, in any order', () => {
  const a = authorFor('chain');
  const ups = Array.from({ length: 20 }, (_, i) => a.next([attest('X', i, i)], i));
  const log = new Log();
  for (const u of [...ups].reverse().slice(0, 19)) assert.equal(log.offer(u.bytes).status, 'pending', 'held until seq 1 arrives');
  const o = log.offer(ups[0]!.bytes);
  assert.equal(o.status, 'accepted', 'seq 1 accepted');
  assert.equal(o.status === 'accepted' && o.released.length, 19, 'seq 1 released the 19 others');
  assert.equal(log.offer(ups[5]!.bytes).status, 'duplicate', 'a replay is a duplicate');
  assert.equal(log.size, 20, 'all 20 applied');
  assert.deepEqual(log.authorHeads(a.key), [{ seq: 20, id: ups[19]!.id }], 'author head is seq 20');
});

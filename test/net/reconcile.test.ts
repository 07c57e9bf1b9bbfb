import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { KeyIndex, type SyncKey } from '../../net/sync/key-index.js';
import { decodeFrame, encodeFrame, FrameType, RangeMode, type Frame, type Range } from '../../net/sync/messages.js';
import { checkRanges, initialRanges, processRanges, type ReconcileStep } from '../../net/sync/reconcile.js';
import { SyncError, SyncErrorCode } from '../../net/sync/frame-channel.js';
import { Prng } from '../helpers/prng.js';

function key(i: number): SyncKey {
  return { height: Math.floor(i / 10), id: createHash('sha256').update(`k${i}`).digest('hex') };
}

/** Runs the protocol between two in-memory sides; returns round trips until neither has work. */
function reconcile(a: KeyIndex, b: KeyIndex, aKeys: Map<string, SyncKey>, bKeys: Map<string, SyncKey>): number {
  const sides: [KeyIndex, Map<string, SyncKey>][] = [
    [a, aKeys],
    [b, bKeys],
  ];
  let ranges: Range[] = initialRanges(a);
  let rounds = 0;
  for (let turn = 1; ranges.length > 0; turn ^= 1) {
    const [me, myKeys] = sides[turn]!;
    const [other, otherKeys] = sides[turn ^ 1]!;
    // Frames go through the codec, as on the wire.
    const wire: Frame = decodeFrame(encodeFrame({ type: FrameType.Reconcile, ranges }));
    assert.equal(wire.type, FrameType.Reconcile, 'reconcile frame round-trips');
    const step: ReconcileStep = processRanges(me, wire.type === FrameType.Reconcile ? wire.ranges : []);
    const copy = (id: string, from: Map<string, SyncKey>, to: Map<string, SyncKey>, toIndex: KeyIndex): void => {
      if (to.has(id) || !from.has(id)) return;
      to.set(id, from.get(id)!);
      toIndex.add(from.get(id)!);
    };
    for (const id of step.send) copy(id, myKeys, otherKeys, other);
    for (const id of step.want) copy(id, otherKeys, myKeys, me);
    ranges = step.ranges;
    if (turn === 1) rounds++;
  }
  return rounds;
}

function build(keys: SyncKey[]): [KeyIndex, Map<string, SyncKey>] {
  const idx = new KeyIndex();
  const map = new Map<string, SyncKey>();
  for (const k of keys) {
    idx.add(k);
    map.set(k.id, k);
  }
  return [idx, map];
}

test('reconciliation: both sides end with the union, for small and large divergences', () => {
  for (const [base, onlyA, onlyB, seed] of [
    [0, 0, 5, 1],
    [300, 3, 0, 2],
    [5000, 50, 50, 3],
    [5000, 0, 4000, 4],
    [20000, 7, 9, 5],
  ] as const) {
    const rng = new Prng(seed);
    const all = Array.from({ length: base + onlyA + onlyB }, (_, i) => key(i + seed * 1_000_000));
    const common = all.slice(0, base);
    const tail = rng.shuffle(all.slice(base));
    const [a, am] = build([...common, ...tail.slice(0, onlyA)]);
    const [b, bm] = build([...common, ...tail.slice(onlyA)]);
    const rounds = reconcile(a, b, am, bm);
    assert.equal(a.size, all.length, `side a has the union (case ${seed})`);
    assert.equal(b.size, all.length, `side b has the union (case ${seed})`);
    assert.ok(rounds <= 4, `case ${seed}: ${rounds} round trips`);
  }
});

test('reconciliation: a recent divergence of 100 updates settles in one round trip', () => {
  const all = Array.from({ length: 10_100 }, (_, i) => key(i));
  const [a, am] = build(all.slice(0, 10_050));
  const [b, bm] = build([...all.slice(0, 10_000), ...all.slice(10_050)]);
  assert.equal(reconcile(a, b, am, bm), 1, 'one round trip');
  assert.equal(a.size, 10_100, 'a has everything');
  assert.equal(b.size, 10_100, 'b has everything');
});

test('reconciliation: a recent divergence of 1 000 updates on each side settles in one reconcile round trip (a session adds one for the wanted updates)', () => {
  const base = 100_000;
  const all = Array.from({ length: base + 2_000 }, (_, i) => key(i));
  // Both sides wrote at the same heights meanwhile: their new keys interleave.
  const extra = all.slice(base);
  const [a, am] = build([...all.slice(0, base), ...extra.filter((_, i) => i % 2 === 0)]);
  const [b, bm] = build([...all.slice(0, base), ...extra.filter((_, i) => i % 2 === 1)]);
  const rounds = reconcile(a, b, am, bm);
  assert.equal(a.size, all.length, 'a has everything');
  assert.equal(b.size, all.length, 'b has everything');
  assert.ok(rounds <= 1, `${rounds} round trips`);
});

test('fingerprints are order-independent', () => {
  const keys = Array.from({ length: 500 }, (_, i) => key(i));
  const [x] = build(keys);
  const [y] = build(new Prng(9).shuffle([...keys]));
  assert.deepEqual(x.fingerprint(0, 500), y.fingerprint(0, 500), 'same set, same fingerprint');
  assert.notDeepEqual(x.fingerprint(0, 499), y.fingerprint(0, 500), 'different set, different fingerprint');
  for (const k of keys.slice(0, 100)) y.add(k);
  assert.equal(y.size, 500, 'adding present keys again changes nothing');
  assert.deepEqual(y.fingerprint(0, 500), x.fingerprint(0, 500), 'nor the fingerprint');
});

test('checkRanges: a turn\'s ranges must be non-empty, ascending, disjoint and bounded in number', () => {
  const k = (h: number): SyncKey => ({ height: h, id: '00'.repeat(32) });
  const r = (lo: number, hi: number): Range => ({ lower: k(lo), upper: k(hi), mode: RangeMode.Ids, ids: [] });
  const bad: [string, Range[], SyncErrorCode][] = [
    ['inverted', [r(5, 3)], SyncErrorCode.Protocol],
    ['empty', [r(3, 3)], SyncErrorCode.Protocol],
    ['overlapping', [r(1, 5), r(4, 8)], SyncErrorCode.Protocol],
    ['out of order', [r(5, 8), r(1, 3)], SyncErrorCode.Protocol],
    ['the same range twice', [r(1, 5), r(1, 5)], SyncErrorCode.Protocol],
    ['too many', Array.from({ length: 11 }, (_, i) => r(i, i + 1)), SyncErrorCode.TooMuch],
  ];
  for (const [label, ranges, code] of bad) {
    assert.throws(() => checkRanges(ranges, 10), (e: unknown) => e instanceof SyncError && e.code === code, `${label}: refused with ${code}`);
  }
  assert.doesNotThrow(() => checkRanges([r(1, 3), r(3, 5), r(7, 9)], 10), 'adjacent and gapped ascending ranges pass');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Author, IdentityType, KIND_IDENTITY, Log, NO_CUTOFF, successorProof, type OpInput } from '../../crdt/index.js';
import { attest, authorFor, signerFor } from '../helpers/fixtures.js';

const rotate = (oldKey: string, next: Author): OpInput => ({ kind: KIND_IDENTITY, body: { type: IdentityType.Rotate, newKey: next.key, proof: successorProof(oldKey, next.signer) } });
const revoke = (key: string, cutoff: string, reason = 'stolen'): OpInput => ({ kind: KIND_IDENTITY, body: { type: IdentityType.Revoke, key, cutoff, reason } });
const readmit = (oldKey: string, next: Author): OpInput => ({ kind: KIND_IDENTITY, body: { type: IdentityType.Readmit, oldKey, newKey: next.key, proof: successorProof(oldKey, next.signer) } });

/**
 * One history with everything at once:
 * - k1 attests, rotates to k2, then (its key leaked) signs an attestation after the rotation;
 * - k2 attests twice; a thief holding k2 signs a backdated attestation at k2's next seq, while the
 *   authority revokes k2 with its cut-off at k2's second update;
 * - the authority re-admits the identity under k3, which attests;
 * - authorities a and b revoke each other concurrently (strong remove: both stand);
 * - another contributor c self-revokes, concurrently with an authority revocation of it at an earlier cut-off.
 */
function history() {
  const a = authorFor('auth-a');
  const b = authorFor('auth-b');
  const k1 = authorFor('k1');
  const k2 = new Author(signerFor('k2'));
  const thief = new Author(signerFor('k2')); // the same key, a different holder
  const k3 = authorFor('k3');
  const c = authorFor('c');
  const T = 1_700_000_000_000;
  type Name = 'k1a' | 'k1rot' | 'k1late' | 'k2a' | 'k2b' | 'stolen' | 'revK2' | 'readmit' | 'k3a' | 'aRevB' | 'bRevA' | 'c1' | 'c2' | 'cSelf' | 'revC';
  const u = {} as Record<Name, { id: string; bytes: Uint8Array }>;
  u.k1a = k1.next([attest('ID/USD', 100, T)], T);
  u.k1rot = k1.next([rotate(k1.key, k2)], T + 1);
  u.k1late = k1.next([attest('ID/USD', 999, T + 2)], T + 2);
  u.k2a = k2.next([attest('ID/USD', 101, T + 3)], T + 3, [u.k1rot.id]);
  u.k2b = k2.next([attest('ID/USD', 102, T + 4)], T + 4);
  thief.resume(2, u.k2b.id);
  u.stolen = thief.next([attest('ID/USD', 5_000, T - 60_000)], T - 60_000, [u.k1a.id]); // backdated, old deps
  u.revK2 = a.next([revoke(k2.key, u.k2b.id)], T + 5, [u.k2b.id]);
  u.readmit = a.next([readmit(k2.key, k3)], T + 6);
  u.k3a = k3.next([attest('ID/USD', 103, T + 7)], T + 7, [u.readmit.id]);
  u.aRevB = a.next([revoke(b.key, NO_CUTOFF, 'mutual')], T + 8);
  u.bRevA = b.next([revoke(a.key, u.readmit.id, 'mutual')], T + 8, [u.readmit.id]);
  u.c1 = c.next([attest('C/USD', 1, T)], T);
  u.c2 = c.next([attest('C/USD', 2, T + 1)], T + 1);
  u.cSelf = c.next([revoke(c.key, u.c2.id, 'retiring')], T + 2);
  u.revC = a.next([revoke(c.key, u.c1.id, 'compromised')], T + 9, [u.c1.id]);
  return { u, keys: { a: a.key, b: b.key, k1: k1.key, k2: k2.key, k3: k3.key, c: c.key } };
}

const H = history();
const ALL = Object.values(H.u);

function observe(log: Log) {
  const ids = (feed: string) => log.state.attestations(feed).map((x) => x.updateId).sort();
  return {
    digest: log.digest(),
    size: log.size,
    counted: { id: ids('ID/USD'), c: ids('C/USD') },
    identities: Object.fromEntries(Object.entries(H.keys).map(([n, k]) => [n, log.identity(k)])),
  };
}

test('identity rules converge: any order and any partition of rotations, revocations and a revoked key\'s writes give one state on every node', () => {
  const reference = new Log({ authorities: [H.keys.a, H.keys.b] });
  for (const x of ALL) reference.offer(x.bytes);
  const want = observe(reference);
  // What the rules say, once: k1's post-rotation write, the thief's backdated write, and c after
  // the earlier cut-off count for nothing; k3 continues k1's identity.
  assert.deepEqual(want.counted.id, [H.u.k1a.id, H.u.k2a.id, H.u.k2b.id, H.u.k3a.id].sort(), 'counted: k1 before rotating, k2 up to the cut-off, k3');
  assert.deepEqual(want.counted.c, [H.u.c1.id], 'c counts up to the earliest cut-off');
  assert.equal(want.identities.k3!.identity, H.keys.k1, 'k3 continues k1\'s identity');
  assert.deepEqual(want.identities.k1!.chain.map((x) => x.key), [H.keys.k1, H.keys.k2, H.keys.k3], 'the chain k1 -> k2 -> k3');
  const states = Object.fromEntries(want.identities.k1!.chain.map((x) => [x.key, x.state]));
  assert.deepEqual([states[H.keys.k1], states[H.keys.k2], states[H.keys.k3]], ['rotated', 'revoked', 'active']);
  const mutual = reference.identities.revocations.filter((r) => r.reason === 'mutual');
  assert.equal(mutual.length, 2, 'both mutual revocations are listed');
  assert.ok(mutual.every((r) => r.void === null), 'concurrent mutual revocations both stand (strong remove)');

  fc.assert(
    fc.property(fc.array(fc.nat(), { minLength: ALL.length, maxLength: ALL.length }), fc.array(fc.boolean(), { minLength: ALL.length, maxLength: ALL.length }), (keys, firstHalf) => {
      const order = ALL.map((x, i) => ({ x, k: keys[i]! })).sort((p, q) => p.k - q.k).map((p) => p.x);
      // Two nodes: each first gets its side of a partition (in this order), then everything.
      const nodes = [new Log({ authorities: [H.keys.a, H.keys.b] }), new Log({ authorities: [H.keys.b, H.keys.a] })];
      nodes.forEach((log, n) => {
        for (const [i, x] of order.entries()) if (firstHalf[i] === (n === 0)) log.offer(x.bytes);
        for (const x of order) log.offer(x.bytes);
        assert.deepEqual(observe(log), want, `node ${n} derives the reference state`);
      });
    }),
    { numRuns: 60 },
  );
});

test('a backdated update by a revoked key is excluded on every node, whatever its timestamp and deps claim', () => {
  for (const order of [ALL, [...ALL].reverse()]) {
    const log = new Log({ authorities: [H.keys.a, H.keys.b] });
    for (const x of order) log.offer(x.bytes);
    const ids = log.state.attestations('ID/USD').map((x) => x.updateId);
    assert.ok(!ids.includes(H.u.stolen.id), 'the thief\'s backdated write at k2\'s next seq does not count');
    assert.ok(log.has(H.u.stolen.id), 'yet it is accepted (a valid update; it just counts for nothing)');
  }
});

test('without authorities configured, an authority revocation or re-admission counts for nothing', () => {
  const log = new Log();
  for (const x of ALL) log.offer(x.bytes);
  assert.ok(log.identities.revocations.filter((r) => r.by === H.keys.a).every((r) => r.void !== null), 'not authorized');
  assert.equal(log.identity(H.keys.k3).identity, H.keys.k3, 'k3 is its own identity');
});

test('identity spam is folded in without repeated signature checks, chain walks or full re-runs: a 300-key rotation chain and one key re-rotating 300 times', () => {
  const T = 1_700_000_000_000;
  const chain = Array.from({ length: 301 }, (_, i) => authorFor(`chain-${i}`));
  const spammer = authorFor('spammer');
  const updates: { id: string; bytes: Uint8Array }[] = [];
  let prev: string | undefined;
  for (let i = 0; i < 300; i++) {
    const first = chain[i]!.next([attest('CH/USD', i, T + i)], T + i, prev === undefined ? [] : [prev]);
    const rot = chain[i]!.next([rotate(chain[i]!.key, chain[i + 1]!)], T + i);
    updates.push(first, rot);
    prev = rot.id;
  }
  for (let i = 0; i < 300; i++) updates.push(spammer.next([rotate(spammer.key, authorFor(`spam-target-${i}`))], T + i));
  for (const order of [updates, [...updates].reverse()]) {
    const log = new Log();
    for (const u of order) log.offer(u.bytes);
    assert.equal(log.size, updates.length, 'every update is accepted');
    assert.equal(log.identities.proofChecks, 600, 'each rotation proof is checked once, not once per recompute (600 rotations, not ~180 000 checks)');
    const last = log.identity(chain[300]!.key);
    assert.equal(last.identity, chain[0]!.key, 'the chain\'s last key continues the first key\'s identity');
    assert.equal(last.chain.length, 301, 'the whole chain, root first');
    const spam = log.identities.successions.filter((s) => s.oldKey === spammer.key);
    assert.equal(spam.filter((s) => s.void === null).length, 1, 'the spammer\'s first rotation counts');
    assert.ok(spam.filter((s) => s.void !== null).every((s) => s.void === 'the old key already has a successor'), 'every later one is void, with why');
  }
  // In causal order (how one key's updates arrive), each op is folded in alone: no full re-run.
  const alone = new Log();
  for (const u of updates.slice(600)) alone.offer(u.bytes);
  assert.equal(alone.identities.fullRecomputes, 0, 'one key\'s 300 rotations in order never re-run the whole book');
  assert.equal(alone.identities.successions.filter((s) => s.void === null).length, 1, 'and give the same verdicts');
});

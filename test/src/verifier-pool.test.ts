import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setHashElement, type SignatureCheck, type VerifiedCheck } from '../../crdt/index.js';

/** The id a pool's answer carries, or false. */
const idOf = (f: SignatureCheck | undefined): string | false | undefined => (typeof f === 'object' ? f.id : (f as string | false | undefined));
import { Log, RejectCode, checkedOffer, decodeUpdate, verifyStrict } from '../../crdt/index.js';
import { VERIFY_POOL_ALONE_MIN_UPDATES, VerifierPool } from '../../src/verify/verifier-pool.js';
import { attest, authorFor } from '../helpers/fixtures.js';

test('the verifier pool agrees with the inline strict check, and flagged offers keep exact reject codes', async (t) => {
  const pool = new VerifierPool(2);
  t.after(() => pool.close());
  const a = authorFor('pool');
  const updates = Array.from({ length: 300 }, (_, i) => a.next([attest('P', i, i)], i).bytes);
  const forged = updates.map((u, i) => {
    if (i % 7 !== 3) return u;
    const f = u.slice();
    f[f.length - 2]! ^= 0x10;
    return f;
  });
  const batch = [...forged, new Uint8Array([1, 2, 3])];
  const flags = await pool.verify(batch);
  assert.equal(flags.length, batch.length, 'one flag per update');
  batch.forEach((b, i) => {
    let inline: string | false = false;
    try {
      const u = decodeUpdate(b);
      inline = verifyStrict(u.author, u.signed, u.signature) && u.id;
    } catch {
      inline = false;
    }
    assert.equal(idOf(flags[i]), inline, `update ${i}: pool and inline agree, and a verified update comes back with its id`);
    if (inline !== false) assert.deepEqual(Buffer.from((flags[i] as VerifiedCheck).element), Buffer.from(setHashElement(inline)), `update ${i}: and with its state-digest element`);
  });
  const log = new Log();
  const outcomes = batch.map((b, i) => log.offer(b, checkedOffer(flags[i])));
  outcomes.forEach((o, i) => {
    if (i === batch.length - 1) assert.equal(o.status === 'rejected' && o.code, RejectCode.BadEncoding, 'garbage keeps bad-encoding');
    else if (i % 7 === 3) assert.equal(o.status === 'rejected' && o.code, RejectCode.BadSignature, `forged update ${i} keeps bad-signature`);
  });
  const plain = new Log();
  for (const b of batch) plain.offer(b);
  assert.equal(log.digest(), plain.digest(), 'the digest built from the workers\' elements equals the one the log computes itself');
});

test('requests made in one turn are coalesced, each gets its own flags, and views of larger buffers verify as themselves', async (t) => {
  const pool = new VerifierPool(2);
  t.after(() => pool.close());
  const a = authorFor('pool-views');
  const updates = Array.from({ length: 40 }, (_, i) => a.next([attest('V', i, i)], i).bytes);
  // Each update as a view into one shared slab, as gossip and sync frames hand them over.
  const slab = new Uint8Array(updates.reduce((n, u) => n + u.length + 7, 0));
  let at = 0;
  const views = updates.map((u) => {
    slab.set(u, at + 7);
    const v = slab.subarray(at + 7, at + 7 + u.length);
    at += u.length + 7;
    return v;
  });
  const bad = views[5]!.slice();
  bad[bad.length - 1]! ^= 1;
  const requests = [[views[0]!], views.slice(1, 5), [bad], views.slice(6)];
  const results = await Promise.all(requests.map((r) => pool.verify(r)));
  results.forEach((flags, k) => {
    assert.equal(flags.length, requests[k]!.length, `request ${k}: one flag per update`);
    flags.forEach((f, i) => assert.equal(idOf(f), k !== 2 && decodeUpdate(requests[k]![i]!).id, `request ${k}, update ${i}: ${k === 2 ? 'forged' : 'valid, with its id'}`));
  });
  assert.equal(pool.saturated, false, 'a drained pool is not saturated');
  assert.deepEqual(await pool.verify([]), [], 'an empty request answers at once');
});

test('sync-sized requests are posted alone beside the coalesced small ones, and every request gets its own flags', async (t) => {
  const pool = new VerifierPool(2);
  t.after(() => pool.close());
  const a = authorFor('pool-large');
  const updates = Array.from({ length: 2 * VERIFY_POOL_ALONE_MIN_UPDATES + 3 }, (_, i) => a.next([attest('L', i, i)], i).bytes);
  const forge = (u: Uint8Array): Uint8Array => {
    const f = u.slice();
    f[f.length - 1]! ^= 1;
    return f;
  };
  const large1 = updates.slice(0, VERIFY_POOL_ALONE_MIN_UPDATES).map((u, i) => (i === 17 ? forge(u) : u));
  const large2 = updates.slice(VERIFY_POOL_ALONE_MIN_UPDATES, 2 * VERIFY_POOL_ALONE_MIN_UPDATES);
  const small = updates.slice(2 * VERIFY_POOL_ALONE_MIN_UPDATES).map((u, i) => (i === 1 ? forge(u) : u));
  // One turn: a small request between the two large ones.
  const [f1, fs, f2] = await Promise.all([pool.verify(large1), pool.verify(small), pool.verify(large2)]);
  assert.equal(f1.length, large1.length, 'first large request: one flag per update');
  f1.forEach((f, i) => assert.equal(f !== false, i !== 17, `first large request, update ${i}`));
  assert.deepEqual(fs.map((f) => f !== false), [true, false, true], 'small request: its own flags, the forged one false');
  f2.forEach((f, i) => assert.equal(idOf(f), decodeUpdate(large2[i]!).id, `second large request, update ${i}`));
});

test('a crashed worker answers its jobs with "not verified here" and is replaced; the log then checks inline and keeps exact codes', async (t) => {
  const pool = new VerifierPool(2);
  t.after(() => pool.close());
  const workers = (): { worker: { terminate(): Promise<number> } }[] => (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
  const a = authorFor('pool-crash');
  const updates = Array.from({ length: 400 }, (_, i) => a.next([attest('C', i, i)], i).bytes);
  const forged = updates.map((u, i) => {
    if (i !== 9) return u;
    const f = u.slice();
    f[f.length - 1]! ^= 1;
    return f;
  });
  // Both workers die with the batch in flight.
  const inFlight = pool.verify(forged);
  await new Promise((r) => setImmediate(r)); // the flush posts it
  await Promise.all(workers().map((s) => s.worker.terminate()));
  const flags = await inFlight;
  assert.equal(flags.length, forged.length, 'one flag per update, even from a dead worker');
  assert.equal(pool.crashes, 2, 'both losses counted');
  assert.equal(pool.size, 2, 'both workers replaced');
  const log = new Log();
  forged.forEach((u, i) => {
    const o = log.offer(u, checkedOffer(flags[i]));
    if (i === 9) assert.equal(o.status === 'rejected' && o.code, RejectCode.BadSignature, 'the forged update is still refused, inline');
    // After the forged one, the author's later updates wait for its seq (pending), not rejected.
    else assert.equal(o.status, i < 9 ? 'accepted' : 'pending', `update ${i} after the inline check`);
  });
  const again = await pool.verify(forged);
  again.forEach((f, i) => assert.equal(f !== false, i !== 9, `after the respawn, update ${i} verified by a fresh worker`));
});

test('a large request may leave the state-digest elements to the caller (replay), and recycle() replaces idle workers without losing a request', async (t) => {
  const pool = new VerifierPool(2);
  t.after(() => pool.close());
  const a = authorFor('pool-recycle');
  const updates = Array.from({ length: VERIFY_POOL_ALONE_MIN_UPDATES }, (_, i) => a.next([attest('R', i, i)], i).bytes);
  const bare = await pool.verify(updates, { elements: false });
  bare.forEach((f, i) => assert.equal(f, decodeUpdate(updates[i]!).id, `update ${i}: only its id comes back (a string check)`));
  const log = new Log();
  for (const [i, u] of updates.entries()) assert.equal(log.offer(u, checkedOffer(bare[i])).status, 'accepted', `update ${i}: accepted on the id alone`);
  const inline = new Log();
  for (const u of updates) inline.offer(u);
  assert.equal(log.digest(), inline.digest(), 'the log computes the elements itself: the same digest as inline checks');
  const small = await pool.verify(updates.slice(0, 3), { elements: false });
  assert.equal(typeof small[0], 'object', 'a small request is coalesced and always gets its elements');

  const before = pool.size;
  const during = pool.verify(updates);
  await pool.recycle();
  assert.equal(pool.size, before, 'as many workers after a recycle');
  assert.deepEqual((await during).map(idOf), bare, 'a request in flight during the recycle is answered (its worker is kept until idle)');
  assert.deepEqual((await pool.verify(updates, { elements: false })), bare, 'the fresh workers verify');
  assert.equal(pool.crashes, 0, 'a recycle is not a crash');
});

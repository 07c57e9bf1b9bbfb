import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Log, RejectCode, decodeUpdate, verifyStrict } from '../../crdt/index.js';
import { VerifierPool } from '../../src/verify/verifier-pool.js';
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
    let inline = false;
    try {
      const u = decodeUpdate(b);
      inline = verifyStrict(u.author, u.signed, u.signature);
    } catch {
      inline = false;
    }
    assert.equal(flags[i], inline, `update ${i}: pool and inline agree`);
  });
  const log = new Log();
  const outcomes = batch.map((b, i) => log.offer(b, { signatureVerified: flags[i] === true }));
  outcomes.forEach((o, i) => {
    if (i === batch.length - 1) assert.equal(o.status === 'rejected' && o.code, RejectCode.BadEncoding, 'garbage keeps bad-encoding');
    else if (i % 7 === 3) assert.equal(o.status === 'rejected' && o.code, RejectCode.BadSignature, `forged update ${i} keeps bad-signature`);
  });
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
    flags.forEach((f, i) => assert.equal(f, k !== 2, `request ${k}, update ${i}: ${k === 2 ? 'forged' : 'valid'}`));
  });
  assert.equal(pool.saturated, false, 'a drained pool is not saturated');
  assert.deepEqual(await pool.verify([]), [], 'an empty request answers at once');
});

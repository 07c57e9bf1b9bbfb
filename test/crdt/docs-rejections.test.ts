import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as Y from 'yjs';
import { docUpdateFor, KIND_DOC, Log, RejectCode, yjsClientId, type Outcome } from '../../crdt/index.js';
import { authorFor } from '../helpers/fixtures.js';
import { docOp, rawYjsUpdate } from '../helpers/docs.js';

function rejected(o: Outcome): RejectCode | null {
  return o.status === 'rejected' ? o.code : null;
}

test('each doc rejection code, and the honest path beside it', () => {
  const log = new Log();
  const alice = authorFor('doc-alice');
  const bob = authorFor('doc-bob');
  const text = (s: string) => (d: Y.Doc) => d.getText('t').insert(0, s);

  // Honest: Alice writes twice, each update starting where the last ended.
  const a1 = docUpdateFor(alice.key, null, text('hello'));
  assert.equal(log.offer(alice.next([docOp('notes', a1)], 1).bytes).status, 'accepted', 'first honest write');
  const a2 = docUpdateFor(alice.key, a1, text('>> '));
  const u2 = alice.next([docOp('notes', a2)], 2);
  assert.equal(log.offer(u2.bytes).status, 'accepted', 'second honest write');

  // Bob writes under Alice's client id.
  const forged = rawYjsUpdate(yjsClientId(alice.key), text('mine now'), Y.mergeUpdates([a1, a2]));
  assert.equal(rejected(log.offer(bob.next([docOp('notes', forged)], 3).bytes)), RejectCode.DocForeignClient, 'reusing another author\'s client id');

  // Alice reuses clocks: a third update that starts at clock 0 again.
  const alice2 = authorFor('doc-alice');
  alice2.resume(2, u2.id);
  assert.equal(rejected(log.offer(alice2.next([docOp('notes', docUpdateFor(alice.key, null, text('again')))], 4).bytes)), RejectCode.DocClockReuse, 'reused clocks');

  // Alice skips clocks: she makes two edits but sends only the second.
  const local = new Y.Doc();
  Y.applyUpdate(local, Y.mergeUpdates([a1, a2]));
  local.clientID = yjsClientId(alice.key);
  local.getText('t').insert(0, 'unsent');
  const sv = Y.encodeStateVector(local);
  local.getText('t').insert(0, 'sent');
  const alice3 = authorFor('doc-alice');
  alice3.resume(2, u2.id);
  assert.equal(rejected(log.offer(alice3.next([docOp('notes', Y.encodeStateAsUpdate(local, sv))], 5).bytes)), RejectCode.DocClockGap, 'skipped clocks');

  // Deletions in the append-only registry.
  const dave = authorFor('doc-dave'); // a fresh chain: Bob's last update was rejected
  const r1 = docUpdateFor(dave.key, null, (d) => d.getArray('changes').push(['x']));
  assert.equal(log.offer(dave.next([docOp('registry', r1)], 6).bytes).status, 'accepted', 'registry append');
  const del = docUpdateFor(dave.key, r1, (d) => d.getArray('changes').delete(0, 1));
  assert.equal(rejected(log.offer(dave.next([docOp('registry', del)], 7).bytes)), RejectCode.DocForbidden, 'deletion in the registry');

  // Garbage where a Yjs update belongs.
  assert.equal(rejected(log.offer(authorFor('doc-carol').next([{ kind: KIND_DOC, body: { doc: 'notes', update: Uint8Array.of(9, 9, 9, 9) } }], 8).bytes)), RejectCode.BadPayload, 'not a Yjs update');

  const views = log.state.docOps('notes');
  assert.equal(views.length, 2, 'only the two honest writes count');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DocViews, DocWriter, Log, yjsClientId } from '../../crdt/index.js';
import { authorFor } from '../helpers/fixtures.js';
import { docOp } from '../helpers/docs.js';

/** A shortened client-id space (4 bits), so two test keys collide as a key ground for 2^52 work would. */
const BITS = 4;

test('two keys with one Yjs client id: both lose their doc ops on every node, whatever arrived first, and the collision is reported', () => {
  const authors = Array.from({ length: 40 }, (_, i) => authorFor(`collide-${i}`));
  const byClient = new Map<number, typeof authors>();
  for (const a of authors) byClient.set(yjsClientId(a.key, BITS), [...(byClient.get(yjsClientId(a.key, BITS)) ?? []), a]);
  const pair = [...byClient.values()].find((g) => g.length >= 2)!;
  assert.ok(pair !== undefined, 'two of 40 keys share a 4-bit client id');
  const [victim, thief] = pair;
  const bystander = authors.find((a) => byClient.get(yjsClientId(a.key, BITS))!.length === 1)!;
  // The victim and the thief write different content under the same (client, clock) pairs.
  const write = (a: typeof victim, text: string): Uint8Array =>
    a!.next([docOp('notes', new DocWriter(a!.key, null, BITS).write((d) => d.getArray('items').push([text])))], 1).bytes;
  const updates = { victim: write(victim, 'written by the victim'), thief: write(thief, 'written by the thief'), bystander: write(bystander, 'bystander') };

  const content = (order: Uint8Array[]) => {
    const log = new Log({ yjsClientIdBits: BITS });
    const views = new DocViews(log.state);
    for (const u of order) assert.equal(log.offer(u).status, 'accepted', 'each doc op is valid on its own');
    return { items: views.doc('notes').getArray('items').toJSON(), collisions: log.clientIdCollisions(), digest: log.digest(), ops: log.state.docOpCount('notes') };
  };
  const a = content([updates.victim, updates.bystander, updates.thief]);
  const b = content([updates.thief, updates.victim, updates.bystander]);
  assert.deepEqual(a.items, b.items, 'the document is the same whichever key came first');
  assert.deepEqual(a.items, ['bystander'], 'only the bystander\'s op counts');
  assert.equal(a.ops, 1, 'both colliding keys\' doc ops are excluded');
  assert.deepEqual(a.collisions, b.collisions, 'the collision evidence is the same');
  assert.deepEqual(a.collisions, [{ clientId: yjsClientId(victim!.key, BITS), authors: [victim!.key, thief!.key].sort() }], 'and names the client id and both keys');
  assert.equal(a.digest, b.digest, 'one set of updates, one digest');

  // A node that applied the victim's op before the thief's came rebuilds the document without it.
  const log = new Log({ yjsClientIdBits: BITS });
  const views = new DocViews(log.state);
  log.offer(updates.victim);
  assert.deepEqual(views.doc('notes').getArray('items').toJSON(), ['written by the victim'], 'alone, the victim\'s op counts');
  log.offer(updates.thief);
  assert.deepEqual(views.doc('notes').getArray('items').toJSON(), [], 'after the collision it no longer does');
});

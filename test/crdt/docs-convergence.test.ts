import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as Y from 'yjs';
import { DocViews, DocWriter, docUpdateFor, Log, RegistryReader, REGISTRY_DOC, yjsClientId, type Author } from '../../crdt/index.js';
import { authorFor } from '../helpers/fixtures.js';
import { docOp, rawYjsUpdate, registryRecord } from '../helpers/docs.js';
import { Prng } from '../helpers/prng.js';

interface Scenario {
  updates: Uint8Array[];
  authority: string;
  owner: string;
  byzantine: string;
}

/** Honest writers editing from partial views, an authority, and a Byzantine writer doing everything wrong. */
export function scenario(seed: number): Scenario {
  const rng = new Prng(seed);
  const honest = [0, 1, 2].map((i) => authorFor(`docprop-h${i}`));
  const authority = authorFor('docprop-authority');
  const byz = authorFor(`docprop-byz`);
  const updates: Uint8Array[] = [];
  const published: { doc: string; update: Uint8Array; by: string }[] = [];
  const writers = new Map<string, { w: DocWriter; seen: Set<Uint8Array> }>();
  // Each honest writer keeps its own replica and, before writing, takes in a random part of what
  // it has not seen yet: partial, growing views, as real writers have.
  const write = (a: Author, doc: string, mutate: (d: Y.Doc) => void): void => {
    const key = `${a.key}/${doc}`;
    const r = writers.get(key) ?? { w: new DocWriter(a.key), seen: new Set<Uint8Array>() };
    writers.set(key, r);
    for (const p of published) {
      if (p.doc === doc && p.by !== a.key && !r.seen.has(p.update) && rng.next() < 0.6) {
        r.w.receive(p.update);
        r.seen.add(p.update);
      }
    }
    const u = r.w.write(mutate);
    published.push({ doc, update: u, by: a.key });
    updates.push(a.next([docOp(doc, u)], updates.length).bytes);
  };
  const feedBody = (w: number) => ({ decimals: 2, description: 'ether', contributors: { [honest[1]!.key]: w, [honest[2]!.key]: 1 } });
  write(honest[0]!, REGISTRY_DOC, (d) => d.getArray('changes').push([registryRecord('feed', 'ETH/USD', honest[0]!.key, 1, feedBody(3))]));
  write(honest[1]!, REGISTRY_DOC, (d) => d.getArray('changes').push([registryRecord('adapter', 'binance', honest[1]!.key, 1, { name: 'binance', version: '1.0', schema: 'ticker' })]));
  for (let round = 0; round < 4; round++) {
    for (const h of honest) {
      write(h, 'notes', (d) => {
        const t = d.getText('t');
        t.insert(rng.int(t.length + 1), `${h.key.slice(0, 4)}${round} `);
        d.getMap('m').set(`k${rng.int(3)}`, round);
      });
    }
  }
  write(authority, REGISTRY_DOC, (d) => d.getArray('changes').push([registryRecord('feed', 'ETH/USD', honest[0]!.key, 2, feedBody(5))]));
  // Byzantine: takeover of the feed (valid Yjs, wrong owner), writing as Alice's client, clock reuse, equivocation.
  write(byz, REGISTRY_DOC, (d) => d.getArray('changes').push([registryRecord('feed', 'ETH/USD', byz.key, 9, feedBody(1), 'takeover')]));
  updates.push(byz.next([docOp('notes', rawYjsUpdate(yjsClientId(honest[0]!.key), (d) => d.getText('t').insert(0, 'FORGED ')))], 90).bytes);
  const reuse = authorFor('docprop-byz-2');
  const first = docUpdateFor(reuse.key, null, (d) => d.getText('t').insert(0, 'one '));
  updates.push(reuse.next([docOp('notes', first)], 91).bytes);
  updates.push(reuse.next([docOp('notes', docUpdateFor(reuse.key, null, (d) => d.getText('t').insert(0, 'two ')))], 92).bytes);
  const eq = authorFor('docprop-byz-3');
  const forkA = authorFor('docprop-byz-3');
  updates.push(eq.next([docOp('notes', docUpdateFor(eq.key, null, (d) => d.getText('t').insert(0, 'left ')))], 93).bytes);
  updates.push(forkA.next([docOp('notes', docUpdateFor(eq.key, null, (d) => d.getText('t').insert(0, 'right ')))], 94).bytes);
  return { updates, authority: authority.key, owner: honest[0]!.key, byzantine: byz.key };
}

export function replicaView(updates: Uint8Array[], order: number[], authority: string): string {
  const log = new Log();
  const views = new DocViews(log.state);
  for (const i of order) {
    log.offer(updates[i]!);
    if (i % 5 === 0) views.doc('notes'); // materialise mid-stream, so later exclusions must rebuild
  }
  const notes = views.doc('notes');
  const reg = new RegistryReader(log, views).view(new Set([authority]));
  return JSON.stringify({
    text: notes.getText('t').toString(),
    map: Object.entries(notes.getMap('m').toJSON()).sort(), // Y.Map key order follows integration order
    sv: Buffer.from(Y.encodeStateVector(notes)).toString('hex'),
    reg,
  });
}

test('property: honest and Byzantine writers, any delivery order with duplicates: identical Y.Doc and registry everywhere', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer(), fc.integer(), (seed, s1, s2) => {
      const sc = scenario(seed);
      const n = sc.updates.length;
      const orders = [s1, s2].map((s) => {
        const rng = new Prng(s);
        const order = rng.shuffle([...Array(n).keys()]);
        return [...order, ...order.filter(() => rng.next() < 0.3)];
      });
      const [a, b, c] = [replicaView(sc.updates, [...Array(n).keys()], sc.authority), replicaView(sc.updates, orders[0]!, sc.authority), replicaView(sc.updates, orders[1]!, sc.authority)];
      assert.equal(b, a, 'replica 2 equals replica 1');
      assert.equal(c, a, 'replica 3 equals replica 1');
      const view = JSON.parse(a) as { text: string; reg: { entries: { id: string; owner: string; version: number; writtenBy: string }[]; ignored: { reason: string; writer: string }[] } };
      const feed = view.reg.entries.find((e) => e.id === 'ETH/USD')!;
      assert.deepEqual([feed.owner, feed.version, feed.writtenBy], [sc.owner, 2, sc.authority], 'the owner keeps the feed; the authority\'s change counts');
      assert.ok(!view.reg.entries.some((e) => e.owner === sc.byzantine || e.writtenBy === sc.byzantine), 'the Byzantine writer owns and wrote nothing');
      for (const bad of ['FORGED', 'two', 'left', 'right']) assert.ok(!view.text.includes(bad), `no trace of the Byzantine write "${bad}"`);
    }),
    { numRuns: 25 },
  );
});

test('registry takeover: a known entry stays its owner\'s, a concurrent rival only disputes it, an authority settles', () => {
  const owner = authorFor('reg-owner');
  const byz = authorFor('reg-byz');
  const auth = authorFor('reg-authority');
  const body = { decimals: 2, description: 'ether', contributors: {} };
  const log = new Log();
  const views = new DocViews(log.state);
  const reader = new RegistryReader(log, views);
  const authorities = new Set([auth.key]);
  const state = (): Uint8Array => Y.encodeStateAsUpdate(views.doc(REGISTRY_DOC));
  const push = (a: Author, rec: Record<string, unknown>, deps: string[] = []): string => {
    const u = a.next([docOp(REGISTRY_DOC, docUpdateFor(a.key, state(), (d) => d.getArray('changes').push([rec])))], 1, deps);
    assert.equal(log.offer(u.bytes).status, 'accepted', `${JSON.stringify(rec).slice(0, 60)} is a valid update`);
    return u.id;
  };
  const entry = (id: string) => reader.view(authorities).entries.find((e) => e.id === id);

  const created = push(owner, registryRecord('feed', 'ETH/USD', owner.key, 1, body));
  push(byz, registryRecord('feed', 'ETH/USD', byz.key, 7, body, 'grab'), [created]);
  assert.equal(entry('ETH/USD')?.owner, owner.key, 'a writer that knew the entry cannot take it over');
  push(owner, registryRecord('feed', 'ETH/USD', owner.key, 2, body));
  assert.equal(entry('ETH/USD')?.version, 2, 'the owner keeps changing it');

  // A rival creation that did not know the first one (no dep on it): a dispute, not a takeover.
  const rival = authorFor('reg-rival');
  const lonely = new DocViews(new Log().state);
  const u = rival.next([docOp(REGISTRY_DOC, docUpdateFor(rival.key, Y.encodeStateAsUpdate(lonely.doc(REGISTRY_DOC)), (d) => d.getArray('changes').push([registryRecord('feed', 'BTC/USD', rival.key, 1, body)])))], 1);
  const first = push(owner, registryRecord('feed', 'BTC/USD', owner.key, 1, body));
  assert.equal(log.offer(u.bytes).status, 'accepted', 'the rival update is valid');
  const v = reader.view(authorities);
  assert.ok(v.disputed.includes('feed/BTC/USD') && entry('BTC/USD') === undefined, 'concurrent rival creations dispute the entry');
  push(auth, registryRecord('feed', 'BTC/USD', owner.key, 3, body, 'settle'), [first]);
  assert.equal(entry('BTC/USD')?.owner, owner.key, 'an authority settles the dispute');
  assert.equal(entry('BTC/USD')?.writtenBy, auth.key);
});

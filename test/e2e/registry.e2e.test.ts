import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Author, toHex } from '../../crdt/index.js';
import { registrySet } from '../../src/cli/registry.js';
import { generateKeyFile } from '../../src/keys.js';
import { startNode, tempDataDir } from '../helpers/cluster.js';
import { attest } from '../helpers/fixtures.js';

test('registry over HTTP and the CLI path: owner and authority changes count, a takeover does not, and feed weights follow', async () => {
  const dir = tempDataDir('registry');
  const keys = Object.fromEntries(['owner', 'authority', 'thief', 'c1', 'c2', 'sybil'].map((n) => [n, generateKeyFile(join(dir, `${n}.key`))]));
  const hex = (n: string): string => toHex(keys[n]!.publicKey);
  const node = await startNode(join(dir, 'node'), { registryAuthorities: [hex('authority')] });
  try {
    const api = node.apiUrl!;
    const set = (who: string, version: number, body: Record<string, unknown>, owner?: string) =>
      registrySet({ key: join(dir, `${who}.key`), api: { url: api }, kind: 'feed', id: 'ETH/USD', version: String(version), body: JSON.stringify(body), ...(owner ? { owner } : {}) });
    const feed = (contributors: Record<string, number>) => ({ decimals: 2, description: 'ether in dollars', contributors });
    const registry = async () => (await (await fetch(`${api}/v1/registry`)).json()) as { entries: { id: string; owner: string; version: number; body: { contributors: Record<string, number> } }[]; ignored: { reason: string }[] };

    await set('owner', 1, feed({ [hex('c1')]: 3, [hex('c2')]: 1 }));
    await set('thief', 5, feed({ [hex('sybil')]: 100 }));
    let r = await registry();
    assert.equal(r.entries[0]?.owner, hex('owner'), 'the owner holds the entry');
    assert.equal(r.entries[0]?.version, 1, 'the thief changed nothing');
    assert.ok(r.ignored.some((i) => i.reason === 'not-owner'), 'the takeover is listed as ignored');
    await set('authority', 2, feed({ [hex('c1')]: 3, [hex('c2')]: 2 }), hex('owner'));
    r = await registry();
    assert.deepEqual([r.entries[0]?.version, r.entries[0]?.body.contributors[hex('c2')]], [2, 2], 'the authority\'s change counts');
    const paged = (await (await fetch(`${api}/v1/registry?offset=1&limit=1`)).json()) as { offset: number; entriesTotal: number; entries: unknown[]; ignoredTotal: number; ignored: unknown[] };
    assert.deepEqual([paged.offset, paged.entriesTotal, paged.entries.length], [1, 1, 0], 'the registry lists are paged, with their totals');
    assert.equal(paged.ignored.length, Math.min(1, paged.ignoredTotal - 1), 'one offset and limit page the ignored changes too');
    assert.equal((await fetch(`${api}/v1/registry?limit=x`)).status, 400, 'a bad limit is refused');

    for (const [n, price] of [['c1', 2500_00], ['c2', 2502_00], ['sybil', 9999_00]] as const) {
      const u = new Author(keys[n]!).next([attest('ETH/USD', price, 5_000)], 5_000);
      assert.equal((await node.submit(u.bytes)).outcome.status, 'accepted', `${n}'s attestation is stored`);
    }
    const agg = (await (await fetch(`${api}/v1/aggregates/feed?feed=ETH/USD`)).json()) as {
      totalWeight: number;
      inputs: { author: string; weight: number }[];
      excluded: { author: string; reason: string }[];
    };
    assert.deepEqual(agg.inputs.map((i) => [i.author, i.weight]).sort(), [[hex('c1'), 3], [hex('c2'), 2]].sort(), 'registry weights apply');
    assert.deepEqual(agg.excluded.map((e) => [e.author, e.reason]), [[hex('sybil'), 'not-admitted']], 'a contributor the feed does not admit is left out, with the reason');
    assert.equal(agg.totalWeight, 5);

    const docs = (await (await fetch(`${api}/v1/docs?name=registry`)).json()) as { writers: unknown[]; updateBase64: string };
    assert.equal(docs.writers.length, 3, 'owner, thief and authority wrote to the registry document');
    assert.equal((await fetch(`${api}/v1/docs?name=nope`)).status, 404);
    const list = (await (await fetch(`${api}/v1/docs?limit=1`)).json()) as { total: number; offset: number; docs: string[] };
    assert.deepEqual(list, { total: 1, offset: 0, docs: ['registry'] }, 'the document list is paged');
    const ops = (await (await fetch(`${api}/v1/docs/ops?name=registry&offset=1&limit=2`)).json()) as { total: number; next: number | null; ops: { author: string; updateBase64: string }[] };
    assert.equal(ops.ops.length, Math.min(2, ops.total - 1), 'a page of the ops of the registry document');
    assert.equal(ops.next, ops.total > 3 ? 3 : null, 'next says where the following page starts');
    for (const o of ops.ops) assert.ok(Buffer.from(o.updateBase64, 'base64').length > 0, `op by ${o.author} carries its Yjs update`);
    const bad = await fetch(`${api}/v1/docs/ops?limit=5`);
    assert.equal(bad.status, 400, 'the ops route needs a name');
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'bad-request');
    assert.equal((await fetch(`${api}/v1/evidence?limit=10001`)).status, 400, 'a limit over the cap is refused');
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

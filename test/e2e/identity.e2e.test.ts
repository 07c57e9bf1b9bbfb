import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Author, f32Delta, KIND_DELTA, toHex } from '../../crdt/index.js';
import { readmit, revoke, rotate, succession } from '../../src/cli/identity.js';
import { registrySet } from '../../src/cli/registry.js';
import { attest as attestCli } from '../../src/cli/attest.js';
import { generateKeyFile } from '../../src/keys.js';
import { nodeForTest } from '../helpers/cluster.js';
import { attest } from '../helpers/fixtures.js';

test('identities over the API and the CLI: an equivocator re-admitted under a new key contributes again with its weight; rotation and revocation follow the identity', async (t) => {
  const keysDir = mkdtempSync(join(tmpdir(), 'murmur-identity-keys-'));
  t.after(() => rmSync(keysDir, { recursive: true, force: true }));
  const keys = Object.fromEntries(['owner', 'owner2', 'authority', 'c1', 'c1new', 'c2', 'c2next'].map((n) => [n, generateKeyFile(join(keysDir, `${n}.key`))]));
  const hex = (n: string): string => toHex(keys[n]!.publicKey);
  const { node } = await nodeForTest(t, 'identity', { registryAuthorities: [hex('authority')] });
  const api = { url: node.apiUrl! };
  const get = async (path: string) => (await (await fetch(`${api.url}${path}`)).json()) as Record<string, unknown>;
  await registrySet({ key: join(keysDir, 'owner.key'), api, kind: 'feed', id: 'ID/USD', version: '1', body: JSON.stringify({ decimals: 2, description: 'identity test', contributors: { [hex('c1')]: 3, [hex('c2')]: 1 } }) });

  // c1 equivocates: two different updates at seq 1.
  const a = new Author(keys.c1!);
  const b = new Author(keys.c1!);
  for (const u of [a.next([attest('ID/USD', 100_00, 1_000)], 1_000), b.next([attest('ID/USD', 900_00, 1_000)], 1_000)]) await node.submit(u.bytes);
  const agg = async () => (await get('/v1/aggregates/feed?feed=ID/USD')) as { inputs: { author: string; weight: number }[] };
  assert.equal((await agg()).inputs.length, 0, 'the equivocator counts for nothing');

  // The authority re-admits it under c1new, with c1new's consent; c1new attests and counts with c1's registry weight.
  const proof = succession(join(keysDir, 'c1new.key'), hex('c1'));
  await readmit(api, join(keysDir, 'authority.key'), hex('c1'), proof.newKey, proof.proof);
  await attestCli({ key: join(keysDir, 'c1new.key'), api, feeds: ['ID/USD'], values: ['101'], confidences: ['0.5'], sources: [] });
  let inputs = (await agg()).inputs;
  assert.deepEqual(inputs.map((i) => [i.author, i.weight]), [[hex('c1new'), 3]], 're-admitted: c1new counts with c1\'s weight');
  const ident = (await get(`/v1/identities/${hex('c1new')}`)) as { identity: string; chain: { key: string; state: string }[] };
  assert.equal(ident.identity, hex('c1'), 'c1new is c1\'s identity');
  assert.deepEqual(ident.chain.map((c) => c.state), ['equivocated', 'active']);
  const evidence = (await get('/v1/evidence')) as { evidence: { author: string }[] };
  assert.ok(evidence.evidence.some((e) => e.author === hex('c1')), 'the evidence is kept');

  // c2 attests, rotates to c2next (CLI path), and the identity counts once, under the new key, with c2's weight.
  await attestCli({ key: join(keysDir, 'c2.key'), api, feeds: ['ID/USD'], values: ['102'], confidences: ['0.5'], sources: [] });
  const deltaOf = async (name: string, v: number) => {
    const au = new Author(keys[name]!);
    const heads = (await get(`/v1/authors/${au.key}/heads`)) as { heads: { seq: number; id: string }[] };
    const top = heads.heads.at(-1);
    if (top !== undefined) au.resume(top.seq, top.id);
    return node.submit(au.next([{ kind: KIND_DELTA, body: f32Delta({ stream: 'id-model', round: 1, dimension: 4, offset: 0, sampleWeight: 1 }, Float32Array.of(v, v, v, v)) }], Date.now()).bytes);
  };
  await deltaOf('c2', 1);
  await rotate(api, join(keysDir, 'c2.key'), join(keysDir, 'c2next.key'));
  await attestCli({ key: join(keysDir, 'c2next.key'), api, feeds: ['ID/USD'], values: ['103'], confidences: ['0.5'], sources: [] });
  await deltaOf('c2next', 2);
  const d = (await get('/v1/aggregates/delta?stream=id-model&round=1&rule=mean')) as { inputs: { author: string }[]; excluded: { author: string; reason: string }[] };
  assert.deepEqual(d.inputs.map((i) => i.author), [hex('c2next')], 'one delta per identity: its latest key\'s');
  assert.deepEqual(d.excluded, [{ author: hex('c2'), reason: 'superseded-key' }], 'the earlier key\'s delta is superseded');
  inputs = (await agg()).inputs;
  assert.deepEqual(inputs.map((i) => [i.author, i.weight]).sort(), [[hex('c1new'), 3], [hex('c2next'), 1]].sort(), 'one input per identity, the rotated one under its new key with its weight');
  // The old key, after rotating, counts for nothing (a leaked old key gets nothing in).
  await attestCli({ key: join(keysDir, 'c2.key'), api, feeds: ['ID/USD'], values: ['999'], confidences: ['0.5'], sources: [] });
  inputs = (await agg()).inputs;
  assert.ok(!inputs.some((i) => i.author === hex('c2')), 'the rotated-away key\'s later attestation does not count');

  // c2next revokes itself: its later updates count for nothing; the identity view says so.
  await revoke(api, join(keysDir, 'c2next.key'), { reason: 'retiring' });
  await attestCli({ key: join(keysDir, 'c2next.key'), api, feeds: ['ID/USD'], values: ['104'], confidences: ['0.5'], sources: [] });
  const view = (await get(`/v1/identities/${hex('c2')}`)) as { chain: { key: string; state: string }[]; revocations: { void: string | null }[] };
  assert.deepEqual(view.chain.map((c) => c.state), ['rotated', 'revoked']);
  assert.ok(view.revocations.every((r) => r.void === null), 'the self-revocation counts');
  inputs = (await agg()).inputs;
  assert.deepEqual(inputs.find((i) => i.author === hex('c2next')) !== undefined, true, 'its attestation before the revocation still counts');
  assert.equal((await fetch(`${api.url}/v1/identities/zz`)).status, 400, 'a bad key is a 400');

  // Registry ownership follows the identity: the owner rotates, and its new key changes the entry.
  await rotate(api, join(keysDir, 'owner.key'), join(keysDir, 'owner2.key'));
  await registrySet({ key: join(keysDir, 'owner2.key'), api, kind: 'feed', id: 'ID/USD', version: '2', body: JSON.stringify({ decimals: 2, description: 'identity test v2', contributors: { [hex('c1')]: 5, [hex('c2')]: 1 } }), owner: hex('owner') });
  const reg = (await get('/v1/registry')) as { entries: { id: string; version: number; writtenBy: string }[] };
  assert.deepEqual(reg.entries.map((e) => [e.id, e.version, e.writtenBy]), [['ID/USD', 2, hex('owner2')]], 'the rotated owner\'s new key updates its entry');
  inputs = (await agg()).inputs;
  assert.equal(inputs.find((i) => i.author === hex('c1new'))?.weight, 5, 'and the re-admitted identity weighs the new weight');
});

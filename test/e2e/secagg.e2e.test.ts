import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type SecAggConfig } from '../../crdt/index.js';
import { coordinateRound, joinRound } from '../../src/cli/secagg.js';
import { generateKeyFile, loadKeyFile } from '../../src/keys.js';
import { fixedPointInput } from '../../src/secagg/participant.js';
import { statePath } from '../../src/secagg/secret-state.js';
import { startCluster, waitFor } from '../helpers/cluster.js';

const D = 150_000; // two masked slices per member

test('a secure-aggregation round over two real nodes: only the sum comes out, byte for byte the plain fixed-point sum, with one dropout', async (t) => {
  const { nodes, dirs, stop } = await startCluster(2, 'secagg-e2e');
  t.after(stop);
  await waitFor(() => nodes.every((n) => n.network.peers().length > 0), 10_000);
  const apis = nodes.map((n) => ({ url: n.apiUrl! }));
  const coordKey = join(dirs[0]!, 'coord.key');
  const coordinator = toHex(generateKeyFile(coordKey).publicKey);
  const config: SecAggConfig = { dimension: D, neighbours: 5, threshold: 3, maxMembers: 6, scaleBits: 16, clipNorm: 4, noiseStd: 0, coordinator };
  const keys = Array.from({ length: 6 }, (_, i) => join(dirs[i % 2]!, `m${i}.key`));
  keys.forEach((k) => generateKeyFile(k));
  const values = keys.map((_, i) => Float32Array.from({ length: D }, (_, j) => Math.sin(i * 7 + j) * 0.01));
  const stream = 'model-s';
  const join6 = keys.map((key, i) =>
    joinRound({ key, api: apis[i % 2]!, stream, round: 1, config, values: values[i]!, shareWaitMs: 3_000, timeoutMs: i === 5 ? 1 : 60_000 }),
  );
  const sum = (await coordinateRound({ key: coordKey, api: apis[0]!, stream, round: 1, config, expectedMembers: 6, keysWaitMs: 20_000, maskWaitMs: 6_000, timeoutMs: 90_000 })) as Record<string, unknown> & { status: string; survivors: { author: string }[]; digest: string };
  const joined = await Promise.all(join6);
  assert.equal(sum.status, 'complete', JSON.stringify(sum).slice(0, 400));
  assert.equal(joined[5]!.done, false, 'member 5 dropped out after sending its keys');
  for (let i = 0; i < 5; i++) assert.equal(joined[i]!.done, true, `member ${i} answered the close`);
  for (const k of keys.slice(0, 5)) assert.equal(statSync(statePath(k, stream, 1)).mode & 0o777, 0o600, `${k}: its round secrets are 0600`);

  await waitFor(() => nodes[0]!.log.digest() === nodes[1]!.log.digest(), 20_000);
  const read = async (i: number, q: string) => fetch(`${apis[i]!.url}${q}`).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const answers = await Promise.all([0, 1, 0].map((i) => read(i, `/v1/aggregates/secagg?stream=${stream}&round=1&rule=sum`)));
  for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
  assert.equal(answers[0]!.body.digest, answers[1]!.body.digest, 'both nodes derive the same aggregate bytes');
  assert.equal(answers[0]!.body.digest, answers[2]!.body.digest, 'a read changes nothing (no budget, nothing charged)');

  const survivors = (answers[0]!.body.survivors as { author: string }[]).map((s) => s.author);
  const plain = new Int32Array(D);
  const memberKeys = keys.map((k) => toHex(loadKeyFile(k).signer.publicKey));
  for (const [i, a] of memberKeys.entries()) {
    if (!survivors.includes(a)) continue;
    const q = fixedPointInput(values[i]!, config);
    for (let j = 0; j < D; j++) plain[j] = (plain[j]! + q[j]!) | 0;
  }
  assert.equal(survivors.length, 5, 'five survivors');
  assert.deepEqual(Buffer.from(answers[0]!.body.sumInt32Base64 as string, 'base64'), Buffer.from(plain.buffer), 'the secure sum is the plain fixed-point sum of the survivors, byte for byte');

  for (const rule of ['median', 'multi-krum']) {
    const bad = await read(0, `/v1/aggregates/delta?stream=${stream}&round=1&rule=${rule}`);
    assert.equal(bad.status, 400, `${rule} on a masked round`);
    assert.equal((bad.body.error as { code: string }).code, 'masked-round', `${rule}: a typed refusal`);
  }
  const robust = await read(0, `/v1/aggregates/secagg?stream=${stream}&round=1&rule=trimmed-mean`);
  assert.equal((robust.body.error as { code: string }).code, 'masked-round', 'robust rules are refused on the secure-sum route too');
  const none = await read(1, `/v1/aggregates/secagg?stream=${stream}&round=2`);
  assert.equal(none.status, 409, 'a round with nothing is 409');
  assert.equal((none.body.error as { code: string; details?: { reason: string } }).code, 'secagg-incomplete');
});

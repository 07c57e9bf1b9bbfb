import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { KIND_DELTA, deltaKind, f32Delta } from '../../crdt/index.js';
import { submitDelta } from '../../src/cli/delta.js';
import { CsprngGaussian, privatize } from '../../src/contributor/private-delta.js';
import { ConfigError } from '../../src/errors.js';
import { generateKeyFile } from '../../src/keys.js';
import { rawSignedUpdate, signerFor } from '../helpers/fixtures.js';
import { nodeForTest } from '../helpers/cluster.js';

const D = 2_000;

test('local DP at the contributor: clipped and noised from the CSPRNG, declared in the op, charged to its own budget; the node adds nothing', async (t) => {
  const { node, dir } = await nodeForTest(t, 'private-delta', { kernelBackend: 'cpu' });
  const api = { url: node.apiUrl! };
  const values = Float32Array.from({ length: D }, (_, i) => Math.sin(i) * 10); // norm far above the clip
  const privacy = { clipNorm: 1, noiseMultiplier: 0.5 };
  const keys = ['c1', 'c2'].map((n) => join(dir, `${n}.key`));
  for (const k of keys) generateKeyFile(k);
  const budget = { epsilon: 30, delta: 1e-6 };
  for (const k of keys) {
    const r = await submitDelta({ key: k, api, stream: 'model-p', round: 1, values, privacy, sampleWeight: 1, ...budget });
    assert.equal(r.slices, 1, `${k}: one slice`);
    assert.ok(r.clipFactor < 1, `${k}: the vector was clipped (factor ${r.clipFactor})`);
    assert.equal(statSync(`${k}.privacy.json`).mode & 0o777, 0o600, `${k}: its ledger is beside the key, 0600`);
  }
  const agg = (await (await fetch(`${api.url}/v1/aggregates/delta?stream=model-p&round=1&rule=mean`)).json()) as { inputs: { privacy: unknown }[] };
  assert.equal(agg.inputs.length, 2, 'both private deltas count');
  for (const i of agg.inputs) assert.deepEqual(i.privacy, privacy, 'each input shows the clip and noise its contributor declared');

  // The contributor's budget: four releases at z = 0.5 fit in epsilon 30 (zCDP), the fifth does not.
  for (let round = 2; round <= 4; round++) await submitDelta({ key: keys[0]!, api, stream: 'model-p', round, values, privacy, sampleWeight: 1, ...budget });
  const before = node.log.size;
  await assert.rejects(submitDelta({ key: keys[0]!, api, stream: 'model-p', round: 5, values, privacy, sampleWeight: 1, ...budget }), (e: unknown) => e instanceof ConfigError && /budget/.test(e.message), 'the fifth release is refused for the budget');
  assert.equal(node.log.size, before, 'and nothing was signed or sent');
  const other = await submitDelta({ key: keys[0]!, api, stream: 'model-q', round: 1, values, privacy, sampleWeight: 1, ...budget });
  assert.ok(other.epsilonSpent > 0, 'another stream has its own budget');
});

test('the old attack fails: nothing public reproduces a contributor\'s noise, and the noise has the declared scale', () => {
  const zero = new Float32Array(50_000);
  const privacy = { clipNorm: 2, noiseMultiplier: 0.75 };
  const a = privatize(zero, privacy).values;
  const b = privatize(zero, privacy).values; // same inputs, same public values (stream, round, clip, z)
  let same = 0;
  let dot = 0;
  let sq = 0;
  for (let i = 0; i < zero.length; i++) {
    if (a[i] === b[i]) same++;
    dot += a[i]! * b[i]!;
    sq += a[i]! * a[i]!;
  }
  assert.ok(same < 5, `two releases with identical public inputs share ${same} of ${zero.length} noise values`);
  assert.ok(Math.abs(dot / sq) < 0.03, `and are uncorrelated (${(dot / sq).toFixed(4)})`);
  const std = Math.sqrt(sq / zero.length);
  const want = privacy.noiseMultiplier * privacy.clipNorm;
  assert.ok(Math.abs(std - want) / want < 0.02, `noise std ${std.toFixed(4)} is z x clip = ${want}`);
  // The arithmetic with an injected byte source is deterministic (tests only; the default is the CSPRNG).
  const fixed = () => new CsprngGaussian((n) => new Uint8Array(n).fill(0x5a));
  assert.deepEqual(privatize(zero.subarray(0, 8), privacy, fixed()).values, privatize(zero.subarray(0, 8), privacy, fixed()).values, 'same bytes, same draws');
});

test('a delta whose values exceed its declared clip (plus the noise bound) is rejected: clip-exceeded', async (t) => {
  const { node } = await nodeForTest(t, 'clip-exceeded');
  const big = Float32Array.from({ length: 100 }, () => 1); // norm 10
  // Encoded with a generous clip (the encoder refuses what the decoder would), then the declared
  // clip is rewritten in the payload's trailer, as a dishonest contributor would, and signed.
  const mk = (clipNorm: number, noiseMultiplier: number) => {
    const payload = deltaKind.encode({ ...f32Delta({ stream: 's', round: 1, dimension: 100, offset: 0, sampleWeight: 1 }, big), privacy: { clipNorm: 1e6, noiseMultiplier } });
    new DataView(payload.buffer, payload.byteOffset + payload.length - 16, 8).setFloat64(0, clipNorm, true);
    return rawSignedUpdate(signerFor(`clip-${clipNorm}-${noiseMultiplier}`), { seq: 1, deps: [], ops: [{ kind: KIND_DELTA, payload }] });
  };
  const post = (bytes: Uint8Array) => fetch(`${node.apiUrl}/v1/updates`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  const refused = await post(mk(1, 0));
  assert.equal(refused.status, 422, 'norm 10 with clip 1 and no noise is refused');
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'clip-exceeded', 'with the typed code');
  const ok = await post(mk(10, 0));
  assert.equal(ok.status, 200, `norm 10 within clip 10 is accepted: ${await ok.text()}`);
  assert.equal((await post(mk(1, 0.6))).status, 200, 'and norm 10 within clip 1 plus the noise bound of z = 0.6 (1 + 0.6 x (sqrt(100) + 8) = 11.8) is accepted');
  assert.equal((await post(mk(1, 0.4))).status, 422, 'but not within that of z = 0.4 (8.2)');
});

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { KIND_DELTA, f32Delta, type OpInput } from '../../crdt/index.js';
import type { MurmurNode } from '../../src/node.js';
import { startNode, tempDataDir, waitFor } from '../helpers/cluster.js';
import { attest, authorFor } from '../helpers/fixtures.js';
import { Prng } from '../helpers/prng.js';

async function get(node: MurmurNode, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.apiUrl}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function deltaOp(stream: string, round: number, values: Float32Array, weight: number): OpInput {
  return { kind: KIND_DELTA, body: f32Delta({ stream, round, dimension: values.length, offset: 0, sampleWeight: weight }, values) };
}

test('two nodes (CPU and auto backend) serve identical feed and delta aggregates with provenance', async () => {
  const dirs = [tempDataDir('agg-0'), tempDataDir('agg-1')];
  const a = await startNode(dirs[0]!, { kernelBackend: 'cpu' });
  const b = await startNode(dirs[1]!, { kernelBackend: 'auto', bootstrap: [a.network.multiaddrs()[0]!] });
  try {
    const rng = new Prng(77);
    // The original oracle demo: 7 oracles, 2 of them pushing prices 20% high.
    for (let i = 0; i < 7; i++) {
      const price = Math.round(2500_00 * (i >= 5 ? 1.2 : 1) + rng.int(200) - 100);
      const u = authorFor(`oracle-${i}`).next([attest('ETH/USD', price, 1_000 + i, { confidence: 80 })], 1_000);
      assert.equal((await a.submit(u.bytes)).outcome.status, 'accepted', `oracle ${i} accepted`);
    }
    const base = Float32Array.from({ length: 1000 }, () => rng.next() - 0.5);
    for (let i = 0; i < 6; i++) {
      const v = i === 5 ? base.map((x) => x * -40) : base.map((x) => x + (rng.next() - 0.5) * 0.01);
      const u = authorFor(`trainer-${i}`).next([deltaOp('model-a', 3, v, 10 + i)], 2_000);
      assert.equal((await a.submit(u.bytes)).outcome.status, 'accepted', `trainer ${i} accepted`);
    }
    assert.ok(await waitFor(() => b.log.digest() === a.log.digest(), 15_000), 'both nodes hold the same updates');

    const feedPath = '/v1/aggregates/feed?feed=ETH/USD';
    const [fa, fb] = [await get(a, feedPath), await get(b, feedPath)];
    assert.equal(fa.status, 200, JSON.stringify(fa.body));
    assert.equal(fa.body.digest, fb.body.digest, 'same feed aggregate digest on both nodes');
    assert.equal(fa.body.backend, 'cpu');
    assert.ok(['cpu', 'webgpu'].includes(fb.body.backend as string), `node b names its backend (${fb.body.backend})`);
    const inputs = fa.body.inputs as { value: string; outlier: boolean; updateId: string }[];
    assert.equal(inputs.length, 7, 'every oracle counted, with its update id');
    for (const i of inputs) assert.equal(i.outlier, Number(i.value) > 2800, `oracle at ${i.value}: flagged exactly when it lies 20% high`);
    assert.ok(Math.abs(Number(fa.body.price) - 2500) < 5, `the price stays with the honest oracles: ${fa.body.price}`);

    for (const rule of ['mean', 'median', 'trimmed-mean&trim=0.2', 'multi-krum&f=1']) {
      const path = `/v1/aggregates/delta?stream=model-a&round=3&rule=${rule}&clip=100`;
      const [da, db] = [await get(a, path), await get(b, path)];
      assert.equal(da.status, 200, `${rule}: ${JSON.stringify(da.body)}`);
      assert.equal(da.body.digest, db.body.digest, `${rule}: same digest on both nodes`);
      assert.equal(da.body.valuesF32Base64, db.body.valuesF32Base64, `${rule}: same bytes on both nodes`);
    }
    const krum = (await get(a, '/v1/aggregates/delta?stream=model-a&round=3&rule=multi-krum&f=1')).body;
    const selected = (krum.inputs as { selected: boolean; weight: number }[]).map((i) => i.selected);
    assert.equal(selected.filter((s) => !s).length, 1, 'Multi-Krum leaves exactly one delta out');
    const poisoner = (krum.inputs as { author: string; selected: boolean }[]).find((i) => !i.selected)!;
    assert.equal(poisoner.author, authorFor('trainer-5').key, 'the left-out delta is the sign-flipped one');

    // Node-side noise is gone: a read never adds noise, so it can never spend a budget.
    const noisy = await get(a, '/v1/aggregates/delta?stream=model-a&round=3&rule=mean&clip=1&sigma=2');
    assert.equal(noisy.status, 400, JSON.stringify(noisy.body));
    assert.equal((noisy.body.error as { code: string }).code, 'node-noise-removed', 'sigma on a read is refused with a typed code');

    const bad: [string, number, string][] = [
      ['/v1/aggregates/feed', 400, 'bad-request'],
      ['/v1/aggregates/delta?stream=model-a&round=x', 400, 'bad-request'],
      ['/v1/aggregates/delta?stream=model-a&round=3&rule=avg', 400, 'bad-request'],
      ['/v1/aggregates/delta?stream=model-a&round=3&rule=mean&sigma=1', 400, 'node-noise-removed'],
      ['/v1/aggregates/delta?stream=model-a&round=3&rule=multi-krum&f=2', 400, 'bad-parameter'],
      ['/v1/aggregates/delta?stream=nothing&round=1', 422, 'bad-shape'],
    ];
    for (const [path, status, code] of bad) {
      const r = await get(a, path);
      assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal((r.body.error as { code: string }).code, code, path);
    }
    const metrics = await (await fetch(`${a.apiUrl}/metrics`)).text();
    assert.match(metrics, /murmur_kernel_runs_total\{backend="cpu"\} [1-9]/);
  } finally {
    await Promise.allSettled([a.stop(), b.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

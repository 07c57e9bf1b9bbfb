import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIND_AUDIT } from '../../crdt/index.js';
import { renderReport } from '../../simulations/report/html.js';
import { Prng } from '../../simulations/rng.js';
import { Contributor } from '../../simulations/roles/contributor.js';
import { runScenario } from '../../simulations/runner.js';
import { parseScenario, partitionWindows, ScenarioError } from '../../simulations/scenario.js';
import { SimNodes, topologyEdges } from '../../simulations/sim-nodes.js';
import { evaluate } from '../../simulations/summary.js';
import { PriceWalk } from '../../simulations/truth.js';
import { waitFor } from '../helpers/cluster.js';

const BASE = { name: 't', nodes: 3, durationMs: 1000 };

test('scenario errors name the field and what was expected', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...BASE, nodes: 1 }, 'scenario.nodes'],
    [{ ...BASE, nodes: 500 }, 'scenario.nodes'],
    [{ ...BASE, topology: { kind: 'mesh' } }, 'topology.kind'],
    [{ ...BASE, link: { loss: 1 } }, 'link.loss'],
    [{ ...BASE, partitions: [{ atMs: 500, healMs: 400, groups: 'halves' }] }, 'partitions[0].healMs'],
    [{ ...BASE, partitions: [{ atMs: 100, healMs: 400, groups: [[0, 9], [1]] }] }, 'partitions[0].groups[0][1]'],
    [{ ...BASE, churn: [{ node: 0, offAtMs: 10 }] }, 'churn[0]'],
    [{ ...BASE, roles: [{ role: 'wizard', nodes: [0] }] }, 'roles[0].role'],
    [{ ...BASE, roles: [{ role: 'oracle', nodes: [0] }] }, 'market'],
    [{ ...BASE, roles: [{ role: 'poisoner', nodes: [0], mode: 'x' }], learning: {} }, 'roles[0].mode'],
    [{ ...BASE, criteria: [{ metric: 'converged' }] }, 'criteria[0]'],
  ];
  for (const [input, field] of cases) {
    assert.throws(() => parseScenario(input), (e: unknown) => e instanceof ScenarioError && e.field === field, `field ${field} is named for ${JSON.stringify(input)}`);
  }
});

test('same seed, same scenario events: topology, keys, prices and partition windows', () => {
  const s = parseScenario({ ...BASE, nodes: 20, durationMs: 60_000, topology: { kind: 'random', degree: 4 }, partitions: [{ atMs: 1000, healMs: 3000, groups: 'halves', everyMs: 10_000, repeat: 3 }] });
  for (const seed of [1, 2, 99]) {
    const a = new Prng(seed);
    const b = new Prng(seed);
    assert.deepEqual(topologyEdges(s.topology, 20, a.fork('topology')), topologyEdges(s.topology, 20, b.fork('topology')), `seed ${seed}: same edges`);
    assert.equal(new Contributor('x', a).key, new Contributor('x', b).key, `seed ${seed}: same keys`);
    const spec = { feeds: ['A'], intervalMs: 100, noise: 0, volatility: 0.01, startPrice: 10, windowMs: 100 };
    assert.equal(new PriceWalk(spec, a).price(0, 50), new PriceWalk(spec, b).price(0, 50), `seed ${seed}: same price path`);
  }
  assert.deepEqual(partitionWindows(s).map((w) => [w.atMs, w.healMs]), [[1000, 3000], [11_000, 13_000], [21_000, 23_000]], 'repeats expand');
  const edges = topologyEdges({ kind: 'random', degree: 4 }, 50, new Prng(3));
  const reach = new Set([0]);
  for (let k = 0; k < 50; k++) {
    for (const [x, y] of edges) {
      if (reach.has(x) || reach.has(y)) {
        reach.add(x);
        reach.add(y);
      }
    }
  }
  assert.equal(reach.size, 50, 'a random topology is connected');
  assert.equal(edges.length, 100, 'mean degree 4 on 50 nodes is 100 edges');
});

test('criteria: a missing or null metric fails, booleans compare as 0/1', () => {
  const r = evaluate([{ metric: 'a', max: 5 }, { metric: 'b', min: 1 }, { metric: 'c', max: 1 }, { metric: 'd', min: 0 }], { a: 5, b: true, c: null });
  assert.deepEqual(r.map((c) => c.pass), [true, true, false, false], 'verdicts');
});

test('a partition closes connections across groups and refuses redials; heal reconnects and sync merges', async (t) => {
  const s = parseScenario({ ...BASE, nodes: 4, reconnectMaxBackoffMs: 500 });
  const sim = await SimNodes.create(s, new Prng(5), { authorities: [], onStarted: () => undefined, onGossipDrop: () => undefined });
  t.after(() => sim.close());
  for (let i = 0; i < 4; i++) await sim.start(i);
  const peers = (i: number): number[] => sim.nodes[i]!.network.libp2p.getConnections().map((c) => sim.index(c.remotePeer.toString())!).sort();
  assert.ok(await waitFor(() => [0, 1, 2, 3].every((i) => peers(i).length === 3), 5_000), 'full mesh up');
  await sim.partition([[0, 1], [2, 3]]);
  await new Promise((r) => setTimeout(r, 1_000));
  assert.deepEqual([0, 1, 2, 3].map(peers), [[1], [0], [3], [2]], 'only same-group connections survive the partition and its redials');
  const rng = new Prng(6);
  const a = new Contributor('a', rng);
  const b = new Contributor('b', rng);
  const op = [{ kind: KIND_AUDIT, body: { eventType: 'x', subject: 'y', details: '', refs: [] } }];
  assert.ok(await a.submit(sim.nodes[0]!, op), 'accepted on side A');
  assert.ok(await b.submit(sim.nodes[3]!, op), 'accepted on side B');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sim.nodes[2]!.log.size, 1, 'side B does not see side A during the partition');
  sim.heal();
  assert.ok(await waitFor(() => sim.nodes.every((n) => n!.log.size === 2), 10_000), `all hold both after heal: ${sim.nodes.map((n) => n!.log.size)}`);
});

test('the CLI exits 2 on a bad scenario, 1 when a criterion fails, and writes JSON and HTML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-sim-cli-'));
  try {
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'simulations/cli.ts', ...args, '--out', dir], { encoding: 'utf8' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...BASE, nodes: 'many' }));
    const r1 = run([bad]);
    assert.equal(r1.status, 2, `bad scenario exits 2: ${r1.stderr}`);
    assert.match(r1.stderr, /scenario field scenario\.nodes/, 'names the field');
    const failing = join(dir, 'fail.json');
    writeFileSync(failing, JSON.stringify({ ...BASE, name: 'tiny', nodes: 2, durationMs: 500, settleMs: 3000, criteria: [{ metric: 'updates', min: 1 }] }));
    const r2 = run([failing, '--seed', '3']);
    assert.equal(r2.status, 1, `no updates fails min 1: ${r2.stdout}${r2.stderr}`);
    const last = JSON.parse(r2.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.equal(last.passed, false, 'last line is the JSON summary');
    const saved = JSON.parse(readFileSync(join(dir, 'tiny-3.json'), 'utf8')) as { criteria: unknown[] };
    assert.equal(saved.criteria.length, 1, 'JSON result written');
    assert.match(readFileSync(join(dir, 'tiny-3.html'), 'utf8'), /<svg/, 'HTML report with SVG charts written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a report renders without any script or external asset', async () => {
  const r = await runScenario(parseScenario({ ...BASE, nodes: 2, durationMs: 300, settleMs: 2000 }), { seed: 1 });
  const html = renderReport(r, 'test');
  assert.doesNotMatch(html, /<script|src=|href=/, 'self-contained');
});

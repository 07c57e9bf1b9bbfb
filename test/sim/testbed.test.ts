import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../simulations/scenario.js';
import { partitionHeal50 } from '../../simulations/scenarios/partition-heal-50.js';
import { leftovers, testbedUnavailable } from '../../simulations/testbed/netns.js';
import { runTestbed } from '../../simulations/testbed/runner.js';

const why = testbedUnavailable();

test('the netns testbed: real murmur processes in their own namespaces, through a partition, a kill -9 and a heal, converge and leave nothing behind', { skip: why ?? false, timeout: 180_000 }, async () => {
  const before = leftovers();
  const s = parseScenario({ ...partitionHeal50(true, 5), link: { latencyMs: 50, jitterMs: 10, loss: 0.01 } });
  const r = await runTestbed(s, { seed: 3, kill9: 1 });
  assert.equal(r.summary.testbed, 'netns');
  assert.ok(['userspace-delay-line', 'netem'].includes(String(r.summary.latency_mechanism)), 'it says how it made the latency');
  assert.equal(r.summary.converged, true, `converged: ${JSON.stringify(r.summary)}`);
  assert.equal(r.summary.nodes, 5, 'every process ran and converged');
  assert.ok(r.events.some((e) => e.kind === 'partition') && r.events.some((e) => e.kind === 'heal'), 'the partition happened');
  assert.ok(r.events.some((e) => e.detail.includes('kill -9')), 'a node was killed with SIGKILL and restarted');
  assert.deepEqual(leftovers(), before, 'no namespace or link is left behind');
});

test('the sharded simulator: the nodes spread over shard processes on loopback, through a partition and a heal, converge, split the work, and leave no process behind', { timeout: 180_000 }, async () => {
  const s = parseScenario({ ...partitionHeal50(true, 6), link: { latencyMs: 10, jitterMs: 5, loss: 0.01 } });
  const r = await runTestbed(s, { seed: 3, workers: 2 });
  assert.equal(r.summary.testbed, 'workers');
  assert.equal(r.summary.workers, 2, 'two shards');
  assert.equal(r.summary.converged, true, `converged: ${JSON.stringify(r.summary)}`);
  assert.equal(r.summary.nodes, 6, 'every node ran and converged');
  assert.ok(r.events.some((e) => e.kind === 'partition') && r.events.some((e) => e.kind === 'heal'), 'the partition happened');
  const share = Number(r.summary.shard_busy_share_max);
  assert.ok(share > 0.25 && share < 0.75, `both shards did a share of the work (busiest ${share})`);
  const { execFileSync } = await import('node:child_process');
  const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('shard-host.ts'));
  assert.deepEqual(left, [], 'no shard process is left');
  await assert.rejects(runTestbed(s, { seed: 3, workers: 2, kill9: 1 }), /--kill9/, 'kill -9 needs one process per node: refused with the reason');
  await assert.rejects(runTestbed(s, { seed: 3, workers: 7 }), /--workers/, 'more shards than nodes: refused');
});

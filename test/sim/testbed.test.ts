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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from '../../simulations/runner.js';
import { parseScenario } from '../../simulations/scenario.js';
import { BUILT_IN } from '../../simulations/scenarios/index.js';

// The short version of every built-in scenario, with its own pass criteria: real nodes over
// libp2p's in-memory transport, partitions, churn and Byzantine roles, in seconds each.
for (const [name, make] of Object.entries(BUILT_IN)) {
  test(`simulation ${name} (short) meets its pass criteria`, async () => {
    const r = await runScenario(parseScenario(make(true)), { seed: 7 });
    const failed = r.criteria.filter((c) => !c.pass).map((c) => `${c.metric}=${JSON.stringify(c.value)} (min ${c.min}, max ${c.max})`);
    assert.deepEqual(failed, [], `${name}: failed criteria`);
    assert.equal(r.summary.converged, true, `${name}: honest digests equal at the end`);
    assert.ok(r.samples.length > 0 && r.events.some((e) => e.kind === 'traffic-end'), `${name}: timeline recorded`);
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attest, authorFor } from '../helpers/fixtures.js';
import { nodeForTest } from '../helpers/cluster.js';

test('/metrics on prom-client: process metrics, the three histograms, every murmur_* family, escaped labels; promtool accepts it', async (t) => {
  const { node } = await nodeForTest(t, 'metrics', { kernelBackend: 'cpu' });
  const a = authorFor('metrics');
  for (let i = 0; i < 20; i++) assert.equal((await node.submit(a.next([attest('M/USD', 100 + i, Date.now())], Date.now()).bytes)).outcome.status, 'accepted', `update ${i}`);
  assert.equal((await fetch(`${node.apiUrl}/v1/aggregates/feed?feed=M/USD`)).status, 200, 'an aggregation, timed');
  const res = await fetch(`${node.apiUrl}/metrics`);
  assert.equal(res.status, 200, '/metrics answers');
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/, 'the exposition content type');
  const text = await res.text();
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', '# TYPE nodejs_gc_duration_seconds histogram']) {
    assert.match(text, new RegExp(`^${name}`, 'm'), `default process metric ${name}`); // GC series appear only after a GC: its TYPE line is always there
  }
  assert.match(text, /^murmur_publish_to_apply_seconds_count 20$/m, 'publish-to-apply: one observation an update');
  assert.match(text, /^murmur_publish_to_apply_seconds_bucket\{le="0.5"\} \d+$/m, 'as a histogram');
  assert.match(text, /^murmur_aggregation_seconds_count\{kind="feed"\} 1$/m, 'the aggregation was timed');
  assert.match(text, /^# TYPE murmur_sync_session_seconds histogram$/m, 'sync sessions have a histogram');
  for (const name of ['murmur_peers', 'murmur_updates', 'murmur_updates_accepted_total', 'murmur_updates_rejected_total', 'murmur_pending_updates', 'murmur_sync_sessions_total', 'murmur_gossip_verdicts_total', 'murmur_kernel_runs_total', 'murmur_retention_compacted_total', 'murmur_equivocations']) {
    assert.match(text, new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'), `${name} kept`);
  }
  assert.match(text, /^murmur_updates_accepted_total 20$/m, 'the counters read the node');
  assert.match(text, /^murmur_updates 20$/m, 'and the gauges');
  const again = await (await fetch(`${node.apiUrl}/metrics`)).text();
  assert.match(again, /^murmur_updates_accepted_total 20$/m, 'a second scrape reads the same counter (reset and re-read, never added up)');

  // Every metric docs/grafana-dashboard.json reads is in the exposition (histograms by their series).
  const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const names = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((q) => [...q.expr.matchAll(/\b((?:murmur|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!))));
  assert.ok(names.size >= 15, `the dashboard reads the metrics (${names.size})`);
  for (const name of names) assert.match(text, new RegExp(`^# TYPE ${name.replace(/_(bucket|count|sum)$/, '')} `, 'm'), `the dashboard's ${name} is exported`);

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (promtool.error !== undefined) {
    t.diagnostic(`promtool check skipped: promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it): ${promtool.error.message}`);
    return;
  }
  assert.equal(promtool.status, 0, `promtool check metrics accepts the exposition:\n${promtool.stdout}${promtool.stderr}`);
});

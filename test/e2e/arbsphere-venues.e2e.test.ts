import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ARB_SCALE } from '../../crdt/index.js';
import { centralizedOptimum, type SessionState } from '../../src/arbsphere/session.js';
import { VenueCursorFile } from '../../src/cli/venue.js';
import { generateKeyFile } from '../../src/keys.js';
import { startCluster, waitFor } from '../helpers/cluster.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const PAIR = 'toyPair:BTC-USD';
const BOOKS = [
  { name: 'A', curvature: 2, price: 100.5 },
  { name: 'B', curvature: 3, price: 101.25 },
];

function murmur(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { timeout: 120_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('two ArbSphere venues as their own `murmur venue` processes, each posting to its own node: the hedge reaches the centralized optimum and both nodes derive the same duals', async (t) => {
  const { nodes, dirs, stop } = await startCluster(2, 'arb-venues');
  t.after(stop);
  await waitFor(() => nodes.every((n) => n.network.peers().length > 0), 10_000);
  const keys = BOOKS.map((b, i) => join(dirs[i]!, `venue-${b.name}.key`));
  keys.forEach((k) => generateKeyFile(k));
  const runs = await Promise.all(
    BOOKS.map((b, i) =>
      murmur(['venue', '--key', keys[i]!, '--api', nodes[i]!.apiUrl!, '--pair', PAIR, '--name', b.name, '--curvature', String(b.curvature), '--price', String(b.price), '--rho', '2.5', `--signal=${b.price - 100.875}`, '--poll-ms', '50', '--timeout-ms', '90000']),
    ),
  );
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0, `venue ${BOOKS[i]!.name} exits 0 once converged: ${r.stdout} ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { status: string; signalsStopped: string | null };
    assert.equal(out.status, 'converged', `venue ${BOOKS[i]!.name} reports convergence`);
    assert.match(out.signalsStopped ?? '', /budget-exceeded/, `venue ${BOOKS[i]!.name}: the signals stopped at the key's budget, the plans went on`);
  }
  const read = async (i: number) => (await (await fetch(`${nodes[i]!.apiUrl}/v1/arbsphere?pair=${encodeURIComponent(PAIR)}&session=1`)).json()) as { state: SessionState; conformance: { venue: string; pass: boolean }[] };
  let views = await Promise.all([read(0), read(1)]);
  for (let end = Date.now() + 20_000; views[0]!.state.digest !== views[1]!.state.digest && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 100));
    views = await Promise.all([read(0), read(1)]);
  }
  const s = views[0]!.state;
  assert.equal(s.status, 'converged', 'the session converged');
  const x = Number(s.trajectory.at(-1)!.sizes[0]) / ARB_SCALE;
  const optimum = centralizedOptimum(BOOKS[0]!, BOOKS[1]!);
  assert.ok(Math.abs(x - optimum) / Math.abs(optimum) <= 1e-6, `venue A's hedge ${x} is the centralized optimum ${optimum} within 1e-6`);
  assert.equal(views[1]!.state.digest, s.digest, "both nodes derive the same DualVariables");
  for (const c of views[0]!.conformance) assert.equal(c.pass, true, `venue ${c.venue} passes the conformance harness`);
  assert.equal(s.ignored.length, 0, 'no op of either venue was ignored (no reused nonce, no second plan)');
  for (const k of keys) {
    const cursor = new VenueCursorFile(k, PAIR, 1);
    assert.ok(existsSync(cursor.path), `${k}: its cursor is kept beside the key`);
    assert.equal(statSync(cursor.path).mode & 0o777, 0o600, `${k}: the cursor is 0600`);
    assert.equal(cursor.load().lastIteration, s.trajectory.length, `${k}: the cursor names the last iteration planned`);
    assert.ok(existsSync(`${k}.privacy.json`), `${k}: the signals were charged to the key's own budget`);
  }
  const again = await murmur(['venue', '--key', keys[0]!, '--api', nodes[0]!.apiUrl!, '--pair', PAIR, '--name', 'A', '--curvature', '2', '--price', '100.5', '--poll-ms', '50', '--timeout-ms', '5000']);
  assert.equal(again.code, 0, `a restarted venue on a finished session signs nothing and exits: ${again.stderr}`);
  assert.equal((JSON.parse(again.stdout) as { signed: number }).signed, 0, 'nothing signed again');
});

test('murmur venue: bad flags are a typed refusal naming the flag (exit 2)', async () => {
  for (const [args, flag] of [
    [['--pair', 'p', '--name', 'A', '--curvature', '2', '--price', '1'], '--key'],
    [['--key', 'k', '--pair', 'p', '--name', 'A', '--curvature', '0', '--price', '1'], '--curvature'],
    [['--key', 'k', '--pair', 'p', '--name', 'A', '--curvature', '2', '--price', 'x'], '--price'],
    [['--key', 'k', '--pair', 'p', '--name', 'A', '--curvature', '2', '--price', '1', '--max-iterations', '0'], '--max-iterations'],
    [['--key', 'k', '--pair', 'p', '--name', 'A', '--curvature', '2', '--price', '1', '--signal', ''], '--signal'],
  ] as const) {
    const r = await murmur(['venue', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit 2 (${r.stderr})`);
    assert.match(r.stderr, new RegExp(flag), `${args.join(' ')}: the message names ${flag}`);
  }
});

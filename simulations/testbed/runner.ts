import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { MurmurNode } from '../../src/node.js';
import { generateKeyFile, loadKeyFile } from '../../src/keys.js';
import { Actors } from '../actors.js';
import { Recorder, percentile, type ErrorSample, type Sample, type TimelineEvent } from '../recorder.js';
import { Prng } from '../rng.js';
import { partitionWindows, range, type Scenario } from '../scenario.js';
import { topologyEdges } from '../sim-nodes.js';
import { evaluate, type Metric, type SimResult } from '../summary.js';
import { netnsLab, shardLab, type NodeLab } from './labs.js';
import { TestbedError, testbedUnavailable } from './netns.js';
import { RemoteNode } from './remote-node.js';

export { TESTBED_API_PORT, TESTBED_P2P_PORT } from './labs.js';

/** Roles a testbed runs: contributors that only submit through a node's API. */
export const TESTBED_ROLES = ['oracle', 'liar', 'delta', 'poisoner', 'publisher'];
/** How long a node process may take to answer its API after start. */
export const TESTBED_START_TIMEOUT_MS = 60_000;
const POLL_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));


export interface TestbedOptions {
  seed: number;
  log?: (line: string) => void;
  /** Nodes killed with SIGKILL at random times during the run (each restarted 2 s later on its store). */
  kill9?: number;
  /** The sharded simulator: the nodes spread over this many shard processes on loopback (labs.ts), not one namespaced process each. */
  workers?: number;
}

/** Shard processes by default: one per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Runs a scenario with each node as its own OS process in its own network namespace, or (with
 * `workers`) spread over shard processes on loopback (simulations/README.md, "Testbed" and
 * "Sharded simulator"), and returns the same result shape as the in-process runner.
 */
export async function runTestbed(s: Scenario, opts: TestbedOptions): Promise<SimResult> {
  const workers = opts.workers;
  if (workers === undefined) {
    const why = testbedUnavailable();
    if (why !== null) throw new TestbedError(why);
  } else {
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > s.nodes) throw new TestbedError(`--workers must be an integer in 1..${s.nodes} (the nodes), got ${workers}`);
    if ((opts.kill9 ?? 0) > 0) throw new TestbedError('--kill9 kills one node process; with --workers nodes share shard processes (use --testbed netns)');
  }
  const bad = s.roles.find((r) => !TESTBED_ROLES.includes(r.role));
  if (bad !== undefined) throw new TestbedError(`role ${bad.role} needs in-process nodes; the testbed runs ${TESTBED_ROLES.join(', ')}`);
  const log = opts.log ?? (() => undefined);
  const rng = new Prng(opts.seed);
  const n = s.nodes;
  const tag = `mm${process.pid % 10_000}`;
  const root = mkdtempSync(join(tmpdir(), 'murmur-testbed-'));
  let lab: NodeLab | null = null;
  let remotes: RemoteNode[] = [];
  const online = new Array<boolean>(n).fill(false);
  /** Every update any node accepted from a contributor: each was submitted to exactly one node. */
  const unionSize = (): number => remotes.reduce((a, r) => a + r.accepted, 0);
  let t0 = Date.now();
  const now = (): number => Date.now() - t0;
  const events: TimelineEvent[] = [];
  const event = (kind: TimelineEvent['kind'], detail: string): void => void events.push({ t: now(), kind, detail });
  try {
    const peerIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = join(root, `n${i}`, 'node.key');
      mkdirSync(join(root, `n${i}`), { recursive: true, mode: 0o700 });
      generateKeyFile(key);
      peerIds.push(peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', loadKeyFile(key).seed)).toString());
    }
    lab = workers === undefined ? netnsLab(tag, n, s.link) : await shardLab(n, workers, s.link, peerIds);
    const l = lab;
    log(`${workers === undefined ? `${n} namespaces up` : `${workers} shard processes for ${n} nodes`}; latency by ${l.mechanism.latency}, loss by ${l.mechanism.loss}`);
    remotes = range(0, n).map((i) => new RemoteNode(`http://${l.apiHost(i)}:${l.apiPort(i)}`));
    const actors = new Actors(s, { rng, recorder: new Recorder(n), node: (i) => (online[i] ? (remotes[i] as unknown as MurmurNode) : null), honestOnline: () => range(0, n).filter((i) => online[i]) });
    const edges = topologyEdges(s.topology, n, rng.fork('topology'));
    const addr = (i: number): string => l.p2pAddr(i);
    for (let i = 0; i < n; i++) {
      const config = {
        dataDir: join(root, `n${i}`),
        networkId: 'murmur-testbed',
        listen: [addr(i)],
        bootstrap: edges.filter(([a]) => a === i).map(([, b]) => `${addr(b)}/p2p/${peerIds[b]}`),
        apiHost: l.apiHost(i),
        apiPort: l.apiPort(i),
        syncIntervalMs: s.syncIntervalMs,
        reconnectMaxBackoffMs: s.reconnectMaxBackoffMs,
        registryAuthorities: [actors.authority.key],
        kernelBackend: 'cpu',
        logLevel: 'warn',
      };
      writeFileSync(join(root, `n${i}.json`), JSON.stringify(config));
    }
    const start = async (i: number): Promise<void> => {
      await l.start(i, join(root, `n${i}.json`), join(root, `n${i}.log`), opts.seed * 1000 + i);
      const deadline = Date.now() + TESTBED_START_TIMEOUT_MS;
      while (!(await remotes[i]!.poll())) {
        if (l.exited(i) || Date.now() > deadline) throw new TestbedError(`node ${i} did not start (log: ${join(root, `n${i}.log`)})`);
        await sleep(100);
      }
      online[i] = true;
    };
    const stop = async (i: number, signal: NodeJS.Signals): Promise<void> => {
      online[i] = false;
      await l.stop(i, signal);
    };
    await Promise.all(range(0, n).map((i) => start(i)));
    log(`${n} murmur nodes up (${edges.length} bootstrap links)`);
    // The scenario's clock starts once every process is up (starting them takes seconds each).
    t0 = Date.now();
    events.length = 0;
    await actors.register(remotes[0] as unknown as MurmurNode);

    const timed: { atMs: number; run: () => Promise<void> }[] = [];
    const heals: { t: number; union: number; nodes: number[] }[] = [];
    for (const w of partitionWindows(s)) {
      timed.push({ atMs: w.atMs, run: async () => (await l.partition(w.groups), event('partition', w.groups.map((g) => g.length).join(' | '))) });
      timed.push({ atMs: w.healMs, run: async () => (await l.heal(), event('heal', ''), void heals.push({ t: now(), union: unionSize(), nodes: range(0, n).filter((i) => online[i]) })) });
    }
    for (const c of s.churn) {
      timed.push({ atMs: c.offAtMs, run: async () => (event('offline', `node ${c.node}`), await stop(c.node, 'SIGTERM')) });
      if (c.onAtMs !== undefined) timed.push({ atMs: c.onAtMs, run: async () => (await start(c.node), event('online', `node ${c.node}`)) });
    }
    const killRng = rng.fork('kill9');
    for (let k = 0; k < (opts.kill9 ?? 0); k++) {
      const i = killRng.int(n);
      const at = Math.floor(killRng.next() * Math.max(1, s.durationMs - 3_000));
      timed.push({ atMs: at, run: async () => (event('offline', `node ${i} (kill -9)`), await stop(i, 'SIGKILL')) });
      timed.push({ atMs: at + 2_000, run: async () => (!online[i] ? (await start(i), event('online', `node ${i}`)) : undefined) });
    }
    timed.sort((a, b) => a.atMs - b.atMs);

    const samples: Sample[] = [];
    const errors: ErrorSample[] = [];
    const firstHeld = heals.map(() => new Map<number, number>()); // heal -> node -> time
    const pollAll = async (): Promise<void> => {
      await Promise.all(range(0, n).map((i) => (online[i] ? remotes[i]!.poll() : Promise.resolve(false))));
      const union = unionSize();
      samples.push({ t: now(), missing: remotes.map((r, i) => (online[i] ? union - r.size : null)), pendingMax: 0, rssMb: process.memoryUsage().rss / 2 ** 20 });
      heals.forEach((h, k) => {
        const held = (firstHeld[k] ??= new Map());
        for (const i of h.nodes) if (!held.has(i) && online[i] && remotes[i]!.size >= h.union) held.set(i, now() - h.t);
      });
    };
    const sampleErrors = async (): Promise<void> => {
      const m = s.market;
      const truth = actors.truthAt(Date.now());
      if (m === undefined || truth === null) return;
      for (const i of range(0, n).filter((j) => online[j]).slice(0, s.errorNodes)) {
        const t = Date.now();
        let total = 0;
        let count = 0;
        for (const [f, feed] of m.feeds.entries()) {
          const a = await remotes[i]!.get<{ price: string | null }>(`/v1/aggregates/feed?feed=${encodeURIComponent(feed)}&from=${t - m.windowMs}&to=${t}`).catch(() => null);
          if (a === null || a.price === null) continue;
          total += Math.abs(Number(a.price) - truth.prices[f]!) / truth.prices[f]!;
          count++;
        }
        if (count > 0) errors.push({ t: now(), node: i, kind: 'feed', rule: 'pyth', error: total / count });
      }
    };
    actors.start();
    let nextError = 0;
    while (now() < s.durationMs) {
      while (timed.length > 0 && timed[0]!.atMs <= now()) await timed.shift()!.run();
      await pollAll();
      if (now() >= nextError) {
        nextError = now() + Math.max(1_000, s.sampleMs);
        await sampleErrors();
      }
      await sleep(POLL_MS);
    }
    actors.stop();
    event('traffic-end', '');
    await l.heal();
    for (const i of range(0, n)) if (!online[i]) await start(i);
    const settleStart = Date.now();
    let settled = false;
    while (Date.now() - settleStart < s.settleMs) {
      await pollAll();
      if (remotes.every((r) => r.digest === remotes[0]!.digest && r.size === remotes[0]!.size)) {
        settled = true;
        break;
      }
      await sleep(POLL_MS);
    }
    const settleMs = Date.now() - settleStart;
    log(settled ? `converged ${settleMs} ms after traffic stopped` : `not converged ${s.settleMs} ms after traffic stopped`);
    const healTimes = heals.flatMap((h, k) => h.nodes.map((i) => firstHeld[k]?.get(i) ?? Infinity)).sort((a, b) => a - b);
    const majority = remotes.map((r) => r.digest).sort().find((d, _, all) => all.filter((x) => x === d).length > n / 2) ?? null;
    const pyth = errors.filter((e) => e.t >= (s.market?.windowMs ?? 0)).map((e) => e.error);
    const fin = (x: number): number | null => (Number.isFinite(x) ? Math.round(x) : null);
    const summary: Record<string, Metric> = {
      scenario: s.name,
      seed: opts.seed,
      testbed: l.kind,
      workers: workers ?? n,
      ...shardBusy(await l.busyMs()),
      latency_mechanism: l.mechanism.latency,
      loss_mechanism: l.mechanism.loss,
      link_latency_ms: s.link.latencyMs,
      link_jitter_ms: s.link.jitterMs,
      link_loss: s.link.loss,
      nodes_configured: n,
      nodes: remotes.filter((r) => majority !== null && r.digest === majority).length,
      updates: unionSize(),
      converged: settled,
      settle_ms: settleMs,
      final_digest: remotes[0]!.digest,
      heals: heals.length,
      converge_ms_p50: fin(percentile(healTimes, 50)),
      converge_ms_p99: fin(percentile(healTimes, 99)),
      converge_ms_max: fin(healTimes.length === 0 ? NaN : healTimes.at(-1)!),
      feed_error_pyth_mean: pyth.length === 0 ? null : pyth.reduce((a, b) => a + b, 0) / pyth.length,
      feed_error_pyth_max: pyth.length === 0 ? null : Math.max(...pyth),
      latency_samples: 0,
      latency_ms_p50: null,
      latency_ms_p99: null,
    };
    const criteria = evaluate(s.criteria, summary);
    return {
      scenario: s,
      seed: opts.seed,
      passed: criteria.every((c) => c.pass),
      summary,
      criteria,
      events,
      samples,
      errors,
      heals: heals.map((h, k) => ({ t: h.t, convergeMs: range(0, n).map((i) => fin(firstHeld[k]?.get(i) ?? NaN)) })),
      latency: { edgesMs: [], counts: [] },
      secagg: [],
    };
  } finally {
    await lab?.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The shards' main-thread busy time: total, the busiest, and their ratio (1 = all work on one shard; 1/N = perfectly even). */
function shardBusy(busy: number[]): Record<string, Metric> {
  if (busy.length === 0) return {};
  const total = busy.reduce((a, b) => a + b, 0);
  const max = Math.max(...busy);
  return { shard_busy_ms_total: Math.round(total), shard_busy_ms_max: Math.round(max), shard_busy_share_max: total > 0 ? Number((max / total).toFixed(3)) : null };
}

/**
 * Scaling from 1 to N workers on the same scenario and seed: the speedup is the busy time of the
 * one shard that ran everything over the busiest shard's of N (the critical path), and the
 * efficiency that speedup over N (1: N shards each did a 1/N share and sharding cost nothing).
 */
export function scalingOf(one: Record<string, Metric>, many: Record<string, Metric>, workers: number): Record<string, Metric> {
  const t1 = one.shard_busy_ms_total;
  const tn = many.shard_busy_ms_max;
  if (typeof t1 !== 'number' || typeof tn !== 'number' || tn <= 0) return { scaling_speedup: null, scaling_efficiency: null };
  return { scaling_busy_ms_1: t1, scaling_speedup: Number((t1 / tn).toFixed(3)), scaling_efficiency: Number((t1 / tn / workers).toFixed(3)), scaling_converge_ms_p99_1: one.converge_ms_p99 ?? null };
}

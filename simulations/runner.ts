import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Actors } from './actors.js';
import { ErrorSampler } from './error-sampler.js';
import { Recorder } from './recorder.js';
import { Prng } from './rng.js';
import { BYZANTINE_ROLES, partitionWindows, range, type Scenario } from './scenario.js';
import { SimNodes } from './sim-nodes.js';
import { makeWithholder } from './roles/byzantine.js';
import { summarize, type SimResult } from './summary.js';
import { judgeArbSphere } from './roles/arbsphere-judge.js';

/** How often the settle phase checks for convergence. */
export const SETTLE_POLL_MS = 50;
/** Aggregate errors are sampled at most this often (they run the kernels on each sampled node). */
export const ERROR_SAMPLE_MIN_MS = 1_000;

export interface RunOptions {
  seed: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

interface TimedEvent {
  atMs: number;
  run: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Runs one scenario with real murmur nodes in this process: starts them, arms partitions, churn
 * and roles, samples what happens, stops traffic at `durationMs`, waits for convergence (at most
 * `settleMs`), and returns the measured result with each pass criterion's verdict.
 */
export async function runScenario(s: Scenario, opts: RunOptions): Promise<SimResult> {
  const log = opts.log ?? (() => undefined);
  const rng = new Prng(opts.seed);
  const recorder = new Recorder(s.nodes);
  const byzantine = new Set(s.roles.filter((r) => (BYZANTINE_ROLES as readonly string[]).includes(r.role)).flatMap((r) => r.nodes));
  const honest = range(0, s.nodes).filter((i) => !byzantine.has(i));
  const withholders = new Set(s.roles.filter((r) => r.role === 'withholder').flatMap((r) => r.nodes));
  let pendingPeak = { count: 0, bytes: 0 };
  const ctx = {
    rng,
    recorder,
    node: (i: number) => sim.nodes[i] ?? null,
    honestOnline: () => honest.filter((i) => sim.nodes[i] !== null),
  };
  const actors = new Actors(s, ctx);
  const sim: SimNodes = await SimNodes.create(s, rng, {
    authorities: [actors.authority.key],
    onStarted: (i, node) => {
      if (withholders.has(i)) makeWithholder(node);
      if (!byzantine.has(i)) recorder.attach(i, node);
    },
    onGossipDrop: () => recorder.gossipDropped++,
  });
  const notePending = (i: number): void => {
    const p = sim.nodes[i]?.log.pendingPeak;
    if (p !== undefined) pendingPeak = { count: Math.max(pendingPeak.count, p.count), bytes: Math.max(pendingPeak.bytes, p.bytes) };
  };
  const rssBefore = process.memoryUsage().rss;
  // Event-loop delay says whether this machine kept up: all nodes share one JS thread.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let rssPeak = rssBefore;
  const offline = new Map<number, number>(); // node -> union size when it went offline
  const onlineAt = new Map<number, { t: number; union: number }[]>();
  const heals: { t: number; union: number; nodes: number[] }[] = [];
  try {
    for (let i = 0; i < s.nodes; i++) await sim.start(i);
    log(`${s.nodes} nodes up (${sim.edgeCount} bootstrap links, ${s.transport})`);
    await actors.register(sim.nodes[honest[0]!]!);
    const goOffline = async (i: number): Promise<void> => {
      notePending(i);
      offline.set(i, recorder.unionSize);
      recorder.event('offline', `node ${i}`);
      await sim.stop(i);
    };
    const goOnline = async (i: number): Promise<void> => {
      offline.delete(i);
      await sim.start(i);
      recorder.event('online', `node ${i}`);
      onlineAt.set(i, [...(onlineAt.get(i) ?? []), { t: recorder.now(), union: recorder.unionSize }]);
    };
    const events: TimedEvent[] = [];
    for (const w of partitionWindows(s)) {
      events.push({ atMs: w.atMs, run: async () => { await sim.partition(w.groups); recorder.event('partition', w.groups.map((g) => g.length).join(' | ')); } });
      events.push({ atMs: w.healMs, run: async () => { sim.heal(); recorder.event('heal', ''); heals.push({ t: recorder.now(), union: recorder.unionSize, nodes: honest.filter((i) => sim.nodes[i] !== null) }); } });
    }
    for (const c of s.churn) {
      events.push({ atMs: c.offAtMs, run: () => goOffline(c.node) });
      if (c.onAtMs !== undefined) events.push({ atMs: c.onAtMs, run: () => goOnline(c.node) });
    }
    events.sort((a, b) => a.atMs - b.atMs);
    const sampler = new ErrorSampler(s, actors, recorder);
    const t0 = performance.now();
    const elapsed = (): number => performance.now() - t0;
    actors.start();
    let nextSample = 0;
    let nextError = 0;
    let busy = false;
    while (elapsed() < s.durationMs) {
      while (events.length > 0 && events[0]!.atMs <= elapsed()) await events.shift()!.run();
      for (const c of s.churn) {
        const since = offline.get(c.node);
        if (c.onAfterUpdates !== undefined && since !== undefined && recorder.unionSize - since >= c.onAfterUpdates) await goOnline(c.node);
      }
      if (elapsed() >= nextSample) {
        nextSample += s.sampleMs;
        takeSample();
      }
      if (elapsed() >= nextError && !busy) {
        nextError = elapsed() + Math.max(ERROR_SAMPLE_MIN_MS, s.sampleMs);
        busy = true;
        const sampled = honest.filter((i) => sim.nodes[i] !== null).slice(0, s.errorNodes);
        void (async () => {
          for (const i of sampled) {
            const node = sim.nodes[i];
            if (node !== null && node !== undefined) await sampler.sample(i, node).catch((err: unknown) => log(`error sample on node ${i} failed: ${String(err)}`));
          }
        })().finally(() => (busy = false));
      }
      await sleep(Math.min(nextSample, events[0]?.atMs ?? Infinity, s.durationMs) - elapsed());
    }
    await actors.drain();
    recorder.event('traffic-end', '');
    log(`traffic stopped after ${Math.round(elapsed())} ms: ${recorder.unionSize} updates`);
    sim.heal();
    for (const i of [...offline.keys()]) await goOnline(i);
    const settleStart = performance.now();
    let settled = false;
    while (performance.now() - settleStart < s.settleMs) {
      if (recorder.allHoldUnion(honest, (i) => sim.nodes[i]?.log.size ?? -1)) {
        settled = true;
        break;
      }
      takeSample();
      await sleep(SETTLE_POLL_MS);
    }
    const settleMs = performance.now() - settleStart;
    takeSample();
    for (let i = 0; i < s.nodes; i++) notePending(i);
    log(settled ? `converged ${Math.round(settleMs)} ms after traffic stopped` : `not converged ${s.settleMs} ms after traffic stopped`);
    loopDelay.disable();
    const loopLagMs = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6 };
    const online = honest.map((i) => sim.nodes[i]).filter((n): n is NonNullable<typeof n> => n !== null && n !== undefined);
    const secagg = actors.secagg === null ? null : { rounds: actors.secagg.evaluate(online), doubleReveals: Math.max(0, ...online.map((n) => actors.secagg!.doubleReveals(n))) };
    const rot = actors.rotation;
    const rotation =
      rot === null
        ? null
        : {
            rotations: rot.rotations,
            thiefAccepted: rot.thiefAccepted,
            revoked: rot.stolen?.revocation !== null && rot.stolen !== null,
            countedAfterRevocation: rot.countedAfterRevocation,
            samples: rot.samples,
            countedAtEnd: Math.max(0, ...online.map((n) => rot.countedPastCutoff(n))),
            identitiesAgree: online.every((n) => rot.identities(n) === rot.identities(online[0]!)),
          };
    const arbsphere = actors.arbsphere === null ? null : await judgeArbSphere(actors.arbsphere, sim, honest, [actors.authority.key]);
    return summarize({ s, seed: opts.seed, sim, recorder, actors, honest, byzantine, heals, onlineAt, settled, settleMs, pendingPeak, rssBefore, rssPeak, loopLagMs, detection: sampler.detection, secagg, rotation, arbsphere });
  } finally {
    loopDelay.disable();
    actors.stop();
    actors.secagg?.close();
    actors.arbsphere?.close();
    await sim.close();
  }

  function takeSample(): void {
    const rss = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rss);
    let pendingMax = 0;
    const missing = range(0, s.nodes).map((i) => {
      const node = sim.nodes[i];
      if (node === null || node === undefined || byzantine.has(i)) return null;
      pendingMax = Math.max(pendingMax, node.log.pendingCount);
      return recorder.unionSize - node.log.size;
    });
    recorder.samples.push({ t: recorder.now(), missing, pendingMax, rssMb: rss / 2 ** 20 });
  }
}

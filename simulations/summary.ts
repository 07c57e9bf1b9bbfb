import type { Actors } from './actors.js';
import type { Detection } from './error-sampler.js';
import { percentile, type ErrorSample, type Recorder, type Sample, type TimelineEvent } from './recorder.js';
import type { Criterion, Scenario } from './scenario.js';
import type { SimNodes } from './sim-nodes.js';
import type { SecAggRoundReport } from './roles/secagg.js';
import type { ArbSphereVerdict } from './roles/arbsphere-judge.js';

export type Metric = number | boolean | string | null;

export interface CriterionResult extends Criterion {
  value: Metric;
  pass: boolean;
}

export interface SimResult {
  scenario: Scenario;
  seed: number;
  passed: boolean;
  summary: Record<string, Metric>;
  criteria: CriterionResult[];
  events: TimelineEvent[];
  samples: Sample[];
  errors: ErrorSample[];
  heals: { t: number; convergeMs: (number | null)[] }[];
  /** Secure-aggregation rounds, as every honest node judged them (empty without secagg roles). */
  secagg: SecAggRoundReport[];
  /** ArbSphere: venue A's position and the dual per iteration, and the optimum (absent without venues). */
  arbsphere?: { trajectory: { iteration: number; size: number; u: number }[]; optimum: number };
  /** Publish-to-apply latency histogram: counts per bucket, bucket k covering [edges[k], edges[k+1]) ms. */
  latency: { edgesMs: number[]; counts: number[] };
}

export interface RunFacts {
  s: Scenario;
  seed: number;
  sim: SimNodes;
  recorder: Recorder;
  actors: Actors;
  honest: number[];
  byzantine: Set<number>;
  heals: { t: number; union: number; nodes: number[] }[];
  onlineAt: Map<number, { t: number; union: number }[]>;
  settled: boolean;
  settleMs: number;
  pendingPeak: { count: number; bytes: number };
  rssBefore: number;
  rssPeak: number;
  loopLagMs: { p50: number; p99: number };
  detection: Detection;
  secagg: { rounds: SecAggRoundReport[]; doubleReveals: number } | null;
  arbsphere: ArbSphereVerdict | null;
  rotation: { rotations: number; thiefAccepted: number; revoked: boolean; countedAfterRevocation: number; samples: number; countedAtEnd: number; identitiesAgree: boolean } | null;
}

const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
/** JSON has no Infinity: an unconverged time is reported as null (and fails any max criterion). */
const finite = (x: number): number | null => (Number.isFinite(x) ? round(x) : null);

function histogram(values: readonly number[]): SimResult['latency'] {
  const edgesMs = [0, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, Infinity];
  const counts = new Array<number>(edgesMs.length - 1).fill(0);
  for (const v of values) counts[edgesMs.findIndex((e, k) => v >= e && v < edgesMs[k + 1]!)]!++;
  return { edgesMs: edgesMs.slice(0, -1), counts };
}

function errorStats(errors: readonly ErrorSample[], kind: 'feed' | 'delta', rule: string, afterMs: number): { mean: number; max: number } | null {
  const xs = errors.filter((e) => e.kind === kind && e.rule === rule && e.t >= afterMs).map((e) => e.error);
  if (xs.length === 0) return null;
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
}

/** Evaluates criteria: a missing or null metric fails; booleans compare as 0/1. */
export function evaluate(criteria: readonly Criterion[], summary: Record<string, Metric>): CriterionResult[] {
  return criteria.map((c) => {
    const v = summary[c.metric];
    const x = typeof v === 'boolean' ? Number(v) : v;
    const pass = typeof x === 'number' && Number.isFinite(x) && (c.min === undefined || x >= c.min) && (c.max === undefined || x <= c.max);
    return { ...c, value: v ?? null, pass };
  });
}

/** Turns what a run observed into the flat summary, the criteria verdicts and the report's series. */
export function summarize(f: RunFacts): SimResult {
  const { s, recorder: rec, honest, sim } = f;
  const healRows = f.heals.map((h) => ({ t: h.t, convergeMs: honest.map((i) => (h.nodes.includes(i) ? rec.convergedAfter(i, h.union, h.t) : NaN)) }));
  const healTimes = healRows.flatMap((h) => h.convergeMs.filter((x) => !Number.isNaN(x))).sort((a, b) => a - b);
  const rejoin = [...f.onlineAt].flatMap(([i, xs]) => (honest.includes(i) ? xs.map((x) => rec.convergedAfter(i, x.union, x.t)) : []));
  const lat = [...rec.latencies].sort((a, b) => a - b);
  const digests = honest.map((i) => sim.nodes[i]?.log.digest() ?? null);
  const logs = honest.map((i) => sim.nodes[i]!.log);
  const union = Math.max(rec.unionSize, 1);
  const bytesIn = honest.reduce((a, i) => a + sim.counters[i]!.bytesIn, 0) / honest.length;
  const byzKeys = f.actors.byzantineKeys;
  const keysOf = (role: string): string[] => [...byzKeys].filter(([, r]) => r === role).map(([k]) => k);
  const equivocators = keysOf('equivocator');
  const accused = logs.map((l) => new Set(l.evidence().map((e) => e.author)));
  const foundEverywhere = equivocators.filter((k) => accused.every((a) => a.has(k))).length;
  const forgers = keysOf('forger');
  const rejected = (code: string): number => logs.reduce((a, l) => a + (l.stats.rejected[code as keyof typeof l.stats.rejected] ?? 0), 0);
  const rejectedAll = logs.reduce((a, l) => a + Object.values(l.stats.rejected).reduce((x, y) => x + (y ?? 0), 0), 0);
  // Gossip score of each Byzantine node as seen by the honest nodes connected to it.
  const byzScores = honest.flatMap((i) => [...f.byzantine].map((j) => sim.nodes[i]!.network.score(sim.peerId(j))).filter((x) => x !== 0));
  const warmup = Math.max(s.market?.windowMs ?? 0, 2 * (s.learning?.roundMs ?? 0));
  const summary: Record<string, Metric> = {
    scenario: s.name,
    seed: f.seed,
    nodes: s.nodes,
    honest_nodes: honest.length,
    byzantine_nodes: f.byzantine.size,
    updates: rec.unionSize,
    converged: f.settled && digests.every((d) => d !== null && d === digests[0]),
    settle_ms: round(f.settleMs),
    final_digest: digests[0] ?? null,
    heals: f.heals.length,
    converge_ms_p50: finite(percentile(healTimes, 50)),
    converge_ms_p99: finite(percentile(healTimes, 99)),
    converge_ms_max: finite(healTimes.length === 0 ? NaN : healTimes[healTimes.length - 1]!),
    rejoin_catchup_ms_max: finite(rejoin.length === 0 ? NaN : Math.max(...rejoin)),
    latency_ms_p50: finite(percentile(lat, 50)),
    latency_ms_p90: finite(percentile(lat, 90)),
    latency_ms_p99: finite(percentile(lat, 99)),
    latency_samples: rec.latencies.length,
    bytes_per_update_per_node: round(bytesIn / union),
    gossip_dropped: rec.gossipDropped,
    pending_peak_count: f.pendingPeak.count,
    pending_peak_bytes: f.pendingPeak.bytes,
    rss_peak_mb: round(f.rssPeak / 2 ** 20),
    rss_mb_per_node: round((f.rssPeak - f.rssBefore) / 2 ** 20 / s.nodes, 2),
    event_loop_lag_ms_p50: round(f.loopLagMs.p50),
    event_loop_lag_ms_p99: round(f.loopLagMs.p99),
    equivocators: equivocators.length,
    equivocators_found_by_all: foundEverywhere,
    forged_accepted: forgers.reduce((a, k) => a + logs.reduce((x, l) => x + l.authorHeads(k).length, 0), 0),
    rejected_updates: rejectedAll,
    rejected_bad_signature: rejected('bad-signature'),
    byzantine_score_max: byzScores.length === 0 ? null : round(Math.max(...byzScores), 2),
    byzantine_inputs_flagged: f.detection.liarInputs === 0 ? null : round(f.detection.liarFlagged / f.detection.liarInputs, 3),
    poisoners_rejected_by_krum: f.detection.poisonerInputs === 0 ? null : round(f.detection.poisonerRejected / f.detection.poisonerInputs, 3),
  };
  for (const rule of ['pyth', 'median', 'mean']) {
    const e = errorStats(rec.errors, 'feed', rule, warmup);
    summary[`feed_error_${rule}_mean`] = e === null ? null : round(e.mean, 5);
    summary[`feed_error_${rule}_max`] = e === null ? null : round(e.max, 5);
  }
  for (const rule of ['mean', 'median', 'trimmed-mean', 'multi-krum']) {
    const e = errorStats(rec.errors, 'delta', rule, warmup);
    const key = rule.replace('-', '_');
    summary[`delta_error_${key}_mean`] = e === null ? null : round(e.mean, 4);
    summary[`delta_error_${key}_max`] = e === null ? null : round(e.max, 4);
  }
  if (f.secagg !== null) {
    const rs = f.secagg.rounds;
    const complete = rs.filter((r) => r.status === 'complete');
    summary.secagg_rounds = rs.length;
    summary.secagg_rounds_complete = complete.length;
    summary.secagg_exact_fraction = complete.length === 0 || complete.some((r) => r.exact === null) ? null : round(complete.filter((r) => r.exact).length / complete.length, 3);
    summary.secagg_digests_agree = rs.every((r) => r.digestsAgree === true);
    summary.secagg_byzantine_survivors = rs.reduce((a, r) => a + r.byzantineSurvivors, 0);
    summary.secagg_failed_untyped = rs.filter((r) => r.status !== 'complete' && r.reason === null).length;
    summary.secagg_double_reveals = f.secagg.doubleReveals;
  }
  if (f.rotation !== null) {
    summary.key_rotations = f.rotation.rotations;
    summary.stolen_key_revoked = f.rotation.revoked;
    summary.stolen_updates_signed = f.rotation.thiefAccepted;
    summary.stolen_counted_after_revocation = f.rotation.countedAfterRevocation;
    summary.stolen_checks = f.rotation.samples;
    summary.stolen_counted_at_end = f.rotation.countedAtEnd;
    summary.identities_agree = f.rotation.identitiesAgree;
  }
  if (f.arbsphere !== null) {
    summary.arb_status = f.arbsphere.status;
    summary.iterations = f.arbsphere.iterations;
    summary.hedge_gap_to_optimum = f.arbsphere.gap;
    summary.nodes_agree = f.arbsphere.nodesAgree;
    summary.replay_identical = f.arbsphere.replayIdentical;
    summary.rejected_byzantine = f.arbsphere.rejectedByzantine;
    summary.rejected_untyped = f.arbsphere.rejectedUntyped;
    summary.arb_audit_events = f.arbsphere.auditEvents;
    summary.delta_merge_ms_p50 = f.arbsphere.mergeMs.p50;
    summary.delta_merge_ms_p99 = f.arbsphere.mergeMs.p99;
    summary.decisions_traced = f.arbsphere.traced;
    summary.adapters_conformant = f.arbsphere.conformant;
  }
  const criteria = evaluate(s.criteria, summary);
  return {
    scenario: s,
    seed: f.seed,
    passed: criteria.every((c) => c.pass),
    summary,
    criteria,
    events: rec.events,
    samples: rec.samples,
    errors: rec.errors,
    heals: healRows.map((h) => ({ t: h.t, convergeMs: h.convergeMs.map((x) => (Number.isNaN(x) ? null : finite(x))) })),
    latency: histogram(lat),
    secagg: f.secagg?.rounds ?? [],
    ...(f.arbsphere !== null ? { arbsphere: { trajectory: f.arbsphere.trajectory, optimum: f.arbsphere.optimum } } : {}),
  };
}

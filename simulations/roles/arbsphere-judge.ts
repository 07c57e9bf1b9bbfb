import { ARB_SCALE } from '../../crdt/index.js';
import { decisionsOf, replayStore } from '../../src/arbsphere/replay.js';
import { conformance } from '../../src/arbsphere/conformance.js';
import { ARB_PAIR } from './arbsphere.js';
import type { SimNodes } from '../sim-nodes.js';
import type { ArbSphere } from './arbsphere.js';

export interface ArbSphereVerdict {
  status: string;
  iterations: number;
  gap: number | null;
  nodesAgree: boolean;
  replayIdentical: boolean;
  rejectedByzantine: number;
  rejectedUntyped: number;
  auditEvents: number;
  /** PlanDelta merge latency (signing to the other venue's node holding it), p50 and p99 ms. */
  mergeMs: { p50: number | null; p99: number | null };
  /** Every step of the trajectory names two signed plans that every honest node holds. */
  traced: boolean;
  /** Both venues pass the conformance harness (src/arbsphere/conformance.ts) on the first honest node. */
  conformant: boolean;
  trajectory: { iteration: number; size: number; u: number }[];
  optimum: number;
}

/**
 * After the run: every honest node's derived decisions (DualVariables digest), the hedge against
 * the centralized optimum, and a replay of one honest node's store (stopped for it) against the
 * live nodes' decisions.
 */
function pct(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function judgeArbSphere(a: ArbSphere, sim: SimNodes, honest: number[], authorities: string[]): Promise<ArbSphereVerdict> {
  const live = honest.map((i) => sim.nodes[i]).filter((n): n is NonNullable<typeof n> => n !== null && n !== undefined);
  const states = live.map((n) => a.state(n));
  const first = states[0]!;
  const last = first.trajectory.at(-1);
  const size = last === undefined ? null : Number(last.sizes[0]) / ARB_SCALE;
  const byz = a.byzantineKey;
  const ignoredByz = first.ignored.filter((x) => x.author === byz).length;
  const refused = Object.values(a.refused).reduce((x, y) => x + y, 0);
  const untyped = (a.refused.error ?? 0) + (a.refused.accepted ?? 0);
  const liveDecisions = decisionsOf(live[0]!.log, live[0]!.registryView());
  const replayed = honest.at(-1)!;
  await sim.stop(replayed);
  const fromStore = await replayStore(sim.dataDir(replayed), authorities);
  await sim.start(replayed); // back from its store, for the rest of the summary
  return {
    status: first.status,
    iterations: first.trajectory.length,
    gap: size === null ? null : Math.abs(size - a.optimum) / Math.abs(a.optimum),
    nodesAgree: states.every((s) => s.digest === first.digest),
    replayIdentical: fromStore.digest === liveDecisions.digest && fromStore.corrupt === 0,
    rejectedByzantine: refused + ignoredByz,
    rejectedUntyped: untyped,
    auditEvents: liveDecisions.auditEvents,
    mergeMs: { p50: pct(a.mergeLatencies, 50), p99: pct(a.mergeLatencies, 99) },
    traced: first.trajectory.every((s) => s.inputs.every((id) => live.every((n) => n.log.has(id)))),
    conformant: first.venues.length === 2 && first.venues.every((v) => conformance(first, live[0]!.log.state.arbOps(ARB_PAIR, 1), v.venue, (x, y) => live[0]!.log.isAncestor(x, y)).pass),
    trajectory: a.trajectory,
    optimum: a.optimum,
  };
}

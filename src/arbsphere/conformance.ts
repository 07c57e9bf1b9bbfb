import { ArbType, type ArbView } from '../../crdt/index.js';
import type { SessionState } from './session.js';

export interface ConformanceCheck {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

/**
 * The conformance harness an ArbSphere adapter must pass (docs/ARBSPHERE.md): judged from the
 * adapter's own signed ops in a session and the DAG, so any node can run it on any adapter.
 *  - its Problem op counts (registered, if the pair has a Graph of Contracts; not a duplicate);
 *  - it never reuses a nonce, and none of its ops was ignored;
 *  - it signs one plan per iteration, in order, with no gap;
 *  - it solves iteration k only after seeing the other venue's plan of k - 1 (that plan is in its
 *    plan's causal past): a solve on stale inputs fails;
 *  - it stops at the session's stop.
 */
export function conformance(state: SessionState, ops: readonly ArbView[], venue: string, isAncestor: (a: string, b: string) => boolean): { venue: string; pass: boolean; checks: ConformanceCheck[] } {
  const me = state.venues.find((v) => v.venue === venue);
  const other = state.venues.find((v) => v.venue !== venue);
  const checks: ConformanceCheck[] = [];
  const add = (name: string, pass: boolean, detail: string): void => void checks.push({ name, pass, detail });
  add('problem counts', me !== undefined, me === undefined ? `no counted Problem op for venue ${venue}` : `venue ${venue} is ${me.key}`);
  if (me === undefined) return { venue, pass: false, checks };
  const mine = ops.filter((o) => o.author === me.key);
  const ignored = state.ignored.filter((x) => x.author === me.key);
  add('no op ignored', ignored.length === 0, ignored.length === 0 ? `${mine.length} ops, all counted` : `${ignored.length} ignored: ${ignored.slice(0, 16).map((x) => `${x.updateId.slice(0, 12)}: ${x.reason}`).join(', ')}`);
  const plans = mine.filter((o) => o.type === ArbType.Plan).sort((a, b) => (a.type === ArbType.Plan && b.type === ArbType.Plan ? a.iteration - b.iteration : 0));
  const iterations = plans.map((p) => (p.type === ArbType.Plan ? p.iteration : 0));
  add('one plan per iteration, in order', iterations.every((k, i) => k === i + 1), `iterations ${iterations.length === 0 ? 'none' : `1..${iterations.at(-1)}`}`);
  const stale: number[] = [];
  if (other !== undefined) {
    for (const p of plans) {
      if (p.type !== ArbType.Plan || p.iteration < 2) continue;
      const step = state.trajectory[p.iteration - 2];
      const theirs = step?.inputs[state.venues.indexOf(other)];
      if (theirs === undefined || !isAncestor(theirs, p.updateId)) stale.push(p.iteration);
    }
  }
  add('solves on the other venue\'s last plan', stale.length === 0, stale.length === 0 ? 'every plan k >= 2 has the other venue\'s plan k - 1 in its causal past' : `iterations ${stale.join(', ')} were solved without it`);
  const stopped = state.status === 'converged' || state.status === 'cap-reached';
  const after = stopped ? iterations.filter((k) => k > state.trajectory.length).length : 0;
  add('stops at the stop', after === 0, stopped ? `session ${state.status} at ${state.trajectory.length}; ${after} plans after it` : `session ${state.status}`);
  return { venue, pass: checks.every((c) => c.pass), checks };
}

import { createHash } from 'node:crypto';
import { ArbType, type ArbPlan, type ArbProblem, type ArbView, type RegistryView } from '../../crdt/index.js';

/**
 * An ArbSphere session (docs/ARBSPHERE.md): two venues hedging one pair by exchange ADMM (Boyd et
 * al. 2011, §7.3.2) with no coordinator. Each venue's local solve is its own signed PlanDelta;
 * the mean position and the scaled dual u (the shadow price of imbalance is rho u) are a pure
 * function of the session's signed ops, in integer fixed point (units of 10^-9), so every node
 * derives the same DualVariables bytes. Ops that break a rule are ignored with a typed reason.
 */

export enum ArbIgnored {
  ReplayedNonce = 'replayed-nonce',
  NotTheVenue = 'not-the-venue',
  UnknownVenue = 'unknown-venue',
  Stale = 'stale',
  AfterStop = 'after-stop',
  ContractMismatch = 'contract-mismatch',
  ExtraVenue = 'extra-venue',
  /** The pair has registered adapters (its Graph of Contracts) and this venue is not one of them. */
  UnregisteredAdapter = 'unregistered-adapter',
}

/** The schema id a registered ArbSphere adapter must declare. */
export const ARB_SCHEMA_ID = 'arbsphere-v1';

/**
 * The pair's Graph of Contracts from the registry: adapter entries `<pair>/<venue>` declaring
 * schema ARB_SCHEMA_ID, venue -> owner key. Empty when the pair registers none (then the first two
 * Problem ops name the venues).
 */
export function pairAdapters(view: RegistryView, pair: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of view.entries) {
    if (e.kind !== 'adapter' || !e.id.startsWith(`${pair}/`) || e.body.schema !== ARB_SCHEMA_ID) continue;
    out.set(e.id.slice(pair.length + 1), e.owner);
  }
  return out;
}

export interface DualStep {
  readonly iteration: number;
  /** Positions of the two venues (sorted by venue name), their mean, and the scaled dual u. */
  readonly sizes: readonly [string, string];
  readonly mean: string;
  readonly u: string;
  /** The signed PlanDeltas this step is derived from (update ids, venues sorted by name): every decision traces to its inputs. */
  readonly inputs: readonly [string, string];
}

export interface SessionState {
  readonly pair: string;
  readonly session: number;
  readonly venues: readonly { venue: string; key: string }[];
  readonly contract: { rho: number; maxIterations: number; epsilon: number } | null;
  readonly status: 'waiting' | 'running' | 'converged' | 'cap-reached' | 'contract-mismatch';
  readonly trajectory: readonly DualStep[];
  readonly ignored: readonly { updateId: string; author: string; reason: ArbIgnored }[];
  /** SHA-256 over the canonical JSON of the derived decisions (venues, contract, status, trajectory). */
  readonly digest: string;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

export function deriveSession(pair: string, session: number, opsIn: readonly ArbView[], adapters: ReadonlyMap<string, string> = new Map()): SessionState {
  const ops = [...opsIn].sort((a, b) => (a.updateId < b.updateId ? -1 : a.updateId > b.updateId ? 1 : a.index - b.index));
  const ignored: { updateId: string; author: string; reason: ArbIgnored }[] = [];
  const skip = (o: ArbView, reason: ArbIgnored): void => void ignored.push({ updateId: o.updateId, author: o.author, reason });
  const nonces = new Set<string>();
  const fresh: ArbView[] = [];
  for (const o of ops) {
    const k = `${o.author}:${o.nonce}`;
    if (nonces.has(k)) skip(o, ArbIgnored.ReplayedNonce);
    else {
      nonces.add(k);
      fresh.push(o);
    }
  }
  const problems = new Map<string, ArbView & ArbProblem>();
  for (const o of fresh) {
    if (o.type !== ArbType.Problem) continue;
    const registered = adapters.get(o.venue);
    if (adapters.size > 0 && registered === undefined) skip(o, ArbIgnored.UnregisteredAdapter);
    else if (registered !== undefined && registered !== o.author) skip(o, ArbIgnored.NotTheVenue);
    else if (problems.has(o.venue)) skip(o, ArbIgnored.Stale);
    else if (problems.size >= 2) skip(o, ArbIgnored.ExtraVenue);
    else problems.set(o.venue, o as ArbView & ArbProblem);
  }
  const venues = [...problems.values()].sort((a, b) => (a.venue < b.venue ? -1 : 1)).map((p) => ({ venue: p.venue, key: p.author }));
  const [pa, pb] = [...problems.values()];
  let contract: SessionState['contract'] = null;
  let status: SessionState['status'] = 'waiting';
  if (pa !== undefined && pb !== undefined) {
    if (pa.rho !== pb.rho || pa.maxIterations !== pb.maxIterations || pa.epsilon !== pb.epsilon) status = 'contract-mismatch';
    else {
      contract = { rho: pa.rho, maxIterations: pa.maxIterations, epsilon: pa.epsilon };
      status = 'running';
    }
  }
  const plans = new Map<string, ArbView & ArbPlan>(); // `${venue}:${iteration}`
  for (const o of fresh) {
    if (o.type !== ArbType.Plan) continue;
    const p = problems.get(o.venue);
    if (p === undefined) skip(o, ArbIgnored.UnknownVenue);
    else if (p.author !== o.author) skip(o, ArbIgnored.NotTheVenue);
    else if (plans.has(`${o.venue}:${o.iteration}`)) skip(o, ArbIgnored.Stale);
    else plans.set(`${o.venue}:${o.iteration}`, o as ArbView & ArbPlan);
  }
  const trajectory: DualStep[] = [];
  let stopAt = Infinity;
  if (contract !== null) {
    let u = 0n;
    for (let k = 1; k <= contract.maxIterations; k++) {
      const a = plans.get(`${venues[0]!.venue}:${k}`);
      const b = plans.get(`${venues[1]!.venue}:${k}`);
      if (a === undefined || b === undefined) break;
      const mean = (BigInt(a.size) + BigInt(b.size)) / 2n; // truncated toward zero: the same on every node
      u += mean;
      trajectory.push({ iteration: k, sizes: [String(a.size), String(b.size)], mean: String(mean), u: String(u), inputs: [a.updateId, b.updateId] });
      if (abs(mean) <= BigInt(contract.epsilon) || k === contract.maxIterations) {
        status = abs(mean) <= BigInt(contract.epsilon) ? 'converged' : 'cap-reached';
        stopAt = k;
        break;
      }
    }
  }
  for (const p of plans.values()) if (p.iteration > stopAt) skip(p, ArbIgnored.AfterStop);
  ignored.sort((x, y) => (x.updateId < y.updateId ? -1 : x.updateId > y.updateId ? 1 : 0));
  const decisions = { pair, session, venues, contract, status, trajectory };
  return { ...decisions, ignored, digest: createHash('sha256').update('murmur/arbsphere/decisions/v1\0').update(JSON.stringify(decisions)).digest('hex') };
}

/** The closed-form optimum of the quadratic case: venue A's position (p_B - p_A) / (a_A + a_B). */
export function centralizedOptimum(a: { curvature: number; price: number }, b: { curvature: number; price: number }): number {
  return (b.price - a.price) / (a.curvature + b.curvature);
}

import { ARB_SCALE, ArbType, type ArbPlan, type ArbProblem, type ArbSignals, type DeltaPrivacy } from '../../crdt/index.js';
import { privatize, type ContributorAccountant } from '../contributor/private-delta.js';
import type { SessionState } from './session.js';

/** Fixed-point scale of a SharedSignals value (10^-6 units). */
export const ARB_SIGNAL_SCALE = 1_000_000;

/** A venue's private book in the quadratic case: cost (curvature / 2) x^2 + price x of holding x. Never leaves the venue. */
export interface VenueBook {
  readonly curvature: number;
  readonly price: number;
}

export interface ArbContract {
  /** ADMM penalty rho in thousandths. */
  readonly rhoMilli: number;
  readonly maxIterations: number;
  /** Stop when |mean position| <= epsilon (fixed point, 10^-9 units). */
  readonly epsilon: number;
}

/** Where a venue is: the last nonce it used and the last iteration it planned (a process keeps it on disk, VenueCursorFile). */
export interface VenueCursor {
  readonly nonce: number;
  readonly lastIteration: number;
}

/**
 * One venue's adapter: it signs its LocalArbProblem (public part), then at each iteration its
 * local ADMM solve x_i = (rho (x_i - mean - u) - p_i) / (a_i + rho) from the session's derived
 * state (its own last position, the mean and the dual, all from signed ops), as a PlanDelta.
 */
export class Venue {
  private nonce: number;
  private lastIteration: number;

  constructor(
    readonly name: string,
    private readonly book: VenueBook,
    readonly pair: string,
    readonly session: number,
    readonly contract: ArbContract,
    resume: VenueCursor = { nonce: 0, lastIteration: 0 },
  ) {
    this.nonce = resume.nonce;
    this.lastIteration = resume.lastIteration;
  }

  get cursor(): VenueCursor {
    return { nonce: this.nonce, lastIteration: this.lastIteration };
  }

  nextNonce(): number {
    return ++this.nonce;
  }

  /**
   * SharedSignals of `iteration`: `raw` (price delta, correlation, borrow/liquidity, latency
   * proxy) clipped and noised here, after the release is charged to the venue's own budget (which
   * refuses it past the budget, budget-exceeded). Nothing raw leaves the venue.
   */
  signals(iteration: number, raw: readonly number[], privacy: DeltaPrivacy, accountant: ContributorAccountant): ArbSignals {
    accountant.charge(`${this.pair}:signals`, privacy);
    const noised = privatize(Float32Array.from(raw), privacy);
    const values = Array.from(noised.values, (v) => Math.round(v * ARB_SIGNAL_SCALE));
    return { type: ArbType.Signals, pair: this.pair, session: this.session, nonce: this.nextNonce(), venue: this.name, iteration, values, clipNorm: privacy.clipNorm, noiseMultiplier: privacy.noiseMultiplier };
  }

  problem(): ArbProblem {
    return { type: ArbType.Problem, pair: this.pair, session: this.session, nonce: this.nextNonce(), venue: this.name, rho: this.contract.rhoMilli, maxIterations: this.contract.maxIterations, epsilon: this.contract.epsilon, liquidityBudget: 1_000_000, latencyBudgetMs: 500 };
  }

  /** The next PlanDelta, or null (waiting for the other venue, stopped, or not started). */
  next(state: SessionState): ArbPlan | null {
    if (state.status !== 'running' || state.contract === null) return null;
    const k = state.trajectory.length;
    if (k + 1 <= this.lastIteration) return null;
    const me = state.venues.findIndex((v) => v.venue === this.name);
    if (me < 0) return null;
    const last = state.trajectory[k - 1];
    const x = last === undefined ? 0 : Number(last.sizes[me]) / ARB_SCALE;
    const mean = last === undefined ? 0 : Number(last.mean) / ARB_SCALE;
    const u = last === undefined ? 0 : Number(last.u) / ARB_SCALE;
    const rho = state.contract.rho / 1000;
    const next = (rho * (x - mean - u) - this.book.price) / (this.book.curvature + rho);
    this.lastIteration = k + 1;
    return { type: ArbType.Plan, pair: this.pair, session: this.session, nonce: this.nextNonce(), venue: this.name, iteration: k + 1, size: Math.round(next * ARB_SCALE), deltaId: `${this.name}-${this.session}-${k + 1}` };
  }
}

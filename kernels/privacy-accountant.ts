import { check, KernelError, KernelErrorCode } from './errors.js';

/**
 * Zero-concentrated DP accounting (Bun and Steinke 2016) for the Gaussian mechanism: a release
 * with L2 sensitivity S and noise sigma costs rho = S^2 / (2 sigma^2); costs add up; the spend at
 * delta is epsilon = rho + 2 sqrt(rho ln(1/delta)). A release that would take a stream past its
 * budget is refused before any noise is drawn.
 */
export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

export function epsilonOf(rho: number, delta: number): number {
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

export function checkBudget(b: PrivacyBudget, field = 'privacy'): void {
  check(Number.isFinite(b.epsilon) && b.epsilon > 0, KernelErrorCode.BadParameter, `${field}.epsilon`, 'a positive number');
  check(Number.isFinite(b.delta) && b.delta > 0 && b.delta < 1, KernelErrorCode.BadParameter, `${field}.delta`, 'a number in (0, 1)');
}

/**
 * Per-stream spend. The caller keeps it durable: `spent` entries seed a restarted accountant, and
 * `charge`'s `commit` runs before a release is recorded (a commit that throws records nothing), so
 * a node that writes the spend there never releases noise it has not accounted for.
 */
export class PrivacyAccountant {
  private readonly rho = new Map<string, number>();

  constructor(
    readonly budget: PrivacyBudget,
    spent: Iterable<readonly [string, number]> = [],
  ) {
    checkBudget(budget);
    for (const [stream, rho] of spent) {
      check(Number.isFinite(rho) && rho >= 0, KernelErrorCode.BadParameter, `spent.${stream}`, 'a finite rho >= 0');
      this.rho.set(stream, rho);
    }
  }

  /** Every stream's rho so far, sorted by stream (what a durable copy holds). */
  entries(): [string, number][] {
    return [...this.rho].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  spent(stream: string): { rho: number; epsilon: number; budget: number; delta: number } {
    const rho = this.rho.get(stream) ?? 0;
    return { rho, epsilon: epsilonOf(rho, this.budget.delta), budget: this.budget.epsilon, delta: this.budget.delta };
  }

  /**
   * Records a release, or throws budget-exceeded and records nothing. `commit` gets the stream's
   * new rho first; if it throws, nothing is recorded and the error propagates.
   */
  charge(stream: string, sensitivity: number, sigma: number, commit: (stream: string, rho: number) => void = () => undefined): { rho: number; epsilon: number } {
    check(Number.isFinite(sensitivity) && sensitivity > 0, KernelErrorCode.BadParameter, 'sensitivity', 'a positive number');
    check(Number.isFinite(sigma) && sigma > 0, KernelErrorCode.BadParameter, 'sigma', 'a positive number');
    const rho = (this.rho.get(stream) ?? 0) + (sensitivity * sensitivity) / (2 * sigma * sigma);
    const epsilon = epsilonOf(rho, this.budget.delta);
    if (epsilon > this.budget.epsilon) {
      throw new KernelError(KernelErrorCode.BudgetExceeded, stream, `this release would spend epsilon ${epsilon.toFixed(4)} of ${this.budget.epsilon} at delta ${this.budget.delta}`);
    }
    commit(stream, rho);
    this.rho.set(stream, rho);
    return { rho, epsilon };
  }
}

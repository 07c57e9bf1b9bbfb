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

export class PrivacyAccountant {
  private readonly rho = new Map<string, number>();

  constructor(readonly budget: PrivacyBudget) {
    checkBudget(budget);
  }

  spent(stream: string): { rho: number; epsilon: number; budget: number; delta: number } {
    const rho = this.rho.get(stream) ?? 0;
    return { rho, epsilon: epsilonOf(rho, this.budget.delta), budget: this.budget.epsilon, delta: this.budget.delta };
  }

  /** Records a release, or throws BUDGET_EXCEEDED and records nothing. */
  charge(stream: string, sensitivity: number, sigma: number): { rho: number; epsilon: number } {
    check(Number.isFinite(sensitivity) && sensitivity > 0, KernelErrorCode.BadParameter, 'sensitivity', 'a positive number');
    check(Number.isFinite(sigma) && sigma > 0, KernelErrorCode.BadParameter, 'sigma', 'a positive number');
    const rho = (this.rho.get(stream) ?? 0) + (sensitivity * sensitivity) / (2 * sigma * sigma);
    const epsilon = epsilonOf(rho, this.budget.delta);
    if (epsilon > this.budget.epsilon) {
      throw new KernelError(KernelErrorCode.BudgetExceeded, stream, `this release would spend epsilon ${epsilon.toFixed(4)} of ${this.budget.epsilon} at delta ${this.budget.delta}`);
    }
    this.rho.set(stream, rho);
    return { rho, epsilon };
  }
}

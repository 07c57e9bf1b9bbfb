import type { LearningSpec, MarketSpec } from './scenario.js';
import type { Prng } from './rng.js';

/** The true prices: one geometric random walk per feed, one step per market tick (seeded). */
export class PriceWalk {
  private readonly paths: number[][];
  private readonly rng: Prng;

  constructor(
    private readonly spec: MarketSpec,
    rng: Prng,
  ) {
    this.rng = rng.fork('price-walk');
    this.paths = spec.feeds.map(() => [spec.startPrice]);
  }

  price(feed: number, tick: number): number {
    const path = this.paths[feed]!;
    while (path.length <= tick) path.push(path[path.length - 1]! * Math.exp(this.spec.volatility * this.rng.gaussian()));
    return path[tick]!;
  }
}

/**
 * The shared model of the federated-learning roles: linear regression y = x·w* + noise. Each
 * producer holds its own local data, with a producer-specific feature shift (non-IID). The
 * reference model follows the honest mean gradient, which is also the ground truth each round's
 * aggregates are measured against.
 */
export class RegressionTask {
  /** Per producer: A = XᵀX and b = Xᵀy, so a gradient is (A·w − b) / n. */
  private readonly locals: { a: Float64Array; b: Float64Array }[] = [];
  private model: Float64Array;
  private readonly dim: number;

  constructor(
    private readonly spec: LearningSpec,
    producers: number,
    rng: Prng,
  ) {
    const r = rng.fork('regression');
    const d = (this.dim = spec.dimension);
    const wStar = Float64Array.from({ length: d }, () => r.gaussian());
    for (let p = 0; p < producers; p++) {
      const shift = Float64Array.from({ length: d }, () => 0.5 * r.gaussian());
      const a = new Float64Array(d * d);
      const b = new Float64Array(d);
      for (let s = 0; s < spec.samples; s++) {
        const x = Float64Array.from({ length: d }, (_, j) => shift[j]! + r.gaussian());
        let y = 0.1 * r.gaussian();
        for (let j = 0; j < d; j++) y += x[j]! * wStar[j]!;
        for (let i = 0; i < d; i++) {
          b[i]! += x[i]! * y;
          for (let j = 0; j < d; j++) a[i * d + j]! += x[i]! * x[j]!;
        }
      }
      this.locals.push({ a, b });
    }
    this.model = new Float64Array(d);
  }

  /** Every producer's gradient at the current model. */
  gradients(): Float64Array[] {
    const d = this.dim;
    return this.locals.map(({ a, b }) => {
      const g = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = -b[i]!;
        for (let j = 0; j < d; j++) s += a[i * d + j]! * this.model[j]!;
        g[i] = s / this.spec.samples;
      }
      return g;
    });
  }

  /** One step of the reference model along the honest mean gradient. */
  step(honestMean: Float64Array): void {
    this.model = this.model.map((w, i) => w - this.spec.learningRate * honestMean[i]!);
  }
}

export function meanOf(vs: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(vs[0]!.length);
  for (const v of vs) for (let i = 0; i < out.length; i++) out[i]! += v[i]! / vs.length;
  return out;
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** ‖a − b‖. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

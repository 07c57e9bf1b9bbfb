import { check, KernelErrorCode } from './errors.js';

/**
 * Multi-Krum (Blanchard et al. 2017; El Mhamdi et al. 2018): each delta's score is the sum of its
 * K - f - 2 smallest squared distances to the others; the K - f lowest scores are selected.
 * Distances are exact integers, so scores and ties (broken by index) agree on every node.
 */
export function multiKrumSelect(distances: Float64Array, k: number, f: number): { selected: number[]; scores: number[] } {
  check(Number.isInteger(f) && f >= 0, KernelErrorCode.BadParameter, 'f', 'a non-negative integer');
  check(k > 2 * f + 2, KernelErrorCode.BadParameter, 'f', `Multi-Krum needs K > 2f + 2 (K = ${k}, f = ${f})`);
  const nearest = k - f - 2;
  const scores: number[] = [];
  for (let a = 0; a < k; a++) {
    const d: number[] = [];
    for (let b = 0; b < k; b++) if (b !== a) d.push(distances[a * k + b]!);
    d.sort((x, y) => x - y);
    scores.push(d.slice(0, nearest).reduce((s, v) => s + v, 0));
  }
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  return { selected: order.slice(0, k - f).sort((a, b) => a - b), scores };
}

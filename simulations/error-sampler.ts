import { deltaAggregate } from '../src/aggregates/delta-aggregate.js';
import { feedAggregate } from '../src/aggregates/feed-aggregate.js';
import type { MurmurNode } from '../src/node.js';
import { DELTA_RULES } from '../kernels/index.js';
import type { Actors } from './actors.js';
import type { Recorder } from './recorder.js';
import type { Scenario } from './scenario.js';
import { distance } from './truth.js';

/** Feed aggregators compared: the kernel's Pyth-style price, its weighted median, and the plain weighted mean. */
export const FEED_RULES = ['pyth', 'median', 'mean'] as const;

/** Detection counts across all samples: Byzantine inputs flagged (outliers, Multi-Krum rejects) out of those seen. */
export interface Detection {
  liarInputs: number;
  liarFlagged: number;
  poisonerInputs: number;
  poisonerRejected: number;
}

/**
 * Measures each sampled honest node's aggregates against the ground truth: feeds against the
 * true price of the latest market tick (relative error, averaged over feeds), deltas of the
 * last completed round against the honest mean gradient (distance over the mean honest norm).
 */
export class ErrorSampler {
  readonly detection: Detection = { liarInputs: 0, liarFlagged: 0, poisonerInputs: 0, poisonerRejected: 0 };

  constructor(
    private readonly s: Scenario,
    private readonly actors: Actors,
    private readonly recorder: Recorder,
  ) {}

  async sample(i: number, node: MurmurNode): Promise<void> {
    await this.feeds(i, node);
    await this.deltas(i, node);
  }

  private async feeds(i: number, node: MurmurNode): Promise<void> {
    const m = this.s.market;
    const now = Date.now();
    const truth = this.actors.truthAt(now);
    if (m === undefined || truth === null) return;
    const sums: Record<string, { total: number; n: number }> = {};
    for (const [f, feed] of m.feeds.entries()) {
      const a = await feedAggregate(node.aggregates, node.log.state.attestations(feed, now - m.windowMs, now), { feed, from: now - m.windowMs, to: now }, node.feedWeights(feed), (k) => node.identityOf(k));
      if (a.price === null) continue;
      let wsum = 0;
      let vsum = 0;
      for (const inp of a.inputs) {
        wsum += inp.weight;
        vsum += inp.weight * Number(inp.value);
        if (this.actors.byzantineKeys.has(inp.author)) {
          this.detection.liarInputs++;
          if (inp.outlier) this.detection.liarFlagged++;
        }
      }
      const p = truth.prices[f]!;
      const values = { pyth: Number(a.price), median: Number(a.median), mean: vsum / wsum };
      for (const rule of FEED_RULES) {
        const s = (sums[rule] ??= { total: 0, n: 0 });
        s.total += Math.abs(values[rule] - p) / p;
        s.n++;
      }
    }
    const t = this.recorder.now();
    for (const [rule, s] of Object.entries(sums)) this.recorder.errors.push({ t, node: i, kind: 'feed', rule, error: s.total / s.n });
  }

  private async deltas(i: number, node: MurmurNode): Promise<void> {
    const l = this.s.learning;
    const round = this.actors.rounds.length - 2; // the last round that has had a full round time to spread
    if (l === undefined || round < 0) return;
    const truth = this.actors.rounds[round]!;
    const poisoners = this.actors.producers.filter((p) => p.mode !== 'honest').length;
    const t = this.recorder.now();
    const all = node.log.state.deltas(l.stream, round);
    if (all.length === 0) return;
    const k = new Set(all.map((d) => d.author)).size;
    for (const rule of DELTA_RULES) {
      if (rule === 'multi-krum' && k <= 2 * poisoners + 2) continue;
      const q = { stream: l.stream, round, rule, ...(rule === 'trimmed-mean' ? { trim: Math.min(0.45, poisoners / Math.max(k, 1)) } : {}), ...(rule === 'multi-krum' ? { f: poisoners } : {}) };
      const a = await deltaAggregate(node.aggregates, all, q, node.log.identities);
      const b = Buffer.from(a.valuesF32Base64, 'base64');
      const values = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      this.recorder.errors.push({ t, node: i, kind: 'delta', rule, error: distance(values, truth.mean) / truth.scale });
      if (rule === 'multi-krum') {
        for (const inp of a.inputs) {
          if (this.actors.byzantineKeys.get(inp.author) !== 'poisoner') continue;
          this.detection.poisonerInputs++;
          if (!inp.selected) this.detection.poisonerRejected++;
        }
      }
    }
  }
}

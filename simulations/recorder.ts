import type { MurmurNode } from '../src/node.js';

/** Most latency samples kept (beyond it, every k-th is kept: the percentiles stay fair). */
export const MAX_LATENCY_SAMPLES = 1_000_000;

/** A growable column of times (ms since the run started), NaN where not yet seen. */
class TimeColumn {
  private data = new Float64Array(1024).fill(NaN);

  set(i: number, t: number): void {
    if (i >= this.data.length) {
      const next = new Float64Array(Math.max(i + 1, this.data.length * 2)).fill(NaN);
      next.set(this.data);
      this.data = next;
    }
    if (Number.isNaN(this.data[i]!)) this.data[i] = t;
  }

  get(i: number): number {
    return i < this.data.length ? this.data[i]! : NaN;
  }
}

export interface TimelineEvent {
  t: number;
  kind: 'partition' | 'heal' | 'offline' | 'online' | 'traffic-end';
  detail: string;
}

export interface Sample {
  t: number;
  /** Per node: updates of the honest union it lacks (null: offline or Byzantine). */
  missing: (number | null)[];
  pendingMax: number;
  rssMb: number;
}

export interface ErrorSample {
  t: number;
  node: number;
  kind: 'feed' | 'delta';
  rule: string;
  error: number;
}

/**
 * What a run observes, keyed by "union index": the order in which updates were first accepted
 * by any honest node. Each honest node's acceptance time of each update is kept, so convergence
 * after an event at time T (all honest nodes hold every update that existed at T) and
 * publish-to-apply latency are exact, not sampled.
 */
export class Recorder {
  readonly t0 = performance.now();
  private readonly union = new Map<string, number>();
  private readonly columns: TimeColumn[];
  /** Submission time of each honest update (one entry per update of the run, like the union). */
  private readonly published = new Map<string, { t: number; node: number }>();
  private latencyStride = 1;
  private latencySeen = 0;
  readonly latencies: number[] = [];
  readonly samples: Sample[] = [];
  readonly errors: ErrorSample[] = [];
  readonly events: TimelineEvent[] = [];
  gossipDropped = 0;

  constructor(readonly nodes: number) {
    this.columns = Array.from({ length: nodes }, () => new TimeColumn());
  }

  now(): number {
    return performance.now() - this.t0;
  }

  get unionSize(): number {
    return this.union.size;
  }

  event(kind: TimelineEvent['kind'], detail: string): void {
    this.events.push({ t: this.now(), kind, detail });
  }

  /** Starts recording an honest node's acceptances (again after a restart; replayed updates keep their first time). */
  attach(i: number, node: MurmurNode): void {
    node.log.onAccept((rec) => this.accepted(i, rec.id));
    for (const id of node.log.ids()) this.accepted(i, id);
  }

  /** A contributor is about to submit `id` to node `node` (the latency clock starts). */
  publishing(id: string, node: number): void {
    this.published.set(id, { t: this.now(), node });
  }

  private accepted(node: number, id: string): void {
    const t = this.now();
    let idx = this.union.get(id);
    if (idx === undefined) {
      idx = this.union.size;
      this.union.set(id, idx);
    }
    this.columns[node]!.set(idx, t);
    const p = this.published.get(id);
    if (p !== undefined && p.node !== node) this.latency(t - p.t);
  }

  private latency(ms: number): void {
    if (this.latencySeen++ % this.latencyStride !== 0) return;
    this.latencies.push(ms);
    if (this.latencies.length >= MAX_LATENCY_SAMPLES) {
      // Keep every other sample and halve the rate from now on.
      for (let i = 0; i < this.latencies.length / 2; i++) this.latencies[i] = this.latencies[2 * i]!;
      this.latencies.length = Math.floor(this.latencies.length / 2);
      this.latencyStride *= 2;
    }
  }

  /**
   * How long after `t` node i held all of the first `count` union updates (0 if it already did
   * at t; Infinity if it never did).
   */
  convergedAfter(i: number, count: number, t: number): number {
    let last = t;
    for (let k = 0; k < count; k++) {
      const at = this.columns[i]!.get(k);
      if (Number.isNaN(at)) return Infinity;
      if (at > last) last = at;
    }
    return last - t;
  }

  /** Whether every listed node holds the whole union. */
  allHoldUnion(nodes: readonly number[], logSize: (i: number) => number): boolean {
    return nodes.every((i) => logSize(i) === this.union.size);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

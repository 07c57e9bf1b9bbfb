import { DELTA_RULES, KernelError, KernelErrorCode, type DeltaRule } from '../../kernels/index.js';
import { deltaAggregate } from '../aggregates/delta-aggregate.js';
import { feedAggregate } from '../aggregates/feed-aggregate.js';
import { roundView, SECAGG_VIEW_MAX_BYTES, SecAggAggregates } from '../aggregates/secagg-aggregate.js';
import type { ApiHost } from './api-host.js';
import { ApiError, ApiErrorCode, aboveHorizon } from './api-error.js';
import type { Reply } from './routes.js';

/** Entries of each list a 409 secagg-incomplete answer carries (the totals say how many there are). */
export const SECAGG_DETAIL_MAX = 64;
/** Aggregations computed at once; more get 503 (each may hold a kernel run of up to 1 GiB). */
export const AGGREGATE_MAX_CONCURRENT = 2;

function num(q: URLSearchParams, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (!opts.int || Number.isSafeInteger(n)) && n >= (opts.min ?? -Infinity) && n <= (opts.max ?? Infinity);
  if (!ok) throw new ApiError(400, ApiErrorCode.BadRequest, `${name}: expected ${opts.int ? 'an integer' : 'a number'} in ${opts.min ?? '-inf'}..${opts.max ?? 'inf'}`);
  return n;
}

function required<T>(v: T | undefined | null, name: string, example: string): T {
  if (v === undefined || v === null) throw new ApiError(400, ApiErrorCode.BadRequest, `${name}: required (for example ${example})`);
  return v;
}

/** Kernel errors keep their typed code: 400 for parameters, 422 for unusable inputs or budget. */
function asApiError(err: unknown): unknown {
  if (!(err instanceof KernelError)) return err;
  const status = err.code === KernelErrorCode.BadParameter ? 400 : 422;
  return new ApiError(status, err.code, err.message, { field: err.field });
}

export class AggregateRoutes {
  private running = 0;
  private readonly secagg = new SecAggAggregates();

  constructor(private readonly node: ApiHost) {}

  /** GET /v1/aggregates/feed, /v1/aggregates/delta, /v1/kernels; null for other paths. None spends anything: they are reads. */
  async handle(path: string, q: URLSearchParams): Promise<Reply | null> {
    const svc = this.node.aggregates;
    if (path === '/v1/kernels') {
      return { status: 200, body: { ...svc.runner.describe(), runs: svc.metrics.runs, fallbacks: svc.metrics.fallbacks } };
    }
    if (path === '/v1/secagg') {
      const stream = required(q.get('stream'), 'stream', 'stream=model-a');
      const round = required(num(q, 'round', { int: true, min: 0 }), 'round', 'round=3');
      const view = roundView(this.node.log, stream, round);
      if (view.bytes > SECAGG_VIEW_MAX_BYTES) throw new ApiError(400, ApiErrorCode.TooLarge, `round view over ${SECAGG_VIEW_MAX_BYTES} bytes`);
      return { status: 200, body: { stream, round, updates: view.updates, masked: view.masked } };
    }
    if (path !== '/v1/aggregates/feed' && path !== '/v1/aggregates/delta' && path !== '/v1/aggregates/secagg') return null;
    if (this.running >= AGGREGATE_MAX_CONCURRENT) throw new ApiError(503, ApiErrorCode.Unavailable, 'aggregations are busy; retry shortly');
    this.running++;
    const done = this.node.metrics.timeAggregation(path === '/v1/aggregates/feed' ? 'feed' : path === '/v1/aggregates/delta' ? 'delta' : 'secagg');
    try {
      if (path === '/v1/aggregates/feed') {
        const feed = required(q.get('feed'), 'feed', 'feed=ETH/USD');
        const horizon = this.node.log.state.horizons.attestationsMs;
        const from = aboveHorizon(num(q, 'from', { int: true, min: 0 }) ?? horizon, horizon, 'attestations observed');
        const to = num(q, 'to', { int: true, min: 0 }) ?? Number.MAX_SAFE_INTEGER;
        return { status: 200, body: await feedAggregate(svc, this.node.log.state.attestations(feed, from, to), { feed, from, to }, this.node.feedWeights(feed), (k) => this.node.identityOf(k)) };
      }
      const stream = required(q.get('stream'), 'stream', 'stream=model-a');
      const round = required(num(q, 'round', { int: true, min: 0 }), 'round', 'round=3');
      if (path === '/v1/aggregates/secagg') return this.secureSum(stream, round, q.get('rule') ?? 'sum');
      const rule = (q.get('rule') ?? 'mean') as DeltaRule;
      if (!DELTA_RULES.includes(rule)) throw new ApiError(400, ApiErrorCode.BadRequest, `rule: one of ${DELTA_RULES.join(', ')}`);
      const trim = num(q, 'trim', { min: 0, max: 0.5 });
      const f = num(q, 'f', { int: true, min: 0, max: 64 });
      const clipNorm = num(q, 'clip', { min: 0 });
      if (q.has('sigma')) {
        throw new ApiError(400, ApiErrorCode.NodeNoiseRemoved, 'sigma: nodes add no noise (noise every node could recompute protects nobody); contributors add their own: murmur delta --noise-multiplier (docs/PRIVACY.md)');
      }
      if (this.node.log.state.isSecAggRound(stream, round)) {
        throw new ApiError(400, ApiErrorCode.MaskedRound, `${stream} round ${round} is a masked (secure-aggregation) round: ${rule} needs individual deltas, which masking hides; its secure sum or mean is at /v1/aggregates/secagg (docs/PRIVACY.md)`);
      }
      const query = { stream, round, rule, ...(trim !== undefined ? { trim } : {}), ...(f !== undefined ? { f } : {}), ...(clipNorm !== undefined ? { clipNorm } : {}) };
      return { status: 200, body: await deltaAggregate(svc, this.node.log.state.deltas(stream, round), query, this.node.log.identities) };
    } catch (err) {
      throw asApiError(err);
    } finally {
      done();
      this.running--;
    }
  }

  private secureSum(stream: string, round: number, rule: string): Reply {
    if (rule !== 'sum' && rule !== 'mean') {
      throw new ApiError(400, ApiErrorCode.MaskedRound, `rule: sum or mean; ${rule} needs individual deltas, which a masked round hides (robust rules run on rounds in the clear, docs/PRIVACY.md)`);
    }
    const out = this.secagg.compute(stream, round, this.node.log.state.secaggOps(stream, round));
    if (out.result === null) {
      throw new ApiError(409, ApiErrorCode.SecAggIncomplete, `${stream} round ${round} has no secure sum: ${out.reason}`, {
        reason: out.reason,
        // Anyone may sign rosters and ops for a round: each list is cut to its first SECAGG_DETAIL_MAX, with its total.
        failures: out.failures.slice(0, SECAGG_DETAIL_MAX),
        failuresTotal: out.failures.length,
        rejectedRosters: out.state.rejectedRosters.slice(0, SECAGG_DETAIL_MAX),
        rejectedRostersTotal: out.state.rejectedRosters.length,
        ignored: out.state.ignored.slice(0, SECAGG_DETAIL_MAX),
        ignoredTotal: out.state.ignored.length,
      });
    }
    return { status: 200, body: this.secagg.body(stream, round, rule, out.result, out.state) };
  }
}

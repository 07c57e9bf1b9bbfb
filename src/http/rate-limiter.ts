/** Clients tracked at once; the least recently seen is forgotten first. */
export const RATE_LIMIT_MAX_CLIENTS = 10_000;

/** Token bucket per client key: `perSecond` tokens a second, burst of `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token; returns false when the client is over its rate. */
  take(client: string): boolean {
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.perSecond, at: t };
    this.buckets.delete(client);
    b.tokens = Math.min(this.perSecond, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    if (this.buckets.size >= RATE_LIMIT_MAX_CLIENTS) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(client, b);
    return ok;
  }
}

import type { Log } from '../crdt/index.js';
import type { Retention } from './config.js';
import type { Logger } from './logger.js';

/** How often retention compacts (the horizons move by at most this much between sweeps). */
export const RETENTION_SWEEP_MS = 10_000;

/** What retention has dropped so far (for /metrics). */
export interface RetentionStats {
  attestations: number;
  audit: number;
  sweeps: number;
}

/**
 * Applies `retention` to a log's derived state (docs/STORAGE.md, "Retention"): once at start,
 * then every RETENTION_SWEEP_MS, the horizon is the wall clock minus the period. The clock is the
 * node's, injected; the log only ever sees the cut-off numbers. The horizons never move back,
 * even when the clock does.
 */
export class RetentionSweeper {
  readonly stats: RetentionStats = { attestations: 0, audit: 0, sweeps: 0 };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: Log,
    private readonly retention: Retention,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.retention.attestationsMs !== null || this.retention.auditMs !== null;
  }

  start(): void {
    if (!this.enabled || this.timer !== null) return;
    this.sweep();
    this.timer = setInterval(() => this.sweep(), RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One compaction at the current time; returns what it dropped. */
  sweep(): { attestations: number; audit: number } {
    const t = this.now();
    const { attestationsMs, auditMs } = this.retention;
    const dropped = this.log.state.compact({
      ...(attestationsMs !== null ? { attestationsBeforeMs: t - attestationsMs } : {}),
      ...(auditMs !== null ? { auditBeforeMs: t - auditMs } : {}),
    });
    this.stats.attestations += dropped.attestations;
    this.stats.audit += dropped.audit;
    this.stats.sweeps++;
    if (dropped.attestations + dropped.audit > 0) this.logger.debug({ ...dropped, horizons: this.log.state.horizons }, 'retention compacted');
    return dropped;
  }
}

import { join } from 'node:path';
import { KernelRunner, PrivacyAccountant, type KernelEvent } from '../../kernels/index.js';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { PrivacyLedger } from './privacy-ledger.js';

/** Counters of the kernel runner, rendered by src/metrics.ts. */
export interface KernelMetrics {
  runs: Record<string, number>;
  fallbacks: Record<string, number>;
  deviceCreated: number;
  deviceLost: number;
}

/**
 * The node's kernel runner and privacy accountant (its spend kept in `<dataDir>/privacy.json`),
 * with events turned into logs and metrics.
 */
export class AggregationService {
  readonly runner: KernelRunner;
  readonly accountant: PrivacyAccountant;
  private readonly ledger: PrivacyLedger;
  readonly metrics: KernelMetrics = { runs: {}, fallbacks: {}, deviceCreated: 0, deviceLost: 0 };

  constructor(config: NodeConfig, logger: Logger) {
    this.ledger = new PrivacyLedger(join(config.dataDir, 'privacy.json'));
    this.accountant = new PrivacyAccountant({ epsilon: config.privacyEpsilon, delta: config.privacyDelta }, this.ledger.load());
    const warnOnFallback = config.kernelBackend === 'webgpu';
    this.runner = new KernelRunner({
      backend: config.kernelBackend,
      gpuIdleMs: config.gpuIdleMs,
      onEvent: (e: KernelEvent) => {
        if (e.type === 'fallback') {
          this.metrics.fallbacks[e.failure] = (this.metrics.fallbacks[e.failure] ?? 0) + 1;
          logger[warnOnFallback ? 'warn' : 'info']({ reason: e.reason, permanent: e.permanent }, 'kernels fell back to the CPU backend');
        } else if (e.type === 'device-created') {
          this.metrics.deviceCreated++;
          logger.info({ adapter: e.adapter, maxStorageBufferBindingSize: e.maxStorageBufferBindingSize }, 'WebGPU device created');
        } else if (e.type === 'device-lost') {
          this.metrics.deviceLost++;
          logger.warn({ reason: e.reason, message: e.message }, 'WebGPU device lost');
        } else {
          logger.debug({ reason: e.reason }, 'WebGPU device destroyed');
        }
      },
    });
  }

  /** Charges a noisy release to its stream; the spend is on disk before this returns. */
  chargePrivacy(stream: string, sensitivity: number, sigma: number): { rho: number; epsilon: number } {
    return this.accountant.charge(stream, sensitivity, sigma, (s, rho) => this.ledger.save([...this.accountant.entries().filter(([k]) => k !== s), [s, rho]]));
  }

  count(backend: string): void {
    this.metrics.runs[backend] = (this.metrics.runs[backend] ?? 0) + 1;
  }

  close(): void {
    this.runner.close();
  }
}

import { KernelRunner, type KernelEvent } from '../../kernels/index.js';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../logger.js';

/** Counters of the kernel runner, rendered by src/metrics.ts. */
export interface KernelMetrics {
  runs: Record<string, number>;
  fallbacks: Record<string, number>;
  deviceCreated: number;
  deviceLost: number;
}

/**
 * The node's kernel runner, with events turned into logs and metrics. The node spends no privacy
 * budget: it adds no noise (contributors do, and keep their own accountant; docs/PRIVACY.md).
 */
export class AggregationService {
  readonly runner: KernelRunner;
  readonly metrics: KernelMetrics = { runs: {}, fallbacks: {}, deviceCreated: 0, deviceLost: 0 };

  constructor(config: NodeConfig, logger: Logger) {
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

  count(backend: string): void {
    this.metrics.runs[backend] = (this.metrics.runs[backend] ?? 0) + 1;
  }

  close(): void {
    this.runner.close();
  }
}

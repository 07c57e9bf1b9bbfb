import type { BackendChoice, BackendName, KernelBackend } from './backend.js';
import { createCpuBackend } from './cpu/cpu-backend.js';
import { BackendFailure, BackendUnavailableError } from './errors.js';
import type { GpuEvent } from './webgpu/gpu-context.js';
import { WebGpuBackend } from './webgpu/webgpu-backend.js';

export type KernelEvent = GpuEvent | { type: 'fallback'; failure: BackendFailure; reason: string; permanent: boolean };

export interface BackendOptions {
  readonly backend: BackendChoice;
  /** How long an idle WebGPU device lives before it is destroyed. */
  readonly gpuIdleMs?: number;
  /** Dawn toggles (`backend=vulkan`, `adapter=NAME`). */
  readonly dawnFlags?: readonly string[];
  readonly onEvent?: (e: KernelEvent) => void;
}

/** The result of one kernel call and the backend that produced it. */
export interface Ran<T> {
  readonly value: T;
  readonly backend: BackendName;
  readonly fallback?: string;
}

/**
 * Runs kernels on the chosen backend. `auto` and `webgpu` both try WebGPU first and fall back to
 * the CPU when it is unavailable (no adapter, device lost, out of memory); the reason reaches
 * onEvent (logs and metrics) and the result. `cpu` never touches WebGPU.
 */
export class KernelRunner {
  readonly cpu = createCpuBackend();
  private gpu: WebGpuBackend | null;
  private lastFallback: string | null = null;

  constructor(private readonly opts: BackendOptions) {
    this.gpu = opts.backend === 'cpu' ? null : new WebGpuBackend({ idleMs: opts.gpuIdleMs ?? 5_000, onEvent: opts.onEvent, dawnFlags: opts.dawnFlags ?? [] });
  }

  /** The backend new work will try first, and why WebGPU is off if it is. */
  describe(): { choice: BackendChoice; active: BackendName; reason: string | null } {
    return { choice: this.opts.backend, active: this.gpu !== null ? 'webgpu' : 'cpu', reason: this.lastFallback };
  }

  async run<T>(work: (b: KernelBackend) => Promise<T>): Promise<Ran<T>> {
    if (this.gpu !== null) {
      try {
        return { value: await work(this.gpu), backend: 'webgpu' };
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        // Without an adapter, retrying WebGPU is pointless for the life of the process.
        const permanent = err.failure === BackendFailure.NoAdapter;
        if (permanent) {
          this.gpu.close();
          this.gpu = null;
        }
        this.lastFallback = err.message;
        this.opts.onEvent?.({ type: 'fallback', failure: err.failure, reason: err.message, permanent });
        return { value: await work(this.cpu), backend: 'cpu', fallback: err.message };
      }
    }
    return { value: await work(this.cpu), backend: 'cpu', ...(this.lastFallback !== null ? { fallback: this.lastFallback } : {}) };
  }

  close(): void {
    this.gpu?.close();
    this.gpu = null;
  }
}

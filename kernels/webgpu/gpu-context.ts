/// <reference types="@webgpu/types" />
import { BackendFailure, BackendUnavailableError, KernelError } from '../errors.js';

/** What the context reports (fallbacks, device loss); src/ maps it to logs and metrics. */
export type GpuEvent =
  | { type: 'device-created'; adapter: string; maxStorageBufferBindingSize: number }
  | { type: 'device-destroyed'; reason: 'idle' | 'close' }
  | { type: 'device-lost'; reason: string; message: string };

export interface GpuContextOptions {
  /** Destroy the device after this long without work (a live Dawn device can poll a core). */
  readonly idleMs: number;
  readonly onEvent?: (e: GpuEvent) => void;
  /** Dawn toggles for `create()` (for example `backend=vulkan`). */
  readonly dawnFlags?: readonly string[];
  /** Caps the storage binding below the device's limit (tests use it to force chunking). */
  readonly maxBindingBytes?: number;
}

interface Loaded {
  readonly gpu: GPU;
}

const loaded = new Map<string, Promise<Loaded>>();

/** Loads the Dawn addon once per flag set; a platform without it is an unavailable backend. */
function loadDawn(flags: readonly string[]): Promise<Loaded> {
  const key = flags.join('\n');
  let p = loaded.get(key);
  if (p === undefined) {
    p = import('webgpu').then(
      (m) => {
        Object.assign(globalThis, m.globals);
        return { gpu: m.create([...flags]) as GPU };
      },
      (err: unknown) => {
        loaded.delete(key);
        throw new BackendUnavailableError(BackendFailure.NoAdapter, `the Dawn addon did not load: ${String(err)}`);
      },
    );
    loaded.set(key, p);
  }
  return p;
}

/**
 * The adapter and device, created on first use and destroyed after `idleMs` without work or on
 * close(). Its idle timer is unref'd, so the context never keeps the process alive. Limits come
 * from the adapter, never assumed.
 */
export class GpuContext {
  private device: Promise<GPUDevice> | null = null;
  private live: GPUDevice | null = null;
  private busy = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly lost = new WeakSet<GPUDevice>();

  constructor(private readonly opts: GpuContextOptions) {}

  get maxBindingBytes(): number | undefined {
    return this.opts.maxBindingBytes;
  }

  /** Runs `work` with a device; the device stays up while any work is in flight. */
  async use<T>(work: (device: GPUDevice) => Promise<T>): Promise<T> {
    if (this.closed) throw new BackendUnavailableError(BackendFailure.Closed, 'the GPU context is closed');
    this.busy++;
    this.clearIdle();
    try {
      const device = await this.acquire();
      try {
        return await work(device);
      } catch (err) {
        // Dawn's own errors from a device that was lost mid-work become a typed, fallback-able failure.
        if (!(err instanceof KernelError) && this.lost.has(device)) {
          throw new BackendUnavailableError(BackendFailure.DeviceLost, `the device was lost: ${err instanceof Error ? err.message : String(err)}`);
        }
        throw err;
      }
    } finally {
      if (--this.busy === 0) this.armIdle();
    }
  }

  /** Destroys the device now; later use() calls fail. */
  close(): void {
    this.closed = true;
    this.clearIdle();
    this.destroy('close');
  }

  private acquire(): Promise<GPUDevice> {
    this.device ??= this.create().catch((err: unknown) => {
      this.device = null;
      throw err;
    });
    return this.device;
  }

  private async create(): Promise<GPUDevice> {
    const { gpu } = await loadDawn(this.opts.dawnFlags ?? []);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch((err: unknown) => {
      throw new BackendUnavailableError(BackendFailure.NoAdapter, `no WebGPU adapter: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (adapter === null) throw new BackendUnavailableError(BackendFailure.NoAdapter, 'no WebGPU adapter (no GPU driver, or no Vulkan ICD such as Mesa lavapipe)');
    const l = adapter.limits;
    const device = await adapter
      .requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      },
    })
      .catch((err: unknown) => {
        throw new BackendUnavailableError(BackendFailure.NoAdapter, `device request failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    this.live = device;
    void device.lost.then((info) => {
      this.lost.add(device);
      if (this.live === device) {
        this.live = null;
        this.device = null;
      }
      if (info.reason !== 'destroyed') this.opts.onEvent?.({ type: 'device-lost', reason: String(info.reason), message: info.message });
    });
    const info = adapter.info;
    this.opts.onEvent?.({
      type: 'device-created',
      adapter: [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '').join(' ') || 'unknown',
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    });
    return device;
  }

  private armIdle(): void {
    if (this.closed || this.live === null) return;
    this.idleTimer = setTimeout(() => this.destroy('idle'), this.opts.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private destroy(reason: 'idle' | 'close'): void {
    const device = this.live;
    this.live = null;
    this.device = null;
    if (device !== null) {
      device.destroy();
      this.opts.onEvent?.({ type: 'device-destroyed', reason });
    }
  }
}

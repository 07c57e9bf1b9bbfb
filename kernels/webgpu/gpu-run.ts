/// <reference types="@webgpu/types" />
import { BackendFailure, BackendUnavailableError } from '../errors.js';

/** Small helpers over one device: buffers, a cached pipeline per shader, checked submission. */
export class GpuRun {
  private static readonly pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
  private readonly owned: GPUBuffer[] = [];
  private scoped = false;

  constructor(
    readonly device: GPUDevice,
    private readonly bindingCap = Infinity,
  ) {
    this.openScopes();
  }

  private openScopes(): void {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.scoped = true;
  }

  get maxBinding(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize, this.bindingCap);
  }

  input(data: ArrayBufferView, bytes = data.byteLength): GPUBuffer {
    const b = this.buffer(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    if (data.byteLength > 0) this.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  uniform(words: readonly number[]): GPUBuffer {
    const b = this.buffer(Math.ceil(words.length / 4) * 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.device.queue.writeBuffer(b, 0, new Uint32Array(words));
    return b;
  }

  output(bytes: number): GPUBuffer {
    return this.buffer(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
  }

  buffer(bytes: number, usage: number): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    this.owned.push(b);
    return b;
  }

  /** Encodes one dispatch of `groups` workgroups (folded into 2D past the per-dimension limit). */
  dispatch(code: string, bindings: readonly GPUBuffer[], groups: number | readonly [number, number]): void {
    const pipeline = this.pipeline(code);
    const bind = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    const [x, y] = typeof groups === 'number' ? [Math.min(groups, max), Math.ceil(groups / Math.min(groups, max))] : groups;
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    if (x > 0) pass.dispatchWorkgroups(x, y);
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** Copies `bytes` of `src` back to the host. */
  async read(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const staging = this.buffer(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, staging.size);
    this.device.queue.submit([enc.finish()]);
    await this.check();
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange(0, staging.size).slice(0, bytes);
    staging.unmap();
    this.openScopes();
    return out;
  }

  /** Pops the error scopes: out-of-memory and validation errors become typed errors. */
  async check(): Promise<void> {
    if (!this.scoped) return;
    this.scoped = false;
    const validation = await this.device.popErrorScope();
    const oom = await this.device.popErrorScope();
    const err = oom ?? validation;
    if (err !== null) {
      throw new BackendUnavailableError(oom !== null ? BackendFailure.OutOfMemory : BackendFailure.Validation, `${oom !== null ? 'out of memory' : 'validation error'}: ${err.message}`);
    }
  }

  /** Frees every buffer of this run and closes the error scopes. */
  async finish(): Promise<void> {
    try {
      await this.check();
    } finally {
      for (const b of this.owned) b.destroy();
      this.owned.length = 0;
    }
  }

  private pipeline(code: string): GPUComputePipeline {
    let cache = GpuRun.pipelines.get(this.device);
    if (cache === undefined) GpuRun.pipelines.set(this.device, (cache = new Map()));
    let p = cache.get(code);
    if (p === undefined) {
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module: this.device.createShaderModule({ code }), entryPoint: 'main' } });
      cache.set(code, p);
    }
    return p;
  }
}

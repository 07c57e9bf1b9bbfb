import type { TestContext } from 'node:test';
import { WebGpuBackend } from '../../kernels/webgpu/webgpu-backend.js';

let shared: Promise<WebGpuBackend | string> | null = null;

/**
 * One WebGPU backend per test process, or the reason there is none. Under CI=true a missing
 * adapter fails the run (.ci/run installs Mesa's lavapipe); elsewhere the WebGPU tests skip and
 * say why.
 */
export function webgpuOrReason(): Promise<WebGpuBackend | string> {
  shared ??= (async () => {
    const gpu = new WebGpuBackend({ idleMs: 2_000 });
    try {
      await gpu.probe();
      return gpu;
    } catch (err) {
      gpu.close();
      return err instanceof Error ? err.message : String(err);
    }
  })();
  return shared;
}

/** The backend, or null after marking the test skipped (or throwing under CI=true). */
export async function webgpuOrSkip(t: TestContext): Promise<WebGpuBackend | null> {
  const gpu = await webgpuOrReason();
  if (typeof gpu !== 'string') return gpu;
  if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${gpu}`);
  t.skip(`no WebGPU adapter here: ${gpu}`);
  return null;
}

export async function closeWebgpu(): Promise<void> {
  const gpu = await (shared ?? Promise.resolve('none'));
  if (typeof gpu !== 'string') gpu.close();
}

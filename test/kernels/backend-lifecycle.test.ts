import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelRunner, type KernelEvent } from '../../kernels/select-backend.js';
import { GpuContext, type GpuEvent } from '../../kernels/webgpu/gpu-context.js';
import { webgpuOrSkip } from '../helpers/gpu.js';
import { waitFor } from '../helpers/cluster.js';

test('a missing adapter falls back to the CPU with the reason in the event and the result', async () => {
  const events: KernelEvent[] = [];
  const runner = new KernelRunner({ backend: 'webgpu', dawnFlags: ['adapter=no-such-adapter'], onEvent: (e) => events.push(e) });
  try {
    const first = await runner.run((b) => b.gaussian(1, 2, 0, 8));
    assert.equal(first.backend, 'cpu');
    assert.match(first.fallback ?? '', /no WebGPU adapter/);
    assert.deepEqual(events.map((e) => e.type), ['fallback']);
    assert.equal((events[0] as { permanent: boolean }).permanent, true, 'a missing adapter is not retried');
    const second = await runner.run((b) => b.gaussian(1, 2, 0, 8));
    assert.equal(second.backend, 'cpu');
    assert.deepEqual(second.value, first.value, 'same draws either way');
    assert.equal(events.length, 1, 'no second attempt at WebGPU');
    assert.equal(runner.describe().active, 'cpu');
  } finally {
    runner.close();
  }
});

test('the cpu choice never loads Dawn', async () => {
  const events: KernelEvent[] = [];
  const runner = new KernelRunner({ backend: 'cpu', onEvent: (e) => events.push(e) });
  const r = await runner.run((b) => b.gaussian(1, 2, 0, 8));
  assert.equal(r.backend, 'cpu');
  assert.equal(r.fallback, undefined);
  assert.deepEqual(events, []);
  runner.close();
});

test('the WebGPU device is created lazily and destroyed when idle', async (t) => {
  if ((await webgpuOrSkip(t)) === null) return;
  const events: GpuEvent[] = [];
  const ctx = new GpuContext({ idleMs: 100, onEvent: (e) => events.push(e) });
  assert.equal(events.length, 0, 'nothing is created before first use');
  await ctx.use(async (device) => assert.ok(device.limits.maxStorageBufferBindingSize > 0, 'limits come from the device'));
  assert.equal(events[0]?.type, 'device-created');
  assert.ok(await waitFor(() => events.some((e) => e.type === 'device-destroyed'), 5_000), 'destroyed after idleMs');
  assert.deepEqual(events.at(-1), { type: 'device-destroyed', reason: 'idle' });
  await ctx.use(async () => {});
  assert.equal(events.filter((e) => e.type === 'device-created').length, 2, 'recreated on the next use');
  ctx.close();
  assert.deepEqual(events.at(-1), { type: 'device-destroyed', reason: 'close' });
  await assert.rejects(ctx.use(async () => {}), /closed/);
});

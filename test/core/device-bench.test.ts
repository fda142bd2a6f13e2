/**
 * The device benchmark's runner in Node (fused on Dawn + SwiftShader, tfjs on WebGPU through Dawn, tfjs wasm) in
 * its test mode (tiny shapes, 1 warm-up + 2 timed steps): every row runs to the end, the JSON has its fields, the
 * starting backend is active again, and an abort stops it. Must run under CI=true.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_BENCH_TEST, runDeviceBench, type BenchProgress } from '../../src/core/device-bench';
import { initBackend } from '../../src/core/backend';
import { CI, dawnDevice } from './gpu/helpers';

const { device, why } = await dawnDevice();
if (!device && !CI) console.warn(`[device-bench.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

describe.skipIf(!device && !CI)('device benchmark runner (test mode)', () => {
  beforeAll(async () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    await initBackend({ order: ['cpu'] });
  });

  it('runs every target on both models to the end and reports the listed fields', async () => {
    const seen: BenchProgress[] = [];
    const r = await runDeviceBench({ plan: DEVICE_BENCH_TEST, device, onProgress: (p) => seen.push(p) });
    expect(r.cancelled).toBe(false);
    expect(r.rows.map((x) => `${x.target}/${x.model}`)).toEqual([
      'fused/convnet',
      'tfjs-webgpu/convnet',
      'wasm/convnet',
      'fused/resnet32',
      'tfjs-webgpu/resnet32',
      'wasm/resnet32',
    ]);
    for (const row of r.rows) {
      expect(row.error, `${row.target}/${row.model}`).toBeNull();
      expect(row.msPerStep).toBeGreaterThan(0);
      expect(row.imagesPerSecond).toBeCloseTo((1000 * row.batch) / row.msPerStep!, 6);
    }
    expect(seen.at(-1)).toMatchObject({ done: 18, total: 18 });
    expect(r.build).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String) });
    expect(r.gpuTimePerKernelClass).toBe('not available');
    expect(r.runtime).toMatch(/node|Node/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('an abort stops it after the step in flight', async () => {
    const ac = new AbortController();
    const r = await runDeviceBench({
      plan: DEVICE_BENCH_TEST,
      device,
      onProgress: (p) => {
        if (p.done >= 1) ac.abort();
      },
      signal: ac.signal,
    });
    expect(r.cancelled).toBe(true);
    expect(r.rows.length).toBe(1);
    expect(r.rows[0].msPerStep).toBeNull();
    expect(tf.getBackend()).toBe('cpu');
  });
});

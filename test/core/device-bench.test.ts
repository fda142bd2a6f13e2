/**
 * The device benchmark's runner in Node (fused on Dawn + SwiftShader, tfjs on WebGPU through Dawn, tfjs wasm) in
 * its test mode (tiny shapes, 1 warm-up + 2 timed steps): every row runs to the end, the JSON has its fields, the
 * starting backend is active again, an abort stops it, and on a device with timestamp-query the fused rows carry
 * GPU time per kernel class (and the pure function that builds it from pass timestamps). Must run under CI=true.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classTimesFromTimestamps,
  DEVICE_BENCH_TEST,
  runDeviceBench,
  type BenchProgress,
  type PassSample,
} from '../../src/core/device-bench';
import { initBackend } from '../../src/core/backend';
import { CI, dawnDevice } from './gpu/helpers';

const { device, why } = await dawnDevice();

describe('GPU time per kernel class from pass timestamps', () => {
  const pass = (keep: PassSample['keep'], ns: number, at = 1_000_000_000): PassSample => ({
    keep,
    begin: BigInt(at),
    end: BigInt(at + ns),
  });
  it('is the median pass with only that class minus the median pass with none, 0 for a class not run', () => {
    const samples = [
      pass(null, 100_000),
      pass(null, 300_000, 5e9),
      pass(null, 200_000),
      pass('conv', 2_200_000),
      pass('conv', 9_000_000),
      pass('conv', 2_400_000),
      pass('bn', 700_000),
      pass('loss', 150_000),
      pass('sgd', 250_000),
    ];
    const t = classTimesFromTimestamps(samples);
    const want = { conv: 2.2, bn: 0.5, pool: 0, loss: 0, sgd: 0.05 };
    expect(Object.keys(t).sort()).toEqual(Object.keys(want).sort());
    for (const [k, v] of Object.entries(want)) expect(t[k as keyof typeof want], k).toBeCloseTo(v, 9);
  });
  it('drops a sample whose end precedes its begin, and needs a pass with no dispatches', () => {
    const t = classTimesFromTimestamps([pass(null, 1_000_000), pass('conv', 3_000_000), { keep: 'conv', begin: 10n, end: 5n }]);
    expect(t.conv).toBeCloseTo(2, 9);
    expect(() => classTimesFromTimestamps([pass('conv', 1)])).toThrow(/no dispatches/);
    expect(() => classTimesFromTimestamps([pass('conv', 1), { keep: null, begin: 9n, end: 1n }])).toThrow(/no dispatches/);
  });
});
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

  it('on a device with timestamp-query the fused rows carry GPU ms per kernel class', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    expect(adapter?.features.has('timestamp-query'), "Dawn's SwiftShader adapter offers timestamp-query").toBe(true);
    const timed = await adapter!.requestDevice({ requiredFeatures: ['timestamp-query'] });
    try {
      const plan = { ...DEVICE_BENCH_TEST, targets: ['fused' as const] };
      const r = await runDeviceBench({ plan, device: timed });
      expect(r.gpuTimePerKernelClass).toBe('gpu timestamps');
      expect(r.rows).toHaveLength(2);
      for (const row of r.rows) {
        expect(row.error).toBeNull();
        const t = row.gpuMsPerKernelClass!;
        expect(Object.keys(t).sort()).toEqual(['bn', 'conv', 'loss', 'pool', 'sgd']);
        for (const ms of Object.values(t)) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
        expect(t.conv + t.bn + t.loss + t.sgd, `${row.model}: ${JSON.stringify(t)}`).toBeGreaterThan(0);
      }
    } finally {
      timed.destroy();
    }
  });
});

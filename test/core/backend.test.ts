import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND_ORDER, initBackend } from '../../src/core/backend';

describe('initBackend (Node)', () => {
  it('cpu when asked for cpu only, with fast kernels registered', async () => {
    const r = await initBackend({ order: ['cpu'] });
    expect(r.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(r.tried).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc.name).not.toBe('conv2DBackpropFilter');
  });

  it('default order skips webgpu/webgl with reasons and lands on wasm', async () => {
    expect(DEFAULT_BACKEND_ORDER).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    const r = await initBackend();
    expect(r.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(r.tried.map((t) => t.name)).toEqual(['webgpu', 'webgl']);
    expect(r.tried[0].error).toMatch(/WebGPU unavailable: navigator\.gpu missing/);
    expect(r.tried[1].error).toMatch(/WebGL unavailable/);
    expect(r.reason).toMatch(/skipped/);
    // The wasm backend now has a Conv2DBackpropFilter (tfjs-backend-wasm ships none).
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('throws with every reason when nothing in the order works', async () => {
    await expect(initBackend({ order: ['webgl'] })).rejects.toThrow(/webgl: WebGL unavailable/);
  });
});

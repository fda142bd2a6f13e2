import { describe, expect, it } from 'vitest';
import { probeBackends, softwareRenderer, type BackendTiming } from '../../src/core/backend-probe';
import { explainChoice, rankTimings, shortChoice } from '../../src/core/backend-words';

describe('software adapter detection', () => {
  it('names SwiftShader, llvmpipe, lavapipe and fallback adapters; hardware is null', () => {
    expect(softwareRenderer(['google', 'swiftshader', '', 'Google SwiftShader'])).toBe('SwiftShader');
    expect(softwareRenderer(['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)'])).toBe(
      'SwiftShader',
    );
    expect(softwareRenderer(['Mesa', 'llvmpipe (LLVM 15.0.6, 256 bits)'])).toBe('llvmpipe');
    expect(softwareRenderer(['mesa', 'lavapipe'])).toBe('lavapipe');
    expect(softwareRenderer(['nvidia', 'ampere', 'NVIDIA GeForce RTX 3080'])).toBeNull();
    expect(softwareRenderer(['ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)'])).toBeNull();
    expect(softwareRenderer(['apple', 'metal-3', undefined], true)).toBe('a fallback (software) adapter');
    expect(softwareRenderer([null, ''])).toBeNull();
  });
});

describe('ranking and the badge sentence', () => {
  const soft: BackendTiming = { name: 'webgpu', ms: 2000, software: 'SwiftShader' };
  const wasm: BackendTiming = { name: 'wasm', ms: 50, software: null };
  it('fastest measured first, failures last', () => {
    expect(rankTimings([soft, wasm])).toEqual(['wasm', 'webgpu']);
    expect(rankTimings([{ name: 'webgl', ms: null, software: null, error: 'x' }, { ...soft, ms: 10 }, wasm])).toEqual([
      'webgpu',
      'wasm',
      'webgl',
    ]);
  });
  it('says what won and why, with the measured ratio', () => {
    expect(explainChoice([wasm, soft], 'wasm')).toBe(
      'wasm (50 ms/step, fastest measured) — WebGPU here is a software renderer (SwiftShader): 40× slower',
    );
    const over: BackendTiming = { name: 'webgpu', ms: null, over: 2950, software: 'SwiftShader' };
    expect(explainChoice([wasm, over], 'wasm')).toMatch(/WebGPU here is a software renderer \(SwiftShader\): over 59× slower/);
    expect(explainChoice([{ name: 'webgpu', ms: 5, software: null }, wasm], 'webgpu')).toBe(
      'WebGPU (5 ms/step, fastest measured) — wasm: 10× slower',
    );
  });
  it('the badge’s few words: the runner-up and by how much (a lower bound when its step ran past the budget)', () => {
    const over: BackendTiming = { name: 'webgpu', ms: null, over: 2950, software: 'SwiftShader' };
    const gl: BackendTiming = { name: 'webgl', ms: 1000, software: 'SwiftShader' };
    expect(shortChoice([wasm, soft, gl], 'wasm')).toBe('WebGL 20× slower');
    expect(shortChoice([wasm, over], 'wasm')).toBe('WebGPU ≥59× slower');
    expect(shortChoice([wasm, { name: 'webgl', ms: null, software: null, error: 'WebGL unavailable' }], 'wasm')).toBe('fastest measured');
  });
});

describe('probeBackends in Node (no WebGPU, no WebGL): times wasm for real and starts there', () => {
  it('measures a ConvNet step on wasm and orders wasm first, cpu last', async () => {
    const r = await probeBackends(
      { model: 'convnet', head: 'linear', inputShape: [8, 8, 1], numClasses: 4, batchSize: 8 },
      ['webgpu', 'webgl', 'wasm', 'cpu'],
      { budgetMs: 20_000 },
    );
    const wasm = r.timings.find((t) => t.name === 'wasm')!;
    expect(wasm.ms).toBeGreaterThan(0);
    expect(r.timings.find((t) => t.name === 'webgpu')?.error).toMatch(/unavailable/);
    expect(r.order[0]).toBe('wasm');
    expect(r.order.at(-1)).toBe('cpu');
    expect(r.why).toMatch(/^wasm \(\d+ ms\/step, fastest measured\)/);
  }, 60_000);
});

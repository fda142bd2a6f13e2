import { describe, expect, it } from 'vitest';
import { cutShort } from '../../src/worker/probe-client';

describe('a background measurement cut short at its deadline', () => {
  it('keeps what was timed; the candidate still running is slower than its time so far; the rest were not measured', () => {
    const r = cutShort(
      ['webgpu', 'webgl', 'wasm', 'cpu'],
      [{ name: 'wasm', ms: 80, software: null }],
      { name: 'webgpu', software: 'SwiftShader', ms: 4000 },
      10_000,
    )!;
    expect(r.order).toEqual(['wasm', 'webgpu', 'cpu']);
    expect(r.why).toBe(
      'wasm (80 ms/step, fastest measured) — WebGPU here is a software renderer (SwiftShader): over 50× slower; WebGL failed (not measured within 10 s)',
    );
  });

  it('nothing timed yet: no result (there is no baseline to compare with)', () => {
    expect(cutShort(['webgpu', 'wasm'], [], { name: 'wasm', software: null, ms: 9000 }, 10_000)).toBeNull();
  });
});

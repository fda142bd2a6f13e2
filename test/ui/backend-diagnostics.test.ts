import { describe, expect, it } from 'vitest';
import { DIAGNOSTICS_FORMAT, buildDiagnostics, gpuDiagnostics, readGpu } from '../../src/ui/backend-diagnostics';
import type { InitResult } from '../../src/worker/protocol';

/** Limits as WebIDL attributes: getters on the prototype, as GPUSupportedLimits has them. */
class Limits {
  get maxBufferSize() {
    return 268435456;
  }
  get maxComputeWorkgroupSizeX() {
    return 256;
  }
}

const adapter = {
  info: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' },
  isFallbackAdapter: true,
  limits: new Limits(),
  features: new Set(['timestamp-query', 'shader-f16', 'float32-filterable']),
};

const wasmRun: InitResult = {
  backend: 'wasm',
  reason: 'wasm (first choice)',
  tried: [{ name: 'webgpu', error: 'WebGPU unavailable' }],
  wasm: { threads: 2, why: '2 threads (set)' },
};

describe('buildDiagnostics', () => {
  it('has every field, and round-trips as JSON', () => {
    const d = buildDiagnostics({
      version: '0.1.0',
      userAgent: 'Mozilla/5.0 test',
      hardwareConcurrency: 2,
      gpu: gpuDiagnostics(adapter),
      choice: 'auto',
      backend: wasmRun,
      engine: 'tfjs',
      crossOriginIsolated: true,
    });
    const j = JSON.parse(JSON.stringify(d)) as typeof d;
    expect(j.format).toBe(DIAGNOSTICS_FORMAT);
    expect(j.build.version).toBe('0.1.0');
    expect(j.browser).toEqual({ userAgent: 'Mozilla/5.0 test', hardwareConcurrency: 2 });
    expect(j.webgpu!.info.description).toBe('SwiftShader Device (Subzero)');
    expect(j.webgpu!.isFallbackAdapter).toBe(true);
    expect(j.webgpu!.limits).toEqual({ maxBufferSize: 268435456, maxComputeWorkgroupSizeX: 256 });
    expect(j.webgpu!.features).toEqual(['float32-filterable', 'shader-f16', 'timestamp-query']);
    expect(j.webgpu!.keyFeatures).toEqual({ subgroups: false, 'shader-f16': true, 'timestamp-query': true });
    expect(j.webgpuUnavailable).toBeNull();
    expect(j.backend).toEqual({
      choice: 'auto',
      running: 'wasm',
      engine: 'tfjs',
      reason: 'wasm (first choice)',
      tried: [{ name: 'webgpu', error: 'WebGPU unavailable' }],
      measured: null,
    });
    expect(j.selfCheck).toBeNull();
    expect(j.crossOriginIsolated).toBe(true);
    expect(j.wasm).toEqual({ threads: 2, why: '2 threads (set)' });
  });

  it('before the worker started and without WebGPU: nulls, and why there is no adapter', () => {
    const d = buildDiagnostics({
      version: '0.1.0',
      userAgent: 'x',
      gpu: null,
      gpuUnavailable: 'navigator.gpu missing',
      choice: 'wasm',
      backend: null,
      engine: null,
      crossOriginIsolated: false,
    });
    expect(d.webgpu).toBeNull();
    expect(d.webgpuUnavailable).toBe('navigator.gpu missing');
    expect(d.backend.running).toBeNull();
    expect(d.wasm).toBeNull();
    expect(d.browser.hardwareConcurrency).toBeNull();
  });

  it('a measured choice gives the measurement as the reason', () => {
    const measured: InitResult = { ...wasmRun, measured: { why: 'wasm (40 ms/step, fastest measured)', timings: [] } };
    const d = buildDiagnostics({
      version: 'v',
      userAgent: 'x',
      gpu: null,
      choice: 'auto',
      backend: measured,
      engine: null,
      crossOriginIsolated: true,
    });
    expect(d.backend.reason).toBe('wasm (40 ms/step, fastest measured)');
    expect(d.backend.measured?.why).toBe('wasm (40 ms/step, fastest measured)');
  });
});

describe('readGpu', () => {
  it('no navigator.gpu, no adapter, a failing request', async () => {
    expect(await readGpu(undefined)).toEqual({ gpu: null, why: 'navigator.gpu missing' });
    expect(await readGpu({ requestAdapter: async () => null })).toEqual({ gpu: null, why: 'requestAdapter() returned no adapter' });
    expect((await readGpu({ requestAdapter: () => Promise.reject(new Error('boom')) })).why).toBe('requestAdapter() failed: boom');
    expect((await readGpu({ requestAdapter: async () => adapter })).gpu?.keyFeatures['shader-f16']).toBe(true);
  });
});

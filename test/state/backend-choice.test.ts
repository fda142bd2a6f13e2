import { describe, expect, it } from 'vitest';
import { cacheKey, initBackendFor, probeSpecFor } from '../../src/state/backend-choice';
import { PLAYGROUND_DEFAULTS, patchSettings } from '../../src/state/settings';
import type { BackendName } from '../../src/core/backend';
import type { ProbeSpec } from '../../src/core/backend-probe';
import type { InitResult } from '../../src/worker/protocol';

/** A worker link that answers init like the worker: with a probe it reports a measurement (wasm beat SwiftShader). */
function link(available: BackendName[] = ['webgpu', 'wasm', 'cpu']) {
  const calls: { order: BackendName[]; probe?: ProbeSpec }[] = [];
  return {
    calls,
    async init(order: BackendName[], _w?: string, probe?: ProbeSpec): Promise<InitResult> {
      calls.push({ order, probe });
      if (probe) {
        const why = 'wasm (40 ms/step, fastest measured) — WebGPU here is a software renderer (SwiftShader): 40× slower';
        const timings = [
          { name: 'wasm' as const, ms: 40, software: null },
          { name: 'webgpu' as const, ms: 1600, software: 'SwiftShader' },
        ];
        return { backend: 'wasm', reason: why, tried: [], measured: { timings, why } };
      }
      const backend = order.find((b) => available.includes(b))!;
      return { backend, reason: `${backend} (first choice)`, tried: [] };
    },
  };
}

function memory() {
  const m = new Map<string, string>();
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('"Auto" backend: measured once per model and browser, then cached', () => {
  const auto = PLAYGROUND_DEFAULTS;
  it('first visit measures (the probe carries the model), the second uses the cache', async () => {
    const store = memory();
    const l = link();
    const r1 = await initBackendFor(l, auto, { store, userAgent: 'UA-1' });
    expect(l.calls[0].probe).toEqual(probeSpecFor(auto));
    expect(l.calls[0].probe?.inputShape).toEqual([28, 28, 1]);
    expect(r1.backend).toBe('wasm');
    expect(r1.measured?.why).toMatch(/software renderer \(SwiftShader\): 40× slower/);
    expect(store.m.size).toBe(1);

    const r2 = await initBackendFor(l, auto, { store, userAgent: 'UA-1' });
    expect(l.calls[1].probe).toBeUndefined();
    expect(l.calls[1].order[0]).toBe('wasm');
    expect(r2.backend).toBe('wasm');
    expect(r2.measured?.cached).toBe(true);
    expect(r2.reason).toMatch(/measured earlier in this browser/);

    // another browser (user agent) or another model measures again
    await initBackendFor(l, auto, { store, userAgent: 'UA-2' });
    expect(l.calls[2].probe).toBeDefined();
    await initBackendFor(l, patchSettings(auto, { config: { model: 'resnet32' } }), { store, userAgent: 'UA-1' });
    expect(l.calls[3].probe?.model).toBe('resnet32');
  });

  it('a forced backend is not measured; a bad cache entry is ignored', async () => {
    const store = memory();
    const l = link();
    await initBackendFor(l, patchSettings(auto, { backend: 'wasm' }), { store, userAgent: 'UA' });
    expect(l.calls[0]).toEqual({ order: ['wasm', 'cpu'], probe: undefined });
    store.setItem(cacheKey(probeSpecFor(auto), 'UA'), '{not json');
    await initBackendFor(l, auto, { store, userAgent: 'UA' });
    expect(l.calls[1].probe).toBeDefined();
  });

  it('when the cached winner fails now, the fallback keeps its own reason', async () => {
    const store = memory();
    await initBackendFor(link(), auto, { store, userAgent: 'UA' });
    const r = await initBackendFor(link(['cpu']), auto, { store, userAgent: 'UA' });
    expect(r.backend).toBe('cpu');
    expect(r.measured).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { autoAfterChange, cacheKey, initBackendFor, probeSpecFor } from '../../src/state/backend-choice';
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

describe('"Auto" after a model change', () => {
  const auto = PLAYGROUND_DEFAULTS;
  const resnet32 = patchSettings(auto, { config: { model: 'resnet32' } });
  it('decides again for another model or head: the cached measurement when its winner runs, else a new worker', async () => {
    const store = memory();
    const opts = { store, userAgent: 'UA' };
    const now = await initBackendFor(link(), auto, opts); // measured: wasm
    // the same model and head (another lr, seed, batch size …), or a forced backend: nothing to decide
    expect(autoAfterChange(now, auto, patchSettings(auto, { config: { seed: 5, batchSize: 32 } }), opts)).toBeNull();
    expect(autoAfterChange(now, patchSettings(auto, { backend: 'wasm' }), patchSettings(resnet32, { backend: 'wasm' }), opts)).toBeNull();
    // ResNet-32 was never measured here: a new worker measures it
    expect(autoAfterChange(now, auto, resnet32, opts)).toEqual({ action: 'respawn' });
    // another head is another measurement too (GCL forces the cosine head: with CE the linear one is used)
    expect(autoAfterChange(now, auto, patchSettings(auto, { config: { head: 'linear' } }), opts)).toBeNull();
    const ce = patchSettings(auto, { config: { loss: 'ce' }, lossParams: {} });
    expect(autoAfterChange(now, ce, patchSettings(ce, { config: { head: 'linear' } }), opts)).toEqual({ action: 'respawn' });
    // measured before with the same winner: keep the worker, the badge gets ResNet-32's numbers
    const l = link();
    await initBackendFor(l, resnet32, opts);
    expect(l.calls[0].probe?.model).toBe('resnet32');
    const d = autoAfterChange(now, auto, resnet32, opts);
    expect(d?.action).toBe('keep');
    if (d?.action === 'keep') {
      expect(d.result.backend).toBe('wasm');
      expect(d.result.measured?.cached).toBe(true);
      expect(d.result.reason).toMatch(/measured earlier in this browser/);
    }
    // … but a cached winner other than the running backend needs a new worker
    const entry = JSON.parse(store.getItem(cacheKey(probeSpecFor(resnet32), 'UA'))!) as { order: string[] };
    store.setItem(cacheKey(probeSpecFor(resnet32), 'UA'), JSON.stringify({ ...entry, order: ['webgpu', 'wasm'] }));
    expect(autoAfterChange(now, auto, resnet32, opts)).toEqual({ action: 'respawn' });
  });
});

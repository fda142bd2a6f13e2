import { describe, expect, it } from 'vitest';
import {
  autoAfterChange,
  cacheKey,
  initBackendFor,
  measurementNeeded,
  probeSpecFor,
  saveMeasurement,
} from '../../../src/state/session/backend-choice';
import { PLAYGROUND_DEFAULTS, patchSettings, type Settings } from '../../../src/state/settings/settings';
import type { BackendName } from '../../../src/core/backend';
import type { ProbeResult } from '../../../src/core/backend-probe';
import type { InitResult } from '../../../src/worker/protocol';

/** A worker link that answers init like the worker: the first backend of the order that is available. */
function link(available: BackendName[] = ['webgpu', 'wasm', 'cpu']) {
  const calls: { order: BackendName[] }[] = [];
  return {
    calls,
    async init(order: BackendName[]): Promise<InitResult> {
      calls.push({ order });
      const backend = order.find((b) => available.includes(b))!;
      return { backend, reason: `${backend} (first choice)`, tried: [] };
    },
  };
}

/** What a background measurement finds here: wasm beat a SwiftShader WebGPU. */
const MEASURED: ProbeResult = {
  order: ['wasm', 'webgpu', 'cpu'],
  why: 'wasm (40 ms/step, fastest measured) — WebGPU here is a software renderer (SwiftShader): 40× slower',
  timings: [
    { name: 'wasm', ms: 40, software: null },
    { name: 'webgpu', ms: 1600, software: 'SwiftShader' },
  ],
};

function memory() {
  const m = new Map<string, string>();
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

/** A first visit: start on wasm, measure in the background, keep the result. */
async function firstVisit(settings: Settings, opts: { store: ReturnType<typeof memory>; userAgent: string }, l = link()) {
  const r = await initBackendFor(l, settings, opts);
  const probe = measurementNeeded(settings, opts);
  if (probe) saveMeasurement(probe, MEASURED, opts);
  return { r, probe };
}

describe('"Auto" backend: starts without measuring, measured in the background once per model and browser', () => {
  const auto = PLAYGROUND_DEFAULTS;
  it('a first visit starts on wasm at once and asks for a measurement of the model; the next one starts on the winner', async () => {
    const store = memory();
    const l = link();
    const opts = { store, userAgent: 'UA-1' };
    const { r: r1, probe } = await firstVisit(auto, opts, l);
    // WebGPU is available, yet nothing is tried before wasm: it needs no measurement
    expect(l.calls[0].order[0]).toBe('wasm');
    expect(l.calls[0].order).toEqual(expect.arrayContaining(['webgpu', 'webgl', 'cpu']));
    expect(r1.backend).toBe('wasm');
    expect(r1.measured).toBeUndefined();
    expect(r1.reason).toMatch(/measured in the background/);
    expect(probe).toEqual(probeSpecFor(auto));
    expect(probe?.inputShape).toEqual([28, 28, 1]);
    expect(store.m.size).toBe(1);

    const r2 = await initBackendFor(l, auto, opts);
    expect(measurementNeeded(auto, opts)).toBeNull();
    expect(l.calls[1].order[0]).toBe('wasm');
    expect(r2.backend).toBe('wasm');
    expect(r2.measured?.cached).toBe(true);
    expect(r2.reason).toMatch(/measured earlier in this browser/);

    // a measured winner other than wasm is where the next visit starts
    const resnet = patchSettings(auto, { config: { model: 'resnet8' } });
    saveMeasurement(
      probeSpecFor(resnet),
      { ...MEASURED, order: ['webgpu', 'wasm', 'cpu'], why: 'WebGPU (5 ms/step, fastest measured)' },
      opts,
    );
    const r3 = await initBackendFor(l, resnet, opts);
    expect(l.calls[2].order[0]).toBe('webgpu');
    expect(r3.backend).toBe('webgpu');

    // another browser (user agent) or another model measures again
    expect(measurementNeeded(auto, { store, userAgent: 'UA-2' })).not.toBeNull();
    // so does the same browser with another wasm thread count (this page's plan: 1 thread in Node)
    expect(measurementNeeded(auto, { ...opts, wasmThreads: 1 })).toBeNull();
    expect(measurementNeeded(auto, { ...opts, wasmThreads: 2 })).not.toBeNull();
    expect(measurementNeeded(patchSettings(auto, { config: { model: 'resnet32' } }), opts)?.model).toBe('resnet32');
  });

  it('a forced backend is not measured; a bad cache entry is ignored; without wasm the order goes on', async () => {
    const store = memory();
    const l = link();
    const forced = patchSettings(auto, { backend: 'wasm' });
    await initBackendFor(l, forced, { store, userAgent: 'UA' });
    expect(l.calls[0]).toEqual({ order: ['wasm', 'cpu'] });
    expect(measurementNeeded(forced, { store, userAgent: 'UA' })).toBeNull();
    store.setItem(cacheKey(probeSpecFor(auto), 'UA'), '{not json');
    expect(measurementNeeded(auto, { store, userAgent: 'UA' })).not.toBeNull();
    const r = await initBackendFor(link(['webgpu', 'cpu']), auto, { store, userAgent: 'UA' });
    expect(r.backend).toBe('webgpu');
  });

  it('when the cached winner fails now, the fallback keeps its own reason', async () => {
    const store = memory();
    await firstVisit(auto, { store, userAgent: 'UA' });
    const r = await initBackendFor(link(['cpu']), auto, { store, userAgent: 'UA' });
    expect(r.backend).toBe('cpu');
    expect(r.measured).toBeUndefined();
  });
});

describe('"Auto" after a model change', () => {
  const auto = PLAYGROUND_DEFAULTS;
  const resnet32 = patchSettings(auto, { config: { model: 'resnet32' } });
  it('decides again for another model or head: the cached measurement when its winner runs, a measurement on wasm, else a new worker', async () => {
    const store = memory();
    const opts = { store, userAgent: 'UA' };
    const { r: now } = await firstVisit(auto, opts); // measured: wasm
    // the same model and head (another lr, seed, batch size …), or a forced backend: nothing to decide
    expect(autoAfterChange(now, auto, patchSettings(auto, { config: { seed: 5, batchSize: 32 } }), opts)).toBeNull();
    expect(autoAfterChange(now, patchSettings(auto, { backend: 'wasm' }), patchSettings(resnet32, { backend: 'wasm' }), opts)).toBeNull();
    // ResNet-32 was never measured here: the wasm worker stays and it is measured in the background …
    expect(autoAfterChange(now, auto, resnet32, opts)).toEqual({ action: 'measure' });
    // … while a worker on another backend is replaced by one on wasm
    expect(autoAfterChange({ ...now, backend: 'webgpu' }, auto, resnet32, opts)).toEqual({ action: 'respawn' });
    // another head is another measurement too (GCL forces the cosine head: with CE the linear one is used)
    expect(autoAfterChange(now, auto, patchSettings(auto, { config: { head: 'linear' } }), opts)).toBeNull();
    const ce = patchSettings(auto, { config: { loss: 'ce' }, lossParams: {} });
    expect(autoAfterChange(now, ce, patchSettings(ce, { config: { head: 'linear' } }), opts)).toEqual({ action: 'measure' });
    // measured before with the same winner: keep the worker, the badge gets ResNet-32's numbers
    const { probe } = await firstVisit(resnet32, opts);
    expect(probe?.model).toBe('resnet32');
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

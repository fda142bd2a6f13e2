import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { PlaygroundSession } from '../../../src/state/session/session';
import { backendOrder, planChange } from '../../../src/state/settings/change-policy';
import { cacheKey, measurementNeeded, probeSpecFor } from '../../../src/state/session/backend-choice';
import type { ProbeResult } from '../../../src/core/backend-probe';
import type { Measurer } from '../../../src/worker/probe-client';
import type { ProbeRequest } from '../../../src/worker/probe-protocol';
import { PLAYGROUND_DEFAULTS, patchSettings, type SettingsPatch } from '../../../src/state/settings/settings';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { inProcessClients, sharedTinyDataset, tinySettings, until } from '../../helpers/in-process-worker';

function setup(settings = tinySettings()) {
  const store = createPlaygroundStore(settings);
  // trains on cpu but reports the first backend asked for, so fallbacks can be tested
  const { createClient, workers } = inProcessClients({ backend: 'requested' });
  let flushes = 0;
  const urls: string[] = [];
  const session = new PlaygroundSession(store, {
    createClient,
    schedule: (cb) =>
      setTimeout(() => {
        flushes++;
        cb();
      }, 20),
    writeUrl: (q) => urls.push(q),
  });
  return { store, session, s: () => store.getState(), flushes: () => flushes, urls, workers };
}

beforeAll(async () => {
  await initBackend({ order: ['cpu'] });
});

describe('planChange', () => {
  const base = PLAYGROUND_DEFAULTS;
  const with_ = (p: SettingsPatch) => patchSettings(base, p);
  it('lr, loss hyperparameters, sampler, augmentation and weight decay are live', () => {
    const p = planChange(
      base,
      with_({ config: { lr: 0.01, sampler: 'cben', augment: false }, lossParams: { ...base.config.lossParams, noiseMul: 1 } }),
    );
    expect(p.kind).toBe('live');
    expect(p.live).toEqual({ lr: 0.01, lossParams: { ...base.config.lossParams, noiseMul: 1 }, sampler: 'cben', augment: false });
  });
  it('data, model and loss type need a reset; stage-2 settings wait for stage 2', () => {
    expect(planChange(base, with_({ config: { imbalance: 50 } })).resetBecause).toEqual(['imbalance factor']);
    expect(planChange(base, with_({ config: { model: 'resnet8' } })).kind).toBe('reset');
    expect(planChange(base, with_({ config: { loss: 'ce' } })).kind).toBe('reset');
    expect(planChange(base, with_({ config: { headImages: 500 } })).kind).toBe('reset');
    expect(planChange(base, with_({ stage2: { epochs: 9 } })).kind).toBe('stage2');
    expect(planChange(base, with_({ backend: 'wasm' })).kind).toBe('backend');
    expect(planChange(base, patchSettings(base, { config: { lr: base.config.lr } })).kind).toBe('none');
  });
  it('backend order', () => {
    expect(backendOrder('auto')).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'cpu']);
  });
});

describe('PlaygroundSession with the real engine (cpu, tiny data)', () => {
  it('start → step → live lr change → confirm before reset → train to the end → GCL stage 2', async () => {
    const t = setup();
    await t.session.start();
    expect(t.s().phase).toBe('ready');
    expect(t.s().backend?.backend).toBe('cpu');
    expect(t.s().summary?.counts[0]).toBe(60);
    expect(t.urls.length).toBeGreaterThan(0);

    await t.session.step();
    expect(t.s().progress?.step).toBe(1);
    expect(t.s().current?.batches).toHaveLength(1);

    // live: lr applies at the next step, no reset
    await t.session.changeSettings(patchSettings(t.s().settings, { config: { lr: 0.02 } }));
    expect(t.s().confirm).toBeNull();
    expect(t.s().runSettings?.config.lr).toBe(0.02);
    await t.session.step();
    expect(t.s().progress?.step).toBe(2);
    expect(t.s().progress?.lr).toBeCloseTo(0.02, 10);
    // the record keeps the initial settings and label, and logs the change where the worker applied it
    const rec = t.s().current!;
    expect(rec.settings?.config.lr).not.toBe(0.02);
    expect(rec.label).not.toMatch(/0\.02/);
    expect(rec.changes).toEqual([{ stage: 1, epoch: 1, step: 1, key: 'lr', from: rec.settings?.config.lr, to: 0.02 }]);

    // a loss change after training asks first; cancel keeps everything
    const ce = patchSettings(t.s().settings, { config: { loss: 'ce' }, lossParams: {} });
    const pending = t.session.changeSettings(ce);
    await until(() => t.s().confirm !== null);
    expect(t.s().confirm?.message).toMatch(/loss type/);
    t.s().answerConfirm(false);
    expect(await pending).toBe(false);
    expect(t.s().settings.config.loss).toBe('gcl');
    expect(t.s().progress?.step).toBe(2);

    // train stage 1 to the end (batched store updates)
    await t.session.train();
    await until(() => t.s().phase === 'stageDone');
    expect(t.s().stage1Done).toBe(true);
    expect(t.s().current?.epochs).toHaveLength(2);
    expect(t.flushes()).toBeGreaterThan(0);
    expect(t.s().current!.batches.length).toBeGreaterThan(t.flushes() - 1);
    expect(t.s().announcement).toMatch(/Stage 1 finished/);

    await t.session.startStage2();
    await until(() => t.s().phase === 'stageDone' && t.s().summary?.stage === 2);
    expect(t.s().current?.epochs.at(-1)?.stage).toBe(2);

    // confirm → reset with the new loss; the GCL run stays for comparison
    const p2 = t.session.changeSettings(ce);
    await until(() => t.s().confirm !== null);
    t.s().answerConfirm(true);
    expect(await p2).toBe(true);
    expect(t.s().runSettings?.config.loss).toBe('ce');
    expect(t.s().progress?.step).toBe(0);
    expect(t.s().archived).toHaveLength(1);
    t.session.dispose();
  });

  it('new settings whose data does not load: a clear notice, and the current run, its settings and charts stay', async () => {
    const store = createPlaygroundStore(tinySettings({ epochs: 5 }));
    const { createClient } = inProcessClients({
      loadDataset: async (_id, _p, need) => {
        if (need?.headImages === 20) throw new Error('fmnist-lt.part-2.ltpg: the network request failed (offline?)');
        return sharedTinyDataset();
      },
    });
    const session = new PlaygroundSession(store, { createClient, schedule: (cb) => setTimeout(cb, 5), writeUrl: () => {} });
    const s = () => store.getState();
    await session.start();
    await session.step();
    const id = s().current!.id;
    const pending = session.changeSettings(patchSettings(s().settings, { config: { headImages: 20 } }));
    await until(() => s().confirm !== null);
    s().answerConfirm(true);
    await pending;
    expect(s().notices.find((n) => n.id === 'data')?.items[0]).toMatch(/part-2\.ltpg: the network request failed/);
    expect(s().notices.find((n) => n.id === 'error')).toBeUndefined();
    expect(['ready', 'paused']).toContain(s().phase); // as before the change (the change paused it)
    expect(s().busy).toBe(false);
    expect(s().error).toBeNull();
    expect(s().settings.config.headImages).toBeNull(); // the controls show the run's settings again
    expect(s().current?.id).toBe(id);
    await session.step(); // and it trains on
    expect(s().progress?.step).toBe(2);
    expect(s().current?.batches).toHaveLength(2);
    // settings whose data loads replace the run and clear the notice
    const ok = session.changeSettings(patchSettings(s().settings, { config: { headImages: 30 } }));
    await until(() => s().confirm !== null);
    s().answerConfirm(true);
    await ok;
    expect(s().notices.find((n) => n.id === 'data')).toBeUndefined();
    expect(s().progress?.step).toBe(0);
    session.dispose();
  });

  it('Space toggles run/pause; reset returns to epoch 0', async () => {
    const t = setup(patchSettings(tinySettings(), { config: { epochs: 50 } }));
    await t.session.start();
    await t.session.toggle();
    await until(() => t.s().phase === 'running' && (t.s().progress?.step ?? 0) >= 2);
    await t.session.toggle();
    await until(() => t.s().phase === 'paused');
    const step = t.s().progress!.step;
    expect(step).toBeGreaterThan(0);
    await t.session.reset();
    expect(t.s().progress?.step).toBe(0);
    expect(t.s().phase).toBe('ready');
    t.session.dispose();
  });

  it('Reset of a finished, unpinned run asks first (cancel keeps it); a pinned one resets at once', async () => {
    const t = setup(tinySettings({ loss: 'ce', head: 'linear', epochs: 1 }));
    await t.session.start();
    await t.session.train();
    await until(() => t.s().phase === 'stageDone');
    const id = t.s().current!.id;
    let pending = t.session.reset();
    await until(() => t.s().confirm !== null);
    expect(t.s().confirm?.title).toMatch(/finished run/);
    t.s().answerConfirm(false);
    await pending;
    expect(t.s().phase).toBe('stageDone');
    expect(t.s().current?.id).toBe(id);
    expect(t.s().current?.epochs).toHaveLength(1);

    pending = t.session.reset();
    await until(() => t.s().confirm !== null);
    t.s().answerConfirm(true);
    await pending;
    expect(t.s().phase).toBe('ready');
    expect(t.s().progress?.step).toBe(0);

    await t.session.train();
    await until(() => t.s().phase === 'stageDone');
    expect(t.s().pinCurrent()).toBe(true);
    await t.session.reset(); // pinned: kept whatever happens, no question
    expect(t.s().confirm).toBeNull();
    expect(t.s().phase).toBe('ready');
    t.session.dispose();
  });

  it('a lost GPU device: the crash is shown and the run continues on the next backend from the last finished epoch', async () => {
    const settings = patchSettings(tinySettings(), { backend: 'wasm', config: { epochs: 3 } }); // order wasm → cpu
    const t = setup(settings);
    await t.session.start();
    expect(t.s().backend?.backend).toBe('wasm');
    await t.session.train();
    await until(() => (t.s().current?.epochs.length ?? 0) >= 1 && (t.s().progress?.step ?? 0) > t.s().current!.epochs[0].step);
    t.workers[0].engine.fail('GPU device lost: simulated');
    await until(() => t.s().phase === 'crashed');
    const crash = t.s().crash!;
    expect(crash.message).toMatch(/device lost/);
    expect(crash.nextOrder).toEqual(['cpu']);
    expect(crash.checkpoint?.trainer.epoch).toBeGreaterThanOrEqual(1);
    await t.session.continueAfterCrash();
    expect(t.s().phase).toBe('paused');
    expect(t.s().backend?.backend).toBe('cpu');
    const ck = crash.checkpoint!.trainer;
    expect(t.s().progress?.step).toBe(ck.globalStep);
    // metrics of the unfinished epoch were dropped; training goes on to the end
    expect(t.s().current!.batches.every((b) => b.step <= ck.globalStep)).toBe(true);
    await t.session.train();
    await until(() => t.s().phase === 'stageDone');
    expect(t.s().current!.epochs.map((m) => m.epoch)).toEqual([0, 1, 2]);
    t.session.dispose();
  });
});

describe('PlaygroundSession: "Auto" and a model change', () => {
  it('decides the backend again for the new model: the cached winner on the same worker, a measurement on wasm, else a new worker', async () => {
    const m = new Map<string, string>();
    const backendStore = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    const ua = typeof navigator !== 'undefined' ? navigator.userAgent : 'node';
    const measured = (model: 'convnet' | 'resnet8' | 'resnet32', winner: string, ms: number) =>
      m.set(
        cacheKey(probeSpecFor(patchSettings(auto, { config: { model } })), ua),
        JSON.stringify({
          order: [winner, 'cpu'],
          why: `${winner} (${ms} ms/step, fastest measured)`,
          timings: [{ name: winner, ms, software: null }],
        }),
      );
    const auto = patchSettings(tinySettings(), { backend: 'auto' });
    measured('convnet', 'webgpu', 10);
    measured('resnet8', 'webgpu', 30);
    measured('resnet32', 'wasm', 90);
    const store = createPlaygroundStore(auto);
    const { createClient, workers } = inProcessClients({ backend: 'requested' });
    const session = new PlaygroundSession(store, { createClient, backendStore, schedule: (cb) => setTimeout(cb, 5) });
    const s = () => store.getState();
    await session.start();
    expect(s().backend?.backend).toBe('webgpu');
    expect(s().backend?.reason).toMatch(/^webgpu \(10 ms\/step.*measured earlier/);
    expect(workers).toHaveLength(1);
    // ResNet-8 was measured on the backend running now: same worker, its own numbers on the badge
    await session.changeSettings(patchSettings(s().settings, { config: { model: 'resnet8' } }));
    expect(workers).toHaveLength(1);
    expect(s().backend?.reason).toMatch(/^webgpu \(30 ms\/step/);
    expect(s().summary).not.toBeNull();
    // ResNet-32's winner is another backend: a new worker on it
    await session.changeSettings(patchSettings(s().settings, { config: { model: 'resnet32' } }));
    expect(workers).toHaveLength(2);
    expect(s().backend?.backend).toBe('wasm');
    expect(s().backend?.reason).toMatch(/^wasm \(90 ms\/step/);
    expect(s().phase).toBe('ready');
    // never measured, and the worker runs wasm: it stays, and the new model is measured in the background
    await session.changeSettings(patchSettings(s().settings, { config: { model: 'resnet20' } }));
    expect(workers).toHaveLength(2);
    expect(s().backend?.backend).toBe('wasm');
    expect(s().phase).toBe('ready');
    // a change that keeps the model decides nothing
    await session.changeSettings(patchSettings(s().settings, { config: { seed: 9 } }));
    expect(workers).toHaveLength(2);
    session.dispose();
  }, 120_000);
});

describe('PlaygroundSession: "Auto" measures in the background', () => {
  const WEBGPU_WINS: ProbeResult = {
    order: ['webgpu', 'wasm', 'cpu'],
    why: 'WebGPU (5 ms/step, fastest measured) — wasm: 8× slower',
    timings: [
      { name: 'wasm', ms: 40, software: null },
      { name: 'webgpu', ms: 5, software: null },
    ],
  };

  /** Long enough that a pause right after Train lands before the run's end. */
  const EPOCHS = 8;

  /** A measurement the test ends by hand (`finish`), recording what it was asked and whether it was cancelled. */
  function handMeasurer() {
    const asked: ProbeRequest[] = [];
    let finish: ((r: ProbeResult) => void) | null = null;
    let cancelled = 0;
    const measure: Measurer = (req, onMeasuring) => {
      asked.push(req);
      setTimeout(() => onMeasuring('webgpu'), 0);
      return { result: new Promise<ProbeResult>((r) => (finish = r)), cancel: () => void cancelled++ };
    };
    return { measure, asked, finish: (r: ProbeResult) => finish!(r), cancelled: () => cancelled };
  }

  type State = ReturnType<ReturnType<typeof createPlaygroundStore>['getState']>;
  type During = (s: () => State, session: PlaygroundSession) => Promise<void>;
  async function trainToEnd(measure: Measurer | null, during?: During, after?: During, idleMs = 0) {
    const m = new Map<string, string>();
    const backendStore = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    const auto = patchSettings(tinySettings({ epochs: EPOCHS, loss: 'ce' }), { backend: 'auto' });
    const store = createPlaygroundStore(auto);
    const { createClient, workers } = inProcessClients({ backend: 'requested' });
    const session = new PlaygroundSession(store, {
      createClient,
      backendStore,
      measure,
      measureAfterIdleMs: idleMs,
      schedule: (cb) => setTimeout(cb, 5),
    });
    const s = () => store.getState();
    await session.start();
    const atStart = { phase: s().phase, backend: s().backend?.backend, measuring: s().measuring?.state ?? null };
    await session.train();
    await during?.(s, session);
    await until(() => s().phase === 'stageDone');
    await after?.(s, session);
    session.flushNow();
    const out = {
      atStart,
      backend: s().backend,
      measuring: s().measuring,
      batches: s().current!.batches.slice(),
      epochs: s().current!.epochs.slice(),
      cached: measurementNeeded(auto, { store: backendStore }) === null,
      workers: workers.length,
    };
    session.dispose();
    return out;
  }

  it('Train is enabled before the measurement ends; it never runs beside the training; a faster winner takes the run over at an epoch boundary, its steps and metrics continuous; the winner is cached', async () => {
    const h = handMeasurer();
    const switched = await trainToEnd(h.measure, async (s, session) => {
      // Train stopped the measurement: it waits for a pause
      await until(() => s().phase === 'running');
      expect(h.cancelled()).toBe(1);
      expect(s().measuring).toEqual({ state: 'waiting' });
      await session.pause();
      await until(() => h.asked.length === 2); // paused: measured again
      await until(() => s().measuring?.state === 'measuring' && (s().measuring as { backend: string }).backend === 'webgpu');
      h.finish(WEBGPU_WINS);
      // paused within an epoch, the run moves at the epoch's end (at once when paused at one)
      await until(() => s().measuring?.state === 'switching' || s().backend?.backend === 'webgpu');
      await session.train();
      await until(() => s().backend?.backend === 'webgpu');
      expect(s().measuring).toBeNull();
    });
    // the first run was ready — Train enabled — on wasm while the measurement still went on
    expect(switched.atStart).toEqual({ phase: 'ready', backend: 'wasm', measuring: 'measuring' });
    expect(h.asked[0].spec.model).toBe('convnet');
    expect(h.asked[0].candidates).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(switched.backend?.backend).toBe('webgpu');
    expect(switched.backend?.reason).toBe(WEBGPU_WINS.why);
    expect(switched.measuring).toBeNull();
    expect(switched.cached).toBe(true);
    expect(switched.workers).toBe(1); // the same worker, moved: no respawn
    // one step after another and every epoch once …
    const steps = switched.batches.map((b) => b.step);
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    expect(steps.length).toBe(EPOCHS * switched.batches[0].batchesPerEpoch);
    expect(switched.epochs.map((e) => e.epoch)).toEqual([...Array(EPOCHS).keys()]);
    // … and the same numbers as a run that never moved (both train on cpu here: the move itself changes nothing)
    const stayed = await trainToEnd(null);
    expect(stayed.backend?.backend).toBe('wasm');
    expect(stayed.atStart.measuring).toBeNull();
    expect(switched.batches.map((b) => b.loss)).toEqual(stayed.batches.map((b) => b.loss));
    expect(switched.epochs.map((e) => [e.trainLoss, e.testAccuracy])).toEqual(stayed.epochs.map((e) => [e.trainLoss, e.testAccuracy]));
  }, 120_000);

  it('with an idle grace, a Train pressed at once never meets the measurement: it starts once the run has ended', async () => {
    const h = handMeasurer();
    const r = await trainToEnd(
      h.measure,
      async (s) => {
        await until(() => s().phase === 'running');
        expect(h.asked).toHaveLength(0);
        expect(s().measuring).toEqual({ state: 'waiting' });
      },
      async (s) => {
        await until(() => h.asked.length === 1, 10_000);
        await until(() => s().measuring?.state === 'measuring');
        h.finish({ ...WEBGPU_WINS, order: ['wasm', 'webgpu', 'cpu'], why: 'wasm (40 ms/step, fastest measured) — WebGPU: 8× slower' });
        await until(() => s().measuring === null);
      },
      300,
    );
    expect(r.atStart).toEqual({ phase: 'ready', backend: 'wasm', measuring: 'waiting' });
    expect(h.cancelled()).toBe(0);
    expect(r.backend?.measured?.why).toMatch(/^wasm \(40 ms\/step/);
    expect(r.cached).toBe(true);
  }, 120_000);

  it('a measurement where the running backend wins keeps the run and says why; one that fails says so', async () => {
    const h = handMeasurer();
    // measured after the run (idle again)
    const kept = await trainToEnd(h.measure, undefined, async (s) => {
      await until(() => h.asked.length === 2 && s().measuring?.state === 'measuring');
      h.finish({ ...WEBGPU_WINS, order: ['wasm', 'webgpu', 'cpu'], why: 'wasm (40 ms/step, fastest measured) — WebGPU: 8× slower' });
      await until(() => s().measuring === null);
    });
    expect(kept.backend?.backend).toBe('wasm');
    expect(kept.backend?.measured?.why).toMatch(/^wasm \(40 ms\/step/);
    expect(kept.measuring).toBeNull();
    const failing: Measurer = () => ({ result: Promise.reject(new Error('stopped after 10 s')), cancel: () => undefined });
    const failed = await trainToEnd(failing);
    expect(failed.backend?.backend).toBe('wasm');
    expect(failed.backend?.reason).toMatch(/background measurement stopped after 10 s/);
    expect(failed.cached).toBe(false);
  }, 120_000);
});

/**
 * The Trainer on the fused WebGPU engine (Dawn + SwiftShader device; tfjs itself on the cpu backend) against the
 * Trainer on the tfjs engine: same loss curve, no GPU buffer growth across epochs, checkpoints that resume on the
 * other engine, an engine swap in the middle of a run, and a device lost mid-run surfacing as an error.
 * Must run under CI=true (a Dawn failure then fails the tests instead of skipping them).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import { Trainer, type TrainerCheckpoint } from '../../../src/core/train/trainer';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { buildSpec, createModel } from '../../../src/core/models';
import { Rng } from '../../../src/core/rng';
import { FusedEngine } from '../../../src/core/train/fused-engine';
import type { EngineStep } from '../../../src/core/train/step-engine';
import { CI, dawnDevice } from '../gpu/helpers';

const { device, why } = await dawnDevice();
if (!device && !CI) console.warn(`[fused-engine.test] SKIPPED: WebGPU (Dawn) could not start: ${why}`);

const data = tinyDataset({ classes: 4, poolPerClass: 24, testPerClass: 4 });

function cfg(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...structuredClone(DEFAULT_CONFIG),
    dataset: 'tiny',
    imbalance: 4,
    model: 'convnet',
    head: 'cosine',
    loss: 'ce',
    batchSize: 8,
    epochs: 3,
    lr: 0.02,
    schedule: 'constant',
    warmup: false,
    augment: false,
    logEvery: 1,
    stage2: { ...DEFAULT_CONFIG.stage2, epochs: 1, batchSize: 8 },
    ...over,
  };
}

/** Per-step losses of `epochs` epochs (stage 1, then optionally stage 2). */
async function losses(t: Trainer, epochs: number): Promise<number[]> {
  const out: number[] = [];
  let done = 0;
  while (done < epochs) {
    const r = await t.step();
    if (r.halt) throw new Error(r.halt.message);
    out.push(r.batch.loss);
    if (r.epoch) done++;
  }
  return out;
}

function expectCurvesClose(got: number[], ref: number[], tol: number, what: string): void {
  expect(got.length, `${what}: steps`).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    expect(Math.abs(got[i] - ref[i]), `${what} step ${i}: ${got[i]} vs ${ref[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(ref[i])));
  }
}

function maxRelDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const k of Object.keys(b)) {
    let e = 0;
    let s = 0;
    for (let i = 0; i < b[k].length; i++) {
      e = Math.max(e, Math.abs(a[k][i] - b[k][i]));
      s = Math.max(s, Math.abs(b[k][i]));
    }
    worst = Math.max(worst, e / Math.max(s, 1e-3));
  }
  return worst;
}

/** Counts the device's live buffers (created − destroyed) while `f` runs. */
function trackBuffers(d: GPUDevice): { live: () => number; restore: () => void } {
  const orig = d.createBuffer.bind(d);
  let live = 0;
  d.createBuffer = (desc: GPUBufferDescriptor) => {
    const b = orig(desc);
    live++;
    const destroy = b.destroy.bind(b);
    let gone = false;
    b.destroy = () => {
      if (!gone) live--;
      gone = true;
      destroy();
    };
    return b;
  };
  return { live: () => live, restore: () => void (d.createBuffer = orig) };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastKernels();
});

describe.skipIf(!device && !CI)('Trainer on the fused WebGPU engine (Dawn + SwiftShader) vs the tfjs engine (cpu)', () => {
  const dev = () => {
    if (!device) throw new Error(`WebGPU must start under CI but did not: ${why}`);
    return device;
  };

  it('auto picks fused when a device is given and tfjs otherwise; tfjs when asked', async () => {
    const d = dev();
    const a = new Trainer(data, cfg(), { gpuDevice: d });
    const b = new Trainer(data, cfg());
    const c = new Trainer(data, cfg({ engine: 'tfjs' }), { gpuDevice: d });
    const f = new Trainer(data, cfg({ engine: 'fused' }));
    await Promise.all([a, b, c, f].map((t) => t.step()));
    expect([a.engineKind, b.engineKind, c.engineKind, f.engineKind]).toEqual(['fused', 'tfjs', 'tfjs', 'tfjs']);
    expect(f.engineNote).toMatch(/fused engine needs WebGPU/);
    expect(a.engineNote).toBeNull();
    [a, b, c, f].forEach((t) => t.dispose());
  });

  it('TrainerOptions.convVariant reaches the executor: auto runs the direct kernels on SwiftShader, tiled when forced', async () => {
    const d = dev();
    const a = new Trainer(data, cfg(), { gpuDevice: d });
    const t = new Trainer(data, cfg(), { gpuDevice: d, convVariant: 'tiled' });
    const c = new Trainer(data, cfg({ engine: 'tfjs' }), { gpuDevice: d, convVariant: 'tiled' });
    expect(a.convVariant).toBeNull(); // no fused engine before the first step
    const [ra, rt] = [await a.step(), await t.step(), await c.step()];
    expect([a.convVariant, t.convVariant, c.convVariant]).toEqual(['direct', 'tiled', null]);
    // what the backend panel says: the setting, the adapter and the layers that run tiled
    expect(a.convKernels).toMatchObject({ asked: 'auto', software: true, tiledLayers: 0 });
    expect(t.convKernels?.asked).toBe('tiled');
    expect(t.convKernels?.tiledLayers).toBeGreaterThan(0);
    expect(c.convKernels).toBeNull();
    // the same first batch and weights: the same loss with either kernel set
    expect(Math.abs(rt.batch.loss - ra.batch.loss)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ra.batch.loss)));
    [a, t, c].forEach((x) => x.dispose());
  }, 600_000);

  for (const loss of ['ce', 'kps'] as const) {
    it(`${loss}: one epoch gives the same loss curve (1e-3 relative) and the same evaluation`, async () => {
      const over: Partial<TrainConfig> = loss === 'kps' ? { loss, epochs: 1 } : { loss, epochs: 1 };
      const f = new Trainer(data, cfg(over), { gpuDevice: dev() });
      const t = new Trainer(data, cfg(over));
      const lf = await losses(f, 1);
      const lt = await losses(t, 1);
      expect(f.engineKind).toBe('fused');
      expect(t.engineKind).toBe('tfjs');
      expectCurvesClose(lf, lt, 1e-3, loss);
      const [ef, et] = [await f.evaluate(), await t.evaluate()];
      expect(Math.abs(ef.loss! - et.loss!)).toBeLessThan(1e-3 * Math.max(1, et.loss!));
      f.dispose();
      t.dispose();
    });
  }

  it('gcl stage 1 and stage 2 (frozen backbone, CBEN, another batch size): the same loss curve; the backbone stays untouched', async () => {
    // stage 2 with batch 4: the fused engine gets an executor sized for it at the first stage-2 step
    const c = cfg({ loss: 'gcl', epochs: 1, stage2: { ...DEFAULT_CONFIG.stage2, epochs: 1, batchSize: 4 } });
    const f = new Trainer(data, c, { gpuDevice: dev() });
    const t = new Trainer(data, c);
    const s1f = await losses(f, 1);
    const s1t = await losses(t, 1);
    expectCurvesClose(s1f, s1t, 1e-3, 'gcl stage 1');
    const before = (await f.checkpoint()).weights;
    const stage1Bytes = f.engineStats()!.bytes;
    f.startStage2();
    t.startStage2();
    const s2f = await losses(f, 1);
    const s2t = await losses(t, 1);
    expect(f.engineKind).toBe('fused');
    expect(f.engineStats()!.bytes).toBeLessThan(stage1Bytes);
    expectCurvesClose(s2f, s2t, 1e-3, 'gcl stage 2');
    const after = (await f.checkpoint()).weights;
    for (const k of Object.keys(before)) {
      if (k.startsWith('linear.')) expect(maxRelDiff({ [k]: after[k] }, { [k]: before[k] }), k).toBeGreaterThan(0);
      else expect(Array.from(after[k]), k).toEqual(Array.from(before[k]));
    }
    f.dispose();
    t.dispose();
  });

  it('passes a mixup term (EngineStep.mix, when present) to the executor: λ = 0 makes the mixed labels the only ones', async () => {
    const spec = buildSpec({ kind: 'convnet', head: 'cosine', inputShape: [8, 8, 1], numClasses: 4 });
    const x = Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i));
    const y = Int32Array.from([0, 1, 2, 3]);
    const z = Int32Array.from([3, 3, 0, 1]);
    const loss = {
      id: 'ce' as const,
      params: {},
      ctx: { counts: [8, 5, 3, 2], head: 'cosine' as const, alpha: 0, gaActive: false, drwActive: false },
    };
    const run = async (labels: Int32Array, mix?: { labels: Int32Array; lambda: number }) => {
      const model = createModel(spec, new Rng(5));
      const e = await FusedEngine.create(model, { device: dev(), momentum: 0.9, weightDecay: 0, maxBatch: 4 });
      const step: EngineStep & { mix?: { labels: Int32Array; lambda: number } } = {
        x,
        n: 4,
        labels,
        lr: 0.01,
        loss,
        noise: null,
        frozen: false,
        mix,
      };
      const r = await e.train(step);
      e.dispose();
      model.dispose();
      return r.loss;
    };
    const plainY = await run(y);
    const plainZ = await run(z);
    expect(Math.abs(plainY - plainZ)).toBeGreaterThan(1e-4);
    expect(await run(z, { labels: y, lambda: 0 })).toBeCloseTo(plainY, 5);
    expect(await run(z, { labels: y, lambda: 1 })).toBeCloseTo(plainZ, 5);
  });

  it('holds no more GPU buffers after epoch 3 than after epoch 1', async () => {
    const d = dev();
    const track = trackBuffers(d);
    try {
      const f = new Trainer(data, cfg({ loss: 'gcl' }), { gpuDevice: d });
      await losses(f, 1);
      const s1 = f.engineStats();
      const live1 = track.live();
      await f.checkpoint();
      await losses(f, 2);
      await f.checkpoint();
      expect(f.engineStats()).toEqual(s1);
      expect(track.live()).toBe(live1);
      expect(live1).toBeGreaterThan(0);
      f.dispose();
      expect(track.live()).toBe(0);
    } finally {
      track.restore();
    }
  });

  it('a checkpoint taken on one engine resumes on the other (weights within 1e-5), both ways', async () => {
    const d = dev();
    const c = cfg({ loss: 'ldam', epochs: 3 });
    const f = new Trainer(data, c, { gpuDevice: d });
    const t = new Trainer(data, c);
    await losses(f, 1);
    await losses(t, 1);
    const ckF = await f.checkpoint();
    const ckT = await t.checkpoint();
    // the two engines agree after one epoch
    expect(maxRelDiff(ckF.weights, ckT.weights)).toBeLessThan(1e-4);
    expect(maxRelDiff(ckF.momentum, ckT.momentum)).toBeLessThan(1e-3);
    expect(ckF.bnBatchesTracked).toEqual(ckT.bnBatchesTracked);

    const roundTrip = async (ck: TrainerCheckpoint, engine: 'fused' | 'tfjs'): Promise<Trainer> => {
      const r = Trainer.fromCheckpoint(data, { ...ck, config: { ...ck.config, engine } }, { gpuDevice: d });
      await r.ensureEngine();
      expect(r.engineKind).toBe(engine);
      const back = await r.checkpoint();
      expect(maxRelDiff(back.weights, ck.weights)).toBeLessThan(1e-5);
      expect(maxRelDiff(back.momentum, ck.momentum)).toBeLessThan(1e-5);
      expect(back.bnBatchesTracked).toEqual(ck.bnBatchesTracked);
      return r;
    };
    const fToT = await roundTrip(ckF, 'tfjs');
    const tToF = await roundTrip(ckT, 'fused');
    // and both go on to the same next epoch as the uninterrupted runs
    const [a, b, cf, ct] = [await losses(fToT, 1), await losses(tToF, 1), await losses(f, 1), await losses(t, 1)];
    expectCurvesClose(a, ct, 1e-3, 'fused checkpoint → tfjs');
    expectCurvesClose(b, cf, 1e-3, 'tfjs checkpoint → fused');
    [f, t, fToT, tToF].forEach((x) => x.dispose());
  });

  it('an engine change mid-run swaps at the next step and the run goes on as before', async () => {
    const d = dev();
    const c = cfg({ loss: 'gcl', epochs: 1 });
    const swapped = new Trainer(data, c, { gpuDevice: d });
    const ref = new Trainer(data, c);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (i === 2) swapped.update({ engine: 'tfjs' });
      a.push((await swapped.step()).batch.loss);
      b.push((await ref.step()).batch.loss);
      expect(swapped.engineKind).toBe(i < 2 ? 'fused' : 'tfjs');
    }
    expectCurvesClose(a, b, 1e-3, 'fused → tfjs swap');
    swapped.dispose();
    ref.dispose();
  });

  it('a device destroyed mid-run makes the next step fail with "GPU device lost"; the last checkpoint resumes on tfjs', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const own = await adapter!.requestDevice();
    const c = cfg({ loss: 'ce', epochs: 2 });
    const f = new Trainer(data, c, { gpuDevice: own });
    await losses(f, 1);
    const ck = await f.checkpoint();
    await f.step();
    own.destroy();
    await expect(f.step()).rejects.toThrow(/GPU device lost/);
    await expect(f.evaluate()).rejects.toThrow(/GPU device lost/);
    f.dispose();
    // what recovery does: the last finished epoch on the next backend (here tfjs on cpu)
    const r = Trainer.fromCheckpoint(data, ck);
    const rest = await losses(r, 1);
    expect(r.engineKind).toBe('tfjs');
    expect(rest.every(Number.isFinite)).toBe(true);
    expect(r.stageDone).toBe(true);
    r.dispose();
  });
});

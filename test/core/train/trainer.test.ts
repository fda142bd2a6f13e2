import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Trainer } from '../../../src/core/train/trainer';
import { TrainController } from '../../../src/core/train/controller';
import type { TrainConfig } from '../../../src/core/train/config';
import { LOSS_IDS } from '../../../src/core/losses/registry';
import { registerFastKernels } from '../../../src/core/tfjs-kernels';
import { tinyDataset } from '../../helpers/tiny-dataset';
import { tinyTrainConfig, runEpochs } from '../../helpers/tiny-trainer';

const data = tinyDataset();

const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => tinyTrainConfig({ ...over });

function snapshot(t: Trainer, filter: (name: string) => boolean = () => true): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const [k, v] of t.model.vars) if (filter(k)) m.set(k, v.dataSync() as Float32Array);
  return m;
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let d = 0;
  for (const [k, va] of a) {
    const vb = b.get(k)!;
    for (let i = 0; i < va.length; i++) d = Math.max(d, Math.abs(va[i] - vb[i]));
  }
  return d;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastKernels();
});

describe('Trainer', () => {
  it('a tiny model learns a tiny long-tailed set well above chance, with per-epoch metrics', async () => {
    const t = new Trainer(data, cfg({ epochs: 6 }));
    expect(t.counts).toEqual([60, 27, 12, 6]);
    const ms = await runEpochs(t, 6);
    const m = ms.at(-1)!;
    expect(m.testAccuracy).toBeGreaterThan(0.6); // chance is 0.25
    expect(m.perClassAccuracy).toHaveLength(4);
    expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(80);
    expect(m.featureNormTrain.every((v) => v! > 0)).toBe(true);
    expect(m.featureNormTest.every((v) => v! > 0)).toBe(true);
    expect(m.groupAccuracy.few).not.toBeNull();
    expect(JSON.parse(JSON.stringify(m)).stage).toBe(1);
    t.dispose();
  });

  it('same seed and backend give the same numbers; another seed does not', async () => {
    const run = async (seed: number) => {
      const t = new Trainer(data, cfg({ seed, epochs: 2 }));
      const ms = await runEpochs(t, 2);
      t.dispose();
      return ms.map((m) => [m.trainLoss, m.testAccuracy, ...m.featureNormTest]);
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('does not leak tensors between epochs', async () => {
    const t = new Trainer(data, cfg({ loss: 'gcl', head: 'cosine', epochs: 3 }));
    await runEpochs(t, 1);
    const after1 = tf.memory().numTensors;
    await runEpochs(t, 2);
    expect(tf.memory().numTensors).toBe(after1);
    t.dispose();
  });

  it('pauses on a non-finite step, names the step and the cause (here the weight decay), keeps the last good weights', async () => {
    // lr 4 × wd 1 ≥ 2: the decay alone multiplies the weights by −3 each step until they overflow
    const t = new Trainer(data, cfg({ lr: 4, weightDecay: 1, momentum: 0, epochs: 400 }));
    const ctl = new TrainController(t, () => {});
    let halt = null;
    let before = snapshot(t);
    for (let i = 0; i < 400 && !halt; i++) {
      before = snapshot(t);
      const r = await ctl.stepOnce();
      halt = r?.halt ?? null;
    }
    expect(halt).not.toBeNull();
    expect(halt!.message).toMatch(/^Paused at step \d+ \(stage 1, epoch \d+, batch \d+\)/);
    expect(halt!.message).toMatch(
      /The weight decay \(1\) and the learning rate \(4\) are too high together: lr × weight decay = 4 ≥ 2\(1 \+ momentum\) = 2/,
    );
    expect(ctl.state).toBe('paused');
    // the refused step changed nothing (the decay may already have made some weights infinite: compare bits)
    const after = snapshot(t);
    for (const [k, v] of before)
      expect(
        v.every((x, i) => Object.is(x, after.get(k)![i])),
        k,
      ).toBe(true);
    t.dispose();
  });

  it('live changes and stage 2 go through the same limits as a new run', () => {
    const t = new Trainer(data, cfg({ loss: 'gcl', head: 'cosine', epochs: 1 }));
    expect(() => t.update({ lr: 1e300 })).toThrow('learning rate (lr) is 1e+300, expected a number in [0.00001, 10]');
    expect(() => t.update({ weightDecay: -1 })).toThrow('weight decay (weightDecay) is -1');
    expect(() => t.update({ lossParams: { s: 1e30 } })).toThrow('Scale s (lossParams.s) is 1e+30');
    expect(() => t.startStage2({ m: -5 })).toThrow('stage-2 margin m (stage2.m) is -5, expected a number in [0, 0.5]');
    expect(t.config.lr).toBe(0.05);
    t.dispose();
  });

  it('applies lr and loss-parameter changes at the next step without resetting weights', async () => {
    const t = new Trainer(data, cfg({ loss: 'gcl', head: 'cosine' }));
    await t.step();
    await t.step();
    const trainable = (k: string) => !k.includes('running');
    const w = snapshot(t, trainable);
    t.update({ lr: 0.01, lossParams: { noiseMul: 1 } });
    const r = await t.step();
    expect(r.batch.lr).toBe(0.01);
    expect(t.lossParams.noiseMul).toBe(1);
    // one small step away from where we were, not a re-initialised model
    const d = maxDiff(w, snapshot(t, trainable));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.05);
    t.update({ sampler: 'cben' });
    const r2 = await t.step();
    expect(Number.isFinite(r2.batch.loss)).toBe(true);
    t.dispose();
  });

  it('the lr schedule switches at batch granularity: a 4-epoch step schedule decays inside its last epoch', async () => {
    const t = new Trainer(data, cfg({ loss: 'ldam', head: 'linear', schedule: 'auto', epochs: 4, lr: 0.1 }));
    expect(t.schedule).toBe('step001');
    const nb = t.batchesPerEpoch();
    expect(nb).toBeGreaterThanOrEqual(5); // enough batches for both steps (at 3.2 and 3.6 epochs) to fall inside epoch 4
    const lrs: number[][] = [[], [], [], []];
    for (let n = 0; n < 4 * nb; n++) {
      const r = await t.step();
      lrs[r.batch.epoch].push(r.batch.lr);
    }
    // epochs 1–3 and the first batch of epoch 4 at the base lr (the authors' value at every epoch boundary)
    for (const e of [0, 1, 2]) expect(new Set(lrs[e])).toEqual(new Set([0.1]));
    expect(lrs[3][0]).toBe(0.1);
    // then ×0.01 from 3.2 epochs and ×0.0001 from 3.6, batch by batch
    const expected = lrs[3].map((_, b) => (3 + b / nb >= 3.6 ? 0.1 * 0.0001 : 3 + b / nb >= 3.2 ? 0.1 * 0.01 : 0.1));
    expect(lrs[3]).toEqual(expected);
    expect(lrs[3].at(-1)).toBeCloseTo(1e-5, 12);
    t.dispose();
  });

  it('every loss trains a step with a finite loss', async () => {
    for (const loss of LOSS_IDS) {
      const t = new Trainer(data, cfg({ loss, head: loss === 'fbl' ? 'linear' : 'cosine', epochs: 1 }));
      const r = await t.step();
      expect(r.halt, loss).toBeUndefined();
      expect(Number.isFinite(r.batch.loss), loss).toBe(true);
      t.dispose();
    }
  });

  it('GCL stage 2 trains only the classifier on a frozen backbone (BN statistics untouched)', async () => {
    const t = new Trainer(data, cfg({ loss: 'gcl', head: 'cosine', epochs: 1 }));
    const s1 = await runEpochs(t, 1);
    expect(s1[0].gclNoiseLastBatch).toHaveLength(4);
    expect(t.stageDone).toBe(true);
    const backbone = (k: string) => !k.startsWith('linear');
    const before = snapshot(t, backbone);
    const clsBefore = snapshot(t, (k) => k.startsWith('linear'));
    t.startStage2({ epochs: 2, batchSize: 16 });
    const nb = t.batchesPerEpoch();
    expect(t.currentLr()).toBeCloseTo(0.002, 12); // 0.01·lrMax·(1 + cos 0) at the first batch
    const s2 = await runEpochs(t, 2);
    expect(s2[0].stage).toBe(2);
    // an epoch reports the lr of its last batch (the cosine runs per batch)
    expect(s2[0].lr).toBeCloseTo(0.001 * (1 + Math.cos((Math.PI * ((nb - 1) / nb)) / 2)), 12);
    expect(maxDiff(before, snapshot(t, backbone))).toBe(0);
    expect(
      maxDiff(
        clsBefore,
        snapshot(t, (k) => k.startsWith('linear')),
      ),
    ).toBeGreaterThan(0);
    expect(s2[1].lossPerClass.cloudAmplitude).toHaveLength(4);
    t.dispose();
  });

  it('caps the pool per class with headImages (n_max becomes the cap)', () => {
    const t = new Trainer(data, cfg({ headImages: 30 }));
    expect(t.counts).toEqual([30, 13, 6, 3]);
    expect(t.dataset.pool.labels.length).toBe(120);
    t.dispose();
    expect(() => new Trainer(data, cfg({ headImages: 0 }))).toThrow(/head-class images/);
  });

  it('refuses data the loss cannot use and a stage 2 without a cosine head', () => {
    const flat = tinyDataset();
    expect(() => new Trainer(flat, cfg({ imbalance: 1, loss: 'gcl', head: 'cosine' }))).toThrow(/same training count/);
    const t = new Trainer(data, cfg({ loss: 'ce', head: 'linear' }));
    expect(() => t.startStage2()).toThrow(/cosine/);
    t.dispose();
  });
});

describe('Trainer checkpoints', () => {
  it('continuing from a checkpoint gives the same epochs as an uninterrupted run', async () => {
    const c = cfg({ loss: 'gcl', head: 'cosine', epochs: 3 });
    const a = new Trainer(data, c);
    const full = await runEpochs(a, 3);
    a.dispose();
    const b = new Trainer(data, c);
    await runEpochs(b, 1);
    const ck = structuredClone(await b.checkpoint());
    b.dispose();
    const r = Trainer.fromCheckpoint(data, ck);
    const rest = await runEpochs(r, 2);
    r.dispose();
    expect(rest.map((m) => [m.epoch, m.trainLoss, m.testAccuracy])).toEqual(
      full.slice(1).map((m) => [m.epoch, m.trainLoss, m.testAccuracy]),
    );
  });
});
